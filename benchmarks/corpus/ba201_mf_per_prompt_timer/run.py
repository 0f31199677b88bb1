"""Bench script: images/s over a prompt file, one pipeline call per prompt inside the Timer."""
import argparse

import torch
from diffusers import StableDiffusionPipeline

from timer import Timer

parser = argparse.ArgumentParser()
parser.add_argument("--prompts", default="prompts.txt")
args = parser.parse_args()
with open(args.prompts, encoding="utf-8") as f:
    prompts = [line.strip() for line in f if line.strip()]

pipe = StableDiffusionPipeline.from_pretrained(
    "stabilityai/stable-diffusion-2-1-base", torch_dtype=torch.float16
).to("cuda")
pipe.set_progress_bar_config(disable=True)

for _ in range(3):
    pipe(prompts[0], num_inference_steps=25)

images = []
with Timer("all prompts") as t:
    for prompt in prompts:
        images.append(pipe(prompt, num_inference_steps=25).images[0])  # expect: BA201

print(t)
print(f"{len(images) / t.seconds:.2f} images/s, {t.seconds / len(images):.2f} s/image")
