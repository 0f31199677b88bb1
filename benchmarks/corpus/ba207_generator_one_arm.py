"""BA207: only the second arm passes a seeded generator; the baseline call has none."""
import argparse
import statistics
import time

import torch
from diffusers import AutoPipelineForText2Image, LCMScheduler

parser = argparse.ArgumentParser()
parser.add_argument("--rounds", type=int, default=5)
args = parser.parse_args()

prompts = ["a self-portrait of a raccoon, oil on canvas"] * 4
base = AutoPipelineForText2Image.from_pretrained("Lykon/dreamshaper-7", torch_dtype=torch.float16).to("cuda")
lcm = AutoPipelineForText2Image.from_pretrained("Lykon/dreamshaper-7", torch_dtype=torch.float16).to("cuda")
lcm.scheduler = LCMScheduler.from_config(lcm.scheduler.config)
lcm.load_lora_weights("latent-consistency/lcm-lora-sdv1-5")
lcm.fuse_lora()
for p in (base, lcm):
    p.set_progress_bar_config(disable=True)


def run_base():
    return base(prompts, num_inference_steps=25, guidance_scale=1.5, output_type="np")


def run_lcm():
    g = torch.Generator("cuda").manual_seed(1234)
    return lcm(prompts, num_inference_steps=4, guidance_scale=1.5, generator=g, output_type="np")  # expect: BA207


for _ in range(3):
    run_base()
    run_lcm()

t = {"base": [], "lcm": []}
for _ in range(args.rounds):
    for name, fn in (("base", run_base), ("lcm", run_lcm)):
        start = time.perf_counter()
        fn()
        t[name].append(time.perf_counter() - start)

print(f"LCM-LoRA speedup (25 -> 4 steps): {statistics.median(t['base']) / statistics.median(t['lcm']):.2f}x")
