"""Clean: cache clearing, peak-memory reset, image saving and JSON output all sit outside the timer."""
import gc
import json
import statistics
import time

import torch
from diffusers import PixArtAlphaPipeline

pipe = PixArtAlphaPipeline.from_pretrained("PixArt-alpha/PixArt-XL-2-1024-MS", torch_dtype=torch.float16)
pipe.to("cuda")
pipe.set_progress_bar_config(disable=True)
prompts = ["a small cactus with a happy face in the Sahara desert", "an origami crane on a desk"]

for _ in range(3):
    pipe(prompts, num_inference_steps=20)

records = []
for run in range(5):
    gc.collect()
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    images = pipe(prompts, num_inference_steps=20).images
    elapsed = time.perf_counter() - t0
    peak_gb = torch.cuda.max_memory_allocated() / 1024**3
    records.append({"run": run, "seconds": elapsed, "peak_gb": peak_gb})
    if run == 0:
        for j, img in enumerate(images):
            img.save(f"pixart_{j}.png")

summary = {
    "timestamp": time.time(),
    "model": "PixArt-XL-2-1024-MS",
    "batch": len(prompts),
    "median_s": statistics.median(r["seconds"] for r in records),
    "peak_gb": max(r["peak_gb"] for r in records),
    "runs": records,
}
with open("pixart_bench.json", "w") as f:
    json.dump(summary, f, indent=2)
print(f"{summary['median_s']:.2f} s/batch, peak {summary['peak_gb']:.1f} GB")
