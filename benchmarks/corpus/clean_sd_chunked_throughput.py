"""Clean: SD 1.5 images/s over prompt chunks, batch-shaped warm-up, numpy output as the host sync."""
import argparse
import time

import torch
from diffusers import StableDiffusionPipeline


def read_prompts(path):
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def main():
    parser = argparse.ArgumentParser(description="Images/s for a Stable Diffusion checkpoint")
    parser.add_argument("--model", default="runwayml/stable-diffusion-v1-5")
    parser.add_argument("--prompts", default="prompts.txt")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--steps", type=int, default=25)
    args = parser.parse_args()

    prompts = read_prompts(args.prompts)
    bs = args.batch_size
    pipe = StableDiffusionPipeline.from_pretrained(args.model, torch_dtype=torch.float16)
    pipe = pipe.to("cuda")
    pipe.set_progress_bar_config(disable=True)

    # warm up at the exact batch shape that is timed below
    for _ in range(3):
        pipe(prompts[:bs], num_inference_steps=args.steps, output_type="np")
    torch.cuda.synchronize()

    n_images = 0
    t0 = time.perf_counter()
    for i in range(0, len(prompts), bs):
        batch = prompts[i:i + bs]
        out = pipe(batch, num_inference_steps=args.steps, output_type="np")
        n_images += len(out.images)
    torch.cuda.synchronize()
    elapsed = time.perf_counter() - t0

    print(f"{n_images} images in {elapsed:.2f}s -> {n_images / elapsed:.2f} img/s")
    print(f"{elapsed / n_images * 1e3:.0f} ms per image at batch size {bs}")


if __name__ == "__main__":
    main()
