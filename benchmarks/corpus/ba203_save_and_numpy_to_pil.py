"""BA203: numpy_to_pil conversion and PNG writes happen inside the timed generation loop."""
import os
import time

import torch
from diffusers import StableDiffusionPipeline

OUT_DIR = "samples"
BATCH = 4
os.makedirs(OUT_DIR, exist_ok=True)

pipe = StableDiffusionPipeline.from_pretrained(
    "runwayml/stable-diffusion-v1-5", torch_dtype=torch.float16
).to("cuda")
pipe.set_progress_bar_config(disable=True)

with open("prompts.txt", encoding="utf-8") as f:
    prompts = [line.strip() for line in f if line.strip()]
batches = [prompts[i:i + BATCH] for i in range(0, len(prompts), BATCH)]

for _ in range(3):
    pipe(batches[0], num_inference_steps=30, output_type="np")

n = 0
t0 = time.perf_counter()
for b, batch in enumerate(batches):
    arrays = pipe(batch, num_inference_steps=30, output_type="np").images
    images = pipe.numpy_to_pil(arrays)  # expect: BA203
    for j, image in enumerate(images):
        image.save(os.path.join(OUT_DIR, f"{b:03d}_{j}.png"))  # expect: BA203
        n += 1
elapsed = time.perf_counter() - t0

print(f"{n} images in {elapsed:.1f}s ({elapsed / n:.2f} s/image)")
