"""BA201: SD-Turbo images/s measured by feeding one prompt per pipeline call inside the timer."""
import argparse
import time

import torch
from diffusers import AutoPipelineForText2Image

parser = argparse.ArgumentParser()
parser.add_argument("--prompts", default="parti_prompts.txt")
parser.add_argument("--limit", type=int, default=64)
args = parser.parse_args()

with open(args.prompts, encoding="utf-8") as f:
    prompts = [line.strip() for line in f if line.strip()][: args.limit]

pipe = AutoPipelineForText2Image.from_pretrained(
    "stabilityai/sd-turbo", torch_dtype=torch.float16, variant="fp16"
).to("cuda")
pipe.set_progress_bar_config(disable=True)

for _ in range(3):
    pipe(prompts[0], num_inference_steps=1, guidance_scale=0.0)

images = []
t0 = time.perf_counter()
for prompt in prompts:
    image = pipe(prompt, num_inference_steps=1, guidance_scale=0.0).images[0]  # expect: BA201
    images.append(image)
elapsed = time.perf_counter() - t0

print(f"{len(images)} images in {elapsed:.2f}s -> {len(images) / elapsed:.1f} images/s")
