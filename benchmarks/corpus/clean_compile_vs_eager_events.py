"""Clean: torch.compile vs eager ViT with CUDA events, three compiled warm-ups, arms alternated."""
import statistics

import torch
from transformers import ViTForImageClassification

model = ViTForImageClassification.from_pretrained(
    "google/vit-base-patch16-224", torch_dtype=torch.float16
).to("cuda").eval()
compiled = torch.compile(model, mode="max-autotune")
pixel_values = torch.randn(32, 3, 224, 224, device="cuda", dtype=torch.float16)
ITERS = 20


def measure(fn):
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(ITERS):
        fn(pixel_values=pixel_values)
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / ITERS


with torch.inference_mode():
    for _ in range(3):
        model(pixel_values=pixel_values)
        compiled(pixel_values=pixel_values)
    torch.cuda.synchronize()

    samples = {"eager": [], "compiled": []}
    for rep in range(10):
        for name, fn in (("eager", model), ("compiled", compiled)):
            samples[name].append(measure(fn))

for name, ms in samples.items():
    print(f"{name:>8}: median {statistics.median(ms):.2f} ms/batch, stdev {statistics.stdev(ms):.3f}")
speedup = statistics.median(samples["eager"]) / statistics.median(samples["compiled"])
print(f"torch.compile speedup: {speedup:.2f}x")
