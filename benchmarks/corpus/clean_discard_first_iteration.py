"""Clean: per-iteration SDXL latency with latent output plus explicit sync; first iteration discarded."""
import argparse
import statistics
import time

import torch
from diffusers import StableDiffusionXLPipeline


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=2)
    return p.parse_args()


def main():
    args = parse_args()
    pipe = StableDiffusionXLPipeline.from_pretrained(
        "stabilityai/stable-diffusion-xl-base-1.0",
        torch_dtype=torch.float16,
        variant="fp16",
        use_safetensors=True,
    ).to("cuda")
    pipe.set_progress_bar_config(disable=True)
    prompt = ["a studio photo of a ceramic teapot shaped like a snail"] * args.batch_size

    samples = []
    for i in range(args.iters + 1):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        latents = pipe(prompt, num_inference_steps=30, output_type="latent").images
        torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        if i == 0:
            continue  # cold iteration: kernels selected, allocator grows
        samples.append(dt)

    print(f"latent shape {tuple(latents.shape)}")
    med = statistics.median(samples)
    print(f"UNet+text encoders: {med:.3f} s/batch, {med / args.batch_size:.3f} s/image")
    print(f"spread {min(samples):.3f}..{max(samples):.3f} s over {len(samples)} iterations")


if __name__ == "__main__":
    main()
