"""Clean: SDXL over pre-built prompt batches, two batch-shaped PIL warm-ups, per-image throughput."""
import statistics
import time

import torch
from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline

BATCH = 4
with open("drawbench.txt", encoding="utf-8") as f:
    prompts = [line.strip() for line in f if line.strip()]

pipe = StableDiffusionXLPipeline.from_pretrained(
    "stabilityai/stable-diffusion-xl-base-1.0", torch_dtype=torch.float16, variant="fp16"
)
pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config)
pipe.enable_vae_slicing()
pipe.to("cuda")
pipe.set_progress_bar_config(disable=True)

batches = [prompts[i:i + BATCH] for i in range(0, len(prompts) - BATCH + 1, BATCH)]

pipe(batches[0], num_inference_steps=30, output_type="pil")
pipe(batches[0], num_inference_steps=30, output_type="pil")

per_image = []
for batch in batches:
    t0 = time.perf_counter()
    result = pipe(batch, num_inference_steps=30, output_type="pil")
    per_image.append((time.perf_counter() - t0) / len(result.images))

print(f"{len(batches)} batches of {BATCH}: {statistics.median(per_image):.3f} s/image (median)")
print(f"throughput {1 / statistics.median(per_image):.2f} images/s")
