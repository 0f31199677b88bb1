"""BA202: the baseline omits num_inference_steps (pipeline default) while DeepCache gets --steps."""
import argparse
import statistics
import time

import torch
from DeepCache import DeepCacheSDHelper
from diffusers import StableDiffusionPipeline

REPO = "stabilityai/stable-diffusion-2-1-base"


def load():
    pipe = StableDiffusionPipeline.from_pretrained(REPO, torch_dtype=torch.float16).to("cuda")
    pipe.set_progress_bar_config(disable=True)
    return pipe


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--cache-interval", type=int, default=3)
    args = parser.parse_args()

    prompts = ["a photo of a golden retriever in a field of tulips"] * 4
    baseline = load()
    cached = load()
    helper = DeepCacheSDHelper(pipe=cached)
    helper.set_params(cache_interval=args.cache_interval, cache_branch_id=0)
    helper.enable()

    def run_baseline():
        return baseline(prompts, output_type="np")

    def run_deepcache():
        return cached(prompts, num_inference_steps=args.steps, output_type="np")  # expect: BA202

    for _ in range(3):
        run_baseline()
        run_deepcache()

    samples = {"baseline": [], "deepcache": []}
    for _ in range(5):
        for name, fn in (("baseline", run_baseline), ("deepcache", run_deepcache)):
            t0 = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - t0)

    ratio = statistics.median(samples["baseline"]) / statistics.median(samples["deepcache"])
    print(f"DeepCache (interval {args.cache_interval}) speedup: {ratio:.2f}x")


if __name__ == "__main__":
    main()
