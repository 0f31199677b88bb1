"""BA102: latent-output warm-ups queue GPU work and nothing synchronizes before the timer starts."""
import statistics
import time

import torch
from diffusers import StableDiffusion3Pipeline


def benchmark(pipe, prompts, steps=28, runs=5):
    for _ in range(3):
        pipe(prompts, num_inference_steps=steps, output_type="latent")

    t0 = time.perf_counter()  # expect: BA102
    for _ in range(runs):
        pipe(prompts, num_inference_steps=steps, output_type="np")
    total = time.perf_counter() - t0
    return total / runs


if __name__ == "__main__":
    pipe = StableDiffusion3Pipeline.from_pretrained(
        "stabilityai/stable-diffusion-3-medium-diffusers", torch_dtype=torch.float16
    ).to("cuda")
    pipe.set_progress_bar_config(disable=True)
    prompts = ["a capybara in a business suit", "a tiny city inside a lightbulb", "a jellyfish nebula"]
    per_batch = [benchmark(pipe, prompts) for _ in range(3)]
    med = statistics.median(per_batch)
    print(f"SD3 medium: {med:.2f} s per batch of {len(prompts)}, {med / len(prompts):.2f} s/image")
