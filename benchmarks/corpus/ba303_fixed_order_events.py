"""BA303: the unfused UNet is always measured first, then the QKV-fused one, each block run once."""
import statistics

import torch
from diffusers import UNet2DConditionModel

unet = UNet2DConditionModel.from_pretrained(
    "stabilityai/stable-diffusion-xl-base-1.0", subfolder="unet", torch_dtype=torch.float16, variant="fp16"
).to("cuda").eval()
sample = torch.randn(2, 4, 128, 128, device="cuda", dtype=torch.float16)
t = torch.tensor([500, 500], device="cuda")
ctx = torch.randn(2, 77, 2048, device="cuda", dtype=torch.float16)
added = {"text_embeds": torch.randn(2, 1280, device="cuda", dtype=torch.float16),
         "time_ids": torch.randn(2, 6, device="cuda", dtype=torch.float16)}


def step():
    return unet(sample, t, encoder_hidden_states=ctx, added_cond_kwargs=added).sample


with torch.inference_mode():
    for _ in range(5):
        step()
    torch.cuda.synchronize()
    unfused = []
    for _ in range(20):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        step()
        e.record()
        torch.cuda.synchronize()
        unfused.append(s.elapsed_time(e))

    unet.fuse_qkv_projections()
    for _ in range(5):
        step()
    torch.cuda.synchronize()
    fused = []
    for _ in range(20):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()  # expect: BA303
        step()
        e.record()
        torch.cuda.synchronize()
        fused.append(s.elapsed_time(e))

u, f = statistics.median(unfused), statistics.median(fused)
print(f"unfused {u:.2f} ms, fused {f:.2f} ms, speedup {u / f:.3f}x")
