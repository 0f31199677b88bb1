"""Clean: torch.utils.benchmark.Timer around an SDXL-Turbo call with an adequate min_run_time."""
import torch
import torch.utils.benchmark as benchmark
from diffusers import AutoPipelineForText2Image

pipe = AutoPipelineForText2Image.from_pretrained(
    "stabilityai/sdxl-turbo", torch_dtype=torch.float16, variant="fp16"
)
pipe.to("cuda")
pipe.set_progress_bar_config(disable=True)

prompts = [
    "a cinematic photo of a red panda drinking tea",
    "an isometric pixel-art castle on a floating island",
    "a watercolor painting of a harbour at sunrise",
    "a macro shot of frost on a spider web",
]


def generate():
    return pipe(prompt=prompts, num_inference_steps=4, guidance_scale=0.0).images


for _ in range(3):
    generate()

timer = benchmark.Timer(
    stmt="generate()",
    globals={"generate": generate},
    label="sdxl-turbo",
    sub_label=f"batch={len(prompts)}",
    description="4 steps, fp16",
)
# each call takes ~0.5 s, so 20 s gives dozens of samples
measurement = timer.blocked_autorange(min_run_time=20.0)
print(measurement)
print(f"median {measurement.median:.3f} s/batch (IQR {measurement.iqr:.3f} s)")
print(f"{len(prompts) / measurement.median:.2f} images/s")
