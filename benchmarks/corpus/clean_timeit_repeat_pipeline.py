"""Clean: timeit.repeat(number=1, repeat=7) gives seven samples of a synced Kandinsky 2.2 call."""
import statistics
import timeit

import torch
from diffusers import AutoPipelineForText2Image

pipe = AutoPipelineForText2Image.from_pretrained(
    "kandinsky-community/kandinsky-2-2-decoder", torch_dtype=torch.float16
)
pipe = pipe.to("cuda")
pipe.set_progress_bar_config(disable=True)
prompts = ["a portrait of a fox in a victorian suit", "a foggy pine forest, morning light"]


def generate():
    return pipe(prompt=prompts, num_inference_steps=25, height=768, width=768, output_type="np").images


for _ in range(3):
    generate()

samples = timeit.repeat(generate, number=1, repeat=7)
best = min(samples)
med = statistics.median(samples)
print(f"best {best:.3f}s  median {med:.3f}s  stdev {statistics.stdev(samples):.3f}s per batch")
print(f"{med / len(prompts):.3f} s/image")
