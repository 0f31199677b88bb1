"""BA207: SSD-1B is called with lower guidance and 768px while SDXL gets 7.5 and 1024px."""
import random
import statistics
import time

import torch
from diffusers import StableDiffusionXLPipeline

prompts = ["a ceramic owl on a bookshelf", "a rainy tokyo alley with neon signs"]


def load(repo):
    pipe = StableDiffusionXLPipeline.from_pretrained(repo, torch_dtype=torch.float16, variant="fp16")
    pipe.set_progress_bar_config(disable=True)
    return pipe.to("cuda")


sdxl = load("stabilityai/stable-diffusion-xl-base-1.0")
ssd = load("segmind/SSD-1B")


def run_sdxl():
    return sdxl(prompts, num_inference_steps=30, guidance_scale=7.5, height=1024, width=1024).images


def run_ssd():
    return ssd(prompts, num_inference_steps=30, guidance_scale=5.0, height=768, width=768).images  # expect: BA207


arms = [("sdxl", run_sdxl), ("ssd-1b", run_ssd)]
for _, fn in arms:
    for _ in range(3):
        fn()

samples = {name: [] for name, _ in arms}
for _ in range(6):
    random.shuffle(arms)
    for name, fn in arms:
        t0 = time.perf_counter()
        fn()
        samples[name].append(time.perf_counter() - t0)

print(f"SSD-1B speedup: {statistics.median(samples['sdxl']) / statistics.median(samples['ssd-1b']):.2f}x")
