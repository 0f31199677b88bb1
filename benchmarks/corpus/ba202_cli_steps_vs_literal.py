"""BA202: SDXL base runs the --steps CLI default while SSD-1B has 25 steps hard-coded."""
import argparse
import statistics
import time

import torch
from diffusers import StableDiffusionXLPipeline

parser = argparse.ArgumentParser(description="SDXL vs SSD-1B latency")
parser.add_argument("--steps", type=int, default=50)
parser.add_argument("--rounds", type=int, default=5)
args = parser.parse_args()

prompts = ["a portrait of an old fisherman, 35mm film", "a modernist house on a cliff at dusk"]
base = StableDiffusionXLPipeline.from_pretrained(
    "stabilityai/stable-diffusion-xl-base-1.0", torch_dtype=torch.float16, variant="fp16"
).to("cuda")
fast = StableDiffusionXLPipeline.from_pretrained(
    "segmind/SSD-1B", torch_dtype=torch.float16, variant="fp16"
).to("cuda")
for p in (base, fast):
    p.set_progress_bar_config(disable=True)


def run_base():
    return base(prompts, num_inference_steps=args.steps).images  # expect: BA202


def run_fast():
    return fast(prompts, num_inference_steps=25).images


for _ in range(3):
    run_base()
    run_fast()

times = {"sdxl": [], "ssd-1b": []}
for _ in range(args.rounds):
    for name, fn in (("sdxl", run_base), ("ssd-1b", run_fast)):
        t0 = time.perf_counter()
        fn()
        times[name].append(time.perf_counter() - t0)

speedup = statistics.median(times["sdxl"]) / statistics.median(times["ssd-1b"])
print(f"SSD-1B is {speedup:.2f}x faster than SDXL")
