"""BA204: enable_model_cpu_offload() is called inside each timed FLUX run."""
import statistics
import time

import torch
from diffusers import FluxPipeline

pipe = FluxPipeline.from_pretrained("black-forest-labs/FLUX.1-schnell", torch_dtype=torch.bfloat16)
pipe.set_progress_bar_config(disable=True)
prompt = "a tiny astronaut hatching from an egg on the moon"

samples = []
peaks = []
for run in range(4):
    torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    pipe.enable_model_cpu_offload()  # expect: BA204
    image = pipe(prompt, num_inference_steps=4, guidance_scale=0.0, max_sequence_length=256).images[0]
    samples.append(time.perf_counter() - t0)
    peaks.append(torch.cuda.max_memory_allocated() / 2**30)
    if run == 0:
        image.save("flux_schnell.png")

print(f"FLUX.1-schnell, 4 steps, offloaded: {statistics.median(samples[1:]):.2f} s/image")
print(f"peak GPU memory {max(peaks):.1f} GiB")
