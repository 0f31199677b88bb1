"""BA204: the freshly torch.compile'd Swin model is first called inside the timed loop, never warmed."""
import time

import torch
from transformers import AutoModelForImageClassification

model = AutoModelForImageClassification.from_pretrained(
    "microsoft/swin-base-patch4-window7-224", torch_dtype=torch.float16
).to("cuda").eval()
model = torch.compile(model, mode="max-autotune")
pixel_values = torch.randn(64, 3, 224, 224, device="cuda", dtype=torch.float16)
ITERS = 100

with torch.inference_mode():
    torch.cuda.synchronize()
    t0 = time.perf_counter()  # expect: BA102
    for _ in range(ITERS):
        logits = model(pixel_values=pixel_values).logits  # expect: BA204
    torch.cuda.synchronize()
    elapsed = time.perf_counter() - t0

print(f"compiled swin-base: {elapsed / ITERS * 1e3:.2f} ms/batch, {ITERS * 64 / elapsed:.0f} images/s")
print(f"top-1 of first image: {logits[0].argmax().item()}")
