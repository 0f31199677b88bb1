"""BA207: the distilled arm is loaded in float32 while the baseline runs in float16."""
import statistics
import time

import torch
from diffusers import StableDiffusionPipeline

prompts = ["a red fox in the snow", "a lighthouse at dusk", "a bowl of ramen", "a koi pond in autumn"]

base = StableDiffusionPipeline.from_pretrained("runwayml/stable-diffusion-v1-5", torch_dtype=torch.float16)
distilled = StableDiffusionPipeline.from_pretrained("nota-ai/bk-sdm-base", torch_dtype=torch.float32)  # expect: BA207
arms = {"sd-v1-5": base.to("cuda"), "bk-sdm-base": distilled.to("cuda")}
for pipe in arms.values():
    pipe.set_progress_bar_config(disable=True)
    for _ in range(3):
        pipe(prompts, num_inference_steps=25, output_type="np")

times = {name: [] for name in arms}
for _ in range(5):
    for name, pipe in arms.items():
        t0 = time.perf_counter()
        pipe(prompts, num_inference_steps=25, output_type="np")
        times[name].append(time.perf_counter() - t0)

for name, ts in times.items():
    print(f"{name:>12}: {statistics.median(ts):.2f} s/batch (stdev {statistics.stdev(ts):.3f})")
print(f"speedup: {statistics.median(times['sd-v1-5']) / statistics.median(times['bk-sdm-base']):.2f}x")
