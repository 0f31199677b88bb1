"""BA301: total seconds over all prompts divided by total seconds over only the first four prompts."""
import argparse
import statistics
import time

import torch
from diffusers import StableDiffusionPipeline


def total_time(pipe, prompts, bs):
    for _ in range(2):
        pipe(prompts[:bs], num_inference_steps=25, output_type="np")
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for i in range(0, len(prompts), bs):
        pipe(prompts[i:i + bs], num_inference_steps=25, output_type="np")
    return time.perf_counter() - t0


parser = argparse.ArgumentParser()
parser.add_argument("--prompts", default="coco_captions_64.txt")
parser.add_argument("--batch-size", type=int, default=4)
args = parser.parse_args()
with open(args.prompts, encoding="utf-8") as f:
    prompts = [line.strip() for line in f if line.strip()]
bs = args.batch_size

base = StableDiffusionPipeline.from_pretrained("CompVis/stable-diffusion-v1-4", torch_dtype=torch.float16).to("cuda")
tiny = StableDiffusionPipeline.from_pretrained("nota-ai/bk-sdm-tiny", torch_dtype=torch.float16).to("cuda")
for p in (base, tiny):
    p.set_progress_bar_config(disable=True)
    for _ in range(3):
        p(prompts[:bs], num_inference_steps=25, output_type="np")

quick = prompts[:4]
base_totals, tiny_totals = [], []
for _ in range(3):
    base_totals.append(total_time(base, prompts, bs))
    tiny_totals.append(total_time(tiny, quick, bs))

speedup = statistics.median(base_totals) / statistics.median(tiny_totals)  # expect: BA301
print(f"bk-sdm-tiny speedup: {speedup:.2f}x")
