"""BA205: torch.cuda.empty_cache() runs inside every timed iteration of a Stable Cascade benchmark."""
import statistics
import time

import torch
from diffusers import StableCascadeCombinedPipeline

pipe = StableCascadeCombinedPipeline.from_pretrained(
    "stabilityai/stable-cascade", variant="bf16", torch_dtype=torch.bfloat16
).to("cuda")
pipe.set_progress_bar_config(disable=True)
prompt = ["an image of a shiba inu, donning a spacesuit and helmet"] * 2


def generate():
    return pipe(
        prompt=prompt,
        num_inference_steps=10,
        prior_num_inference_steps=20,
        prior_guidance_scale=3.0,
        width=1024,
        height=1024,
        output_type="np",
    ).images


for _ in range(3):
    generate()

latencies = []
for _ in range(6):
    t0 = time.perf_counter()
    torch.cuda.empty_cache()  # expect: BA205
    generate()
    latencies.append(time.perf_counter() - t0)

print(f"stable cascade: {statistics.median(latencies):.2f} s per batch of {len(prompt)}")
