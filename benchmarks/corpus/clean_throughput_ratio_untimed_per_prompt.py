"""Clean: images/s ratio of two pipelines timed in alternation; the per-prompt pass afterwards is untimed."""
import statistics
import time

import torch
from diffusers import StableDiffusionPipeline

prompts = [
    "a hedgehog wearing a tiny scarf",
    "a cyberpunk street market at night",
    "a sailboat on a calm lake at dawn",
    "a stained glass window depicting a whale",
]


def load(repo):
    pipe = StableDiffusionPipeline.from_pretrained(repo, torch_dtype=torch.float16).to("cuda")
    pipe.set_progress_bar_config(disable=True)
    return pipe


arms = {"sd-v1-5": load("runwayml/stable-diffusion-v1-5"), "bk-sdm-tiny": load("nota-ai/bk-sdm-tiny")}
for pipe in arms.values():
    for _ in range(3):
        pipe(prompts, num_inference_steps=25)

ips = {name: [] for name in arms}
for _ in range(5):
    for name, pipe in arms.items():
        t0 = time.perf_counter()
        out = pipe(prompts, num_inference_steps=25)
        ips[name].append(len(out.images) / (time.perf_counter() - t0))

ratio = statistics.median(ips["bk-sdm-tiny"]) / statistics.median(ips["sd-v1-5"])
print(f"throughput ratio (tiny / base): {ratio:.2f}x")

# qualitative check: one image per prompt from each arm, outside any timing
for name, pipe in arms.items():
    for k, prompt in enumerate(prompts):
        pipe(prompt, num_inference_steps=25).images[0].save(f"{name}_{k}.png")
