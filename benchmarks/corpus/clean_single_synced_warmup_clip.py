"""Clean: the CLIP image encoder gets one synchronised warm-up call at the timed batch (enough for an eager model)."""
import time

import torch
from transformers import CLIPModel

model = CLIPModel.from_pretrained("openai/clip-vit-large-patch14", torch_dtype=torch.float16).to("cuda")
model.eval()
pixel_values = torch.randn(128, 3, 224, 224, device="cuda", dtype=torch.float16)
ITERS = 20

with torch.inference_mode():
    model.get_image_features(pixel_values=pixel_values)  # warm-up
    torch.cuda.synchronize()

    t0 = time.perf_counter()
    for _ in range(ITERS):
        feats = model.get_image_features(pixel_values=pixel_values)
    feats = feats.float().cpu()
    elapsed = time.perf_counter() - t0

images = ITERS * pixel_values.shape[0]
print(f"{images / elapsed:.0f} images/s, {elapsed / ITERS * 1e3:.1f} ms per batch of 128")
print(f"embedding dim {feats.shape[-1]}")
