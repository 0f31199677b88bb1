"""BA302: blocked_autorange() with its default 0.2 s min_run_time wraps a multi-second SDXL call."""
import torch
import torch.utils.benchmark as benchmark
from diffusers import StableDiffusionXLPipeline

pipe = StableDiffusionXLPipeline.from_pretrained(
    "stabilityai/stable-diffusion-xl-base-1.0", torch_dtype=torch.float16, variant="fp16"
).to("cuda")
pipe.set_progress_bar_config(disable=True)
prompts = ["a bioluminescent forest at night, highly detailed"] * 4

for _ in range(3):
    pipe(prompts, num_inference_steps=30, output_type="np")

timer = benchmark.Timer(
    stmt="pipe(prompts, num_inference_steps=30, output_type='np')",
    globals={"pipe": pipe, "prompts": prompts},
    label="SDXL",
    sub_label="batch 4, 30 steps",
)
m = timer.blocked_autorange()  # expect: BA302
print(m)
print(f"{m.median:.2f} s per batch -> {len(prompts) / m.median:.2f} images/s")
