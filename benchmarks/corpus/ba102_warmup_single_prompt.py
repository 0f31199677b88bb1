"""BA102: warm-up runs one prompt, but the timed call pushes the whole batch through PixArt."""
import time

import torch
from diffusers import PixArtAlphaPipeline

pipe = PixArtAlphaPipeline.from_pretrained(
    "PixArt-alpha/PixArt-XL-2-512x512", torch_dtype=torch.float16
).to("cuda")
pipe.set_progress_bar_config(disable=True)

prompts = [
    "a cozy reading nook with a cat, warm light",
    "a neon sign that says 'open late', rainy night",
    "a bonsai tree on a floating rock",
    "a vintage camera on a wooden table",
    "a hot air balloon over cappadocia",
    "a close-up of a hummingbird drinking nectar",
]
REPEATS = 5

for _ in range(3):
    pipe(prompts[0], num_inference_steps=20)
torch.cuda.synchronize()

t0 = time.perf_counter()  # expect: BA102
for _ in range(REPEATS):
    images = pipe(prompts, num_inference_steps=20).images
elapsed = time.perf_counter() - t0

n = REPEATS * len(prompts)
print(f"{n} images in {elapsed:.1f}s: {elapsed / n:.3f} s/image, {n / elapsed:.2f} images/s")
