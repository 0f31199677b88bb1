"""Bench script: SD 1.5 latent generation timed through helpers.timed after an untimed warm-up."""
import torch
from diffusers import StableDiffusionPipeline

from helpers import summary, timed

pipe = StableDiffusionPipeline.from_pretrained(
    "runwayml/stable-diffusion-v1-5", torch_dtype=torch.float16
).to("cuda")
pipe.set_progress_bar_config(disable=True)
prompts = ["a tabby cat sleeping on a stack of books"] * 8


def generate(batch):
    return pipe(batch, num_inference_steps=25, output_type="latent").images


for _ in range(3):
    generate(prompts)
torch.cuda.synchronize()

timed_generate = timed(generate)
for _ in range(10):
    timed_generate(prompts)

print("SD 1.5 latents, batch 8:", summary(timed_generate.samples, per=len(prompts)))
