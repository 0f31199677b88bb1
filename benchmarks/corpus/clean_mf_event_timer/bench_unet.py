"""Clean: raw SD UNet forwards (no implicit sync) timed by the event-based cuda_timer helper."""
import argparse

import torch
from diffusers import UNet2DConditionModel

from cuda_timing import cuda_timer, percentile


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--iters", type=int, default=30)
    args = parser.parse_args()

    unet = UNet2DConditionModel.from_pretrained(
        "runwayml/stable-diffusion-v1-5", subfolder="unet", torch_dtype=torch.float16
    ).to("cuda").eval()
    bs = args.batch_size
    sample = torch.randn(bs, 4, 64, 64, device="cuda", dtype=torch.float16)
    timestep = torch.tensor([500] * bs, device="cuda")
    context = torch.randn(bs, 77, 768, device="cuda", dtype=torch.float16)

    with torch.inference_mode():
        for _ in range(10):
            unet(sample, timestep, encoder_hidden_states=context)
        torch.cuda.synchronize()

        times = []
        for _ in range(args.iters):
            with cuda_timer() as t:
                unet(sample, timestep, encoder_hidden_states=context)
            times.append(t.ms)

    p50, p90 = percentile(times, 50), percentile(times, 90)
    print(f"UNet step, batch {bs}: p50 {p50:.2f} ms, p90 {p90:.2f} ms, {p50 / bs:.3f} ms/sample")


if __name__ == "__main__":
    main()
