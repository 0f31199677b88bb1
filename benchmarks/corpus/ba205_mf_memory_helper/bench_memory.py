"""Bench script: time and peak memory of the SDXL VAE decoder per batch size via memory_utils.measure."""
import statistics

import torch
from diffusers import AutoencoderKL

from memory_utils import fmt_row, measure

vae = AutoencoderKL.from_pretrained("madebyollin/sdxl-vae-fp16-fix", torch_dtype=torch.float16).to("cuda")
vae.eval()
vae.enable_tiling()


@torch.inference_mode()
def decode(latents):
    return vae.decode(latents / vae.config.scaling_factor).sample


for bs in (1, 2, 4, 8):
    latents = torch.randn(bs, 4, 128, 128, device="cuda", dtype=torch.float16)
    for _ in range(3):
        decode(latents)
    torch.cuda.synchronize()

    runs = [measure(decode, latents) for _ in range(5)]
    seconds = statistics.median(r[1] for r in runs)
    peak = max(r[2] for r in runs)
    print(fmt_row(f"bs={bs}", seconds, peak, bs))
