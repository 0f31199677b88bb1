"""BA207: the ToMe-patched arm also enables xformers attention, which the baseline never gets."""
import statistics
import time

import tomesd
import torch
from diffusers import StableDiffusionPipeline

REPO = "stabilityai/stable-diffusion-2-1-base"
prompts = ["a high quality photo of a corgi astronaut"] * 4


def load():
    pipe = StableDiffusionPipeline.from_pretrained(REPO, torch_dtype=torch.float16).to("cuda")
    pipe.set_progress_bar_config(disable=True)
    return pipe


baseline = load()
tome = load()
tomesd.apply_patch(tome, ratio=0.5)
tome.enable_xformers_memory_efficient_attention()  # expect: BA207

for _ in range(3):
    baseline(prompts, num_inference_steps=30)
    tome(prompts, num_inference_steps=30)

results = {"baseline": [], "tome-0.5": []}
for _ in range(5):
    for name, pipe in (("baseline", baseline), ("tome-0.5", tome)):
        t0 = time.perf_counter()
        pipe(prompts, num_inference_steps=30)
        results[name].append(time.perf_counter() - t0)

for name, ts in results.items():
    print(f"{name:>9}: {statistics.median(ts):.2f} s per batch of {len(prompts)}")
print(f"ToMe speedup: {statistics.median(results['baseline']) / statistics.median(results['tome-0.5']):.2f}x")
