"""BA302+BA303: one timed call per arm, baseline always first, and a speedup from those two numbers."""
import time

import torch
from diffusers import StableDiffusionPipeline

prompts = [
    "a watercolor of a fox reading a newspaper",
    "an aerial view of rice terraces in the morning mist",
    "a steampunk owl with brass goggles",
]


def load(repo):
    pipe = StableDiffusionPipeline.from_pretrained(repo, torch_dtype=torch.float16).to("cuda")
    pipe.set_progress_bar_config(disable=True)
    return pipe


base = load("runwayml/stable-diffusion-v1-5")
fast = load("nota-ai/bk-sdm-small")

for _ in range(3):
    base(prompts, num_inference_steps=25, output_type="np")
    fast(prompts, num_inference_steps=25, output_type="np")
torch.cuda.synchronize()

t0 = time.perf_counter()
base(prompts, num_inference_steps=25, output_type="np")
base_time = time.perf_counter() - t0  # expect: BA302

t0 = time.perf_counter()  # expect: BA303
fast(prompts, num_inference_steps=25, output_type="np")
fast_time = time.perf_counter() - t0

print(f"base {base_time:.2f}s, bk-sdm-small {fast_time:.2f}s")
print(f"speedup: {base_time / fast_time:.2f}x")
