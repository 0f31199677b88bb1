"""Clean: ResNet-50 latency from CUDA events, long warm-up, one synchronize before elapsed_time."""
import statistics

import torch
import torchvision

BATCH = 64
ITERS = 50

model = torchvision.models.resnet50(weights=None).cuda().eval().half()
x = torch.randn(BATCH, 3, 224, 224, device="cuda", dtype=torch.float16)
model = model.to(memory_format=torch.channels_last)
x = x.contiguous(memory_format=torch.channels_last)

starts = [torch.cuda.Event(enable_timing=True) for _ in range(ITERS)]
ends = [torch.cuda.Event(enable_timing=True) for _ in range(ITERS)]

with torch.inference_mode():
    for _ in range(20):
        model(x)
    torch.cuda.synchronize()

    for start, end in zip(starts, ends):
        start.record()
        model(x)
        end.record()
    torch.cuda.synchronize()

times_ms = sorted(s.elapsed_time(e) for s, e in zip(starts, ends))
median_ms = statistics.median(times_ms)
p90_ms = times_ms[int(0.9 * len(times_ms)) - 1]
print(f"batch {BATCH}: median {median_ms:.2f} ms, p90 {p90_ms:.2f} ms")
print(f"{median_ms / BATCH:.3f} ms/image, {BATCH / median_ms * 1e3:.0f} images/s")
