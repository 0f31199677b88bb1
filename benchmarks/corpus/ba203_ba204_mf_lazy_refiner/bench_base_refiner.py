"""Bench script: SDXL base + refiner where the refiner is lazily loaded and images saved inside Timer."""
import torch
from diffusers import DiffusionPipeline

from timer import Timer, describe

BATCH = 2
with open("prompts.txt", encoding="utf-8") as f:
    prompts = [line.strip() for line in f if line.strip()]
batches = [prompts[i:i + BATCH] for i in range(0, len(prompts) - BATCH + 1, BATCH)]

base = DiffusionPipeline.from_pretrained(
    "stabilityai/stable-diffusion-xl-base-1.0", torch_dtype=torch.float16, variant="fp16"
).to("cuda")
base.set_progress_bar_config(disable=True)
for _ in range(3):
    base(batches[0], num_inference_steps=40, denoising_end=0.8, output_type="latent")
torch.cuda.synchronize()

refiner = None
samples = []
for b, batch in enumerate(batches):
    with Timer(samples):
        latents = base(batch, num_inference_steps=40, denoising_end=0.8, output_type="latent").images
        if refiner is None:
            refiner = DiffusionPipeline.from_pretrained("stabilityai/stable-diffusion-xl-refiner-1.0", torch_dtype=torch.float16)  # expect: BA204
            refiner.to("cuda")  # expect: BA204
        images = refiner(batch, image=latents, num_inference_steps=40, denoising_start=0.8).images
        for j, img in enumerate(images):
            img.save(f"out/{b:03d}_{j}.png")  # expect: BA203

print("base+refiner:", describe(samples, BATCH))
