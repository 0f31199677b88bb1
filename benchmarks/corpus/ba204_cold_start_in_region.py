"""BA204: from_pretrained and the move to the GPU are inside the 'generation time' measurement."""
import argparse
import time

import torch
from diffusers import StableDiffusionXLPipeline

parser = argparse.ArgumentParser()
parser.add_argument("--model", default="stabilityai/stable-diffusion-xl-base-1.0")
parser.add_argument("--prompt", default="a majestic lion jumping from a big stone at night")
parser.add_argument("--images", type=int, default=4)
args = parser.parse_args()

prompts = [args.prompt] * args.images

t0 = time.perf_counter()  # expect: BA102
pipe = StableDiffusionXLPipeline.from_pretrained(args.model, torch_dtype=torch.float16, variant="fp16")  # expect: BA204
pipe.to("cuda")  # expect: BA204
pipe.set_progress_bar_config(disable=True)
images = pipe(prompts, num_inference_steps=30).images
elapsed = time.perf_counter() - t0

for i, img in enumerate(images):
    img.save(f"lion_{i}.png")
print(f"generation time: {elapsed:.1f}s for {len(images)} images ({elapsed / len(images):.2f} s/image)")
