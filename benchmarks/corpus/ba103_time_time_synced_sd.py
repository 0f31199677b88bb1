"""BA103: properly synchronized SD 2.1 timing, but the interval is read from time.time()."""
import statistics
import time

import torch
from diffusers import DPMSolverMultistepScheduler, StableDiffusionPipeline

pipe = StableDiffusionPipeline.from_pretrained("stabilityai/stable-diffusion-2-1", torch_dtype=torch.float16)
pipe.scheduler = DPMSolverMultistepScheduler.from_config(pipe.scheduler.config)
pipe = pipe.to("cuda")
pipe.set_progress_bar_config(disable=True)

prompt = ["a cat astronaut floating above the earth, digital art"] * 4

for _ in range(3):
    pipe(prompt, num_inference_steps=25, output_type="latent")
torch.cuda.synchronize()

runs = []
for _ in range(8):
    torch.cuda.synchronize()
    begin = time.time()
    pipe(prompt, num_inference_steps=25, output_type="latent")
    torch.cuda.synchronize()
    end = time.time()  # expect: BA103
    runs.append(end - begin)

print(f"SD 2.1 + DPM++ 25 steps, batch 4: {statistics.median(runs):.3f} s median")
print(f"min {min(runs):.3f}s, max {max(runs):.3f}s")
