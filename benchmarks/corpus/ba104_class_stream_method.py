"""BA104: a runner class issues work on its own stream; the benchmark records events on the default."""
import statistics

import torch
from diffusers import AutoencoderKL


class VaeDecoder:
    def __init__(self, repo="stabilityai/sd-vae-ft-mse"):
        self.vae = AutoencoderKL.from_pretrained(repo, torch_dtype=torch.float16).to("cuda").eval()
        self.stream = torch.cuda.Stream()

    @torch.inference_mode()
    def decode(self, latents):
        self.stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(self.stream):
            return self.vae.decode(latents / self.vae.config.scaling_factor).sample


def benchmark(runner, latents, iters=20):
    for _ in range(5):
        runner.decode(latents)
    torch.cuda.synchronize()
    ms = []
    for _ in range(iters):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        runner.decode(latents)
        end.record()  # expect: BA104
        torch.cuda.synchronize()
        ms.append(start.elapsed_time(end))
    return ms


if __name__ == "__main__":
    latents = torch.randn(4, 4, 128, 128, device="cuda", dtype=torch.float16)
    ms = benchmark(VaeDecoder(), latents)
    print(f"VAE decode 4x1024px: {statistics.median(ms):.1f} ms (p90 {sorted(ms)[17]:.1f} ms)")
