"""Clean: PixArt-Sigma latent generation timed with the syncing CudaTimer from timing_utils."""
import torch
from diffusers import PixArtSigmaPipeline

from timing_utils import CudaTimer, summarize

pipe = PixArtSigmaPipeline.from_pretrained(
    "PixArt-alpha/PixArt-Sigma-XL-2-1024-MS", torch_dtype=torch.float16
).to("cuda")
pipe.set_progress_bar_config(disable=True)

prompts = [
    "a glass sculpture of a whale, museum lighting",
    "a paper boat on a rainy street",
    "an overgrown greenhouse, volumetric light",
    "a snowy mountain hut at twilight",
]

# latent output avoids the VAE; the explicit synchronize closes the warm-up
for _ in range(3):
    pipe(prompts, num_inference_steps=20, output_type="latent")
torch.cuda.synchronize()

samples = []
for _ in range(5):
    with CudaTimer("transformer", sink=samples):
        pipe(prompts, num_inference_steps=20, output_type="latent")

stats = summarize(samples)
print(f"{stats['median']:.3f} s/batch median over {stats['n']} runs ({stats['min']:.3f}-{stats['max']:.3f})")
print(f"{stats['median'] / len(prompts):.3f} s/image")
