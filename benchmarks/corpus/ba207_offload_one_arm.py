"""BA207: the candidate arm runs with model CPU offload while the baseline stays resident on GPU."""
import statistics
import time

import torch
from diffusers import StableDiffusion3Pipeline

REPO = "stabilityai/stable-diffusion-3-medium-diffusers"
prompt = ["a cat holding a sign that says hello world"] * 2

full = StableDiffusion3Pipeline.from_pretrained(REPO, torch_dtype=torch.float16)
full.to("cuda")
no_t5 = StableDiffusion3Pipeline.from_pretrained(REPO, text_encoder_3=None, tokenizer_3=None, torch_dtype=torch.float16)
no_t5.enable_model_cpu_offload()  # expect: BA207
for p in (full, no_t5):
    p.set_progress_bar_config(disable=True)
    for _ in range(3):
        p(prompt, num_inference_steps=28, guidance_scale=7.0)

arms = {"with-t5": full, "without-t5": no_t5}
times = {k: [] for k in arms}
for _ in range(5):
    for name, pipe in arms.items():
        t0 = time.perf_counter()
        pipe(prompt, num_inference_steps=28, guidance_scale=7.0)
        times[name].append(time.perf_counter() - t0)

for name, ts in times.items():
    print(f"{name:>11}: {statistics.median(ts):.2f} s (spread {max(ts) - min(ts):.2f} s)")
