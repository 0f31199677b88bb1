"""BA301: the speedup divides the baseline's seconds per image by the candidate's seconds per batch."""
import statistics
import time

import torch
from diffusers import StableDiffusionPipeline

prompts = [
    "a lighthouse on a rocky coast, long exposure",
    "a plate of sushi, overhead shot",
    "a fantasy map drawn on parchment",
    "a vintage car in havana, golden hour",
]


def load(repo):
    pipe = StableDiffusionPipeline.from_pretrained(repo, torch_dtype=torch.float16).to("cuda")
    pipe.set_progress_bar_config(disable=True)
    return pipe


base = load("runwayml/stable-diffusion-v1-5")
small = load("segmind/small-sd")

for _ in range(3):
    base(prompts, num_inference_steps=25, output_type="np")
    small(prompts, num_inference_steps=25, output_type="np")

base_per_image, small_per_batch = [], []
for _ in range(5):
    t0 = time.perf_counter()
    base(prompts, num_inference_steps=25, output_type="np")
    base_per_image.append((time.perf_counter() - t0) / len(prompts))

    t0 = time.perf_counter()
    small(prompts, num_inference_steps=25, output_type="np")
    small_per_batch.append(time.perf_counter() - t0)

base_s = statistics.median(base_per_image)
small_s = statistics.median(small_per_batch)
speedup = base_s / small_s  # expect: BA301
print(f"base {base_s:.3f} s, small-sd {small_s:.3f} s -> speedup {speedup:.2f}x")
