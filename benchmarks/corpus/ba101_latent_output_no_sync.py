"""BA101: SDXL with output_type="latent" is timed per iteration with no synchronize before the read."""
import statistics
import time

import torch
from diffusers import StableDiffusionXLPipeline

pipe = StableDiffusionXLPipeline.from_pretrained(
    "stabilityai/stable-diffusion-xl-base-1.0", torch_dtype=torch.float16, variant="fp16"
).to("cuda")
pipe.set_progress_bar_config(disable=True)
prompts = [
    "an astronaut lounging in a tropical resort in space, vaporwave",
    "a dragon made of autumn leaves, studio ghibli style",
]

for _ in range(3):
    pipe(prompts, num_inference_steps=30, output_type="latent")
torch.cuda.synchronize()

latencies = []
for _ in range(10):
    t0 = time.perf_counter()
    latents = pipe(prompts, num_inference_steps=30, output_type="latent").images
    latencies.append(time.perf_counter() - t0)  # expect: BA101

med = statistics.median(latencies)
print(f"latents {tuple(latents.shape)}: {med:.3f} s/batch, {med / len(prompts):.3f} s/image")
