"""Clean: SD 1.5 vs BK-SDM-Small with identical call settings, arm order shuffled every round."""
import argparse
import random
import statistics
import time

import torch
from diffusers import StableDiffusionPipeline

PROMPTS = [
    "a photo of an astronaut riding a horse on mars",
    "a bowl of ramen, studio lighting, 85mm",
    "a medieval village in the snow, oil painting",
    "a corgi wearing sunglasses on a beach",
    "a futuristic tram in a neon city at night",
    "a still life of lemons and a copper jug",
]


def load(repo):
    pipe = StableDiffusionPipeline.from_pretrained(repo, torch_dtype=torch.float16, safety_checker=None)
    pipe.set_progress_bar_config(disable=True)
    return pipe.to("cuda")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    pipes = {
        "sd-v1-5": load("runwayml/stable-diffusion-v1-5"),
        "bk-sdm-small": load("nota-ai/bk-sdm-small"),
    }

    def run(pipe):
        generator = torch.Generator("cuda").manual_seed(args.seed)
        return pipe(PROMPTS, num_inference_steps=args.steps, guidance_scale=7.5, generator=generator)

    for pipe in pipes.values():
        for _ in range(3):
            run(pipe)

    rng = random.Random(args.seed)
    per_image = {name: [] for name in pipes}
    for _ in range(args.rounds):
        order = list(pipes)
        rng.shuffle(order)
        for name in order:
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            out = run(pipes[name])
            per_image[name].append((time.perf_counter() - t0) / len(out.images))

    for name, ts in per_image.items():
        print(f"{name:>13}: {statistics.median(ts):.3f} s/image (min {min(ts):.3f}, max {max(ts):.3f})")
    speedup = statistics.median(per_image["sd-v1-5"]) / statistics.median(per_image["bk-sdm-small"])
    print(f"bk-sdm-small speedup: {speedup:.2f}x at {args.steps} steps")


if __name__ == "__main__":
    main()
