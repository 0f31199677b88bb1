"""BA101: CUDA events around a UNet step, elapsed_time read right after end.record() with no sync."""
import statistics

import torch
from diffusers import UNet2DConditionModel

unet = UNet2DConditionModel.from_pretrained(
    "stabilityai/stable-diffusion-2-1", subfolder="unet", torch_dtype=torch.float16
).to("cuda")
unet.eval()

latents = torch.randn(4, 4, 96, 96, device="cuda", dtype=torch.float16)
t = torch.full((4,), 999, device="cuda")
text = torch.randn(4, 77, 1024, device="cuda", dtype=torch.float16)

with torch.inference_mode():
    for _ in range(5):
        unet(latents, t, encoder_hidden_states=text)
    torch.cuda.synchronize()

    step_ms = []
    for _ in range(25):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        noise_pred = unet(latents, t, encoder_hidden_states=text).sample
        end.record()
        step_ms.append(start.elapsed_time(end))  # expect: BA101

print(f"UNet step: {statistics.median(step_ms):.2f} ms (batch 4, 768px)")
print(f"output {tuple(noise_pred.shape)}")
