"""Clean: Whisper encoder timed with an aliased synchronize imported from torch.cuda."""
import time
from statistics import median

import torch
from torch.cuda import synchronize as cuda_sync
from transformers import WhisperForConditionalGeneration

model = WhisperForConditionalGeneration.from_pretrained(
    "openai/whisper-large-v3", torch_dtype=torch.float16
).to("cuda").eval()
encoder = model.get_encoder()
features = torch.randn(8, 128, 3000, device="cuda", dtype=torch.float16)


def bench_encoder(iters=15):
    with torch.inference_mode():
        for _ in range(5):
            encoder(features)
        cuda_sync()
        t0 = time.perf_counter()
        for _ in range(iters):
            encoder(features)
        cuda_sync()
        total = time.perf_counter() - t0
    return total / iters


samples = [bench_encoder() for _ in range(5)]
per_batch = median(samples)
print(f"encoder: {per_batch * 1e3:.1f} ms per batch of 8 x 30 s audio")
print(f"{per_batch / 8 * 1e3:.1f} ms per clip, {8 * 30 / per_batch:.0f}x real time")
