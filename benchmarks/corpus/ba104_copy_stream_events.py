"""BA104: events recorded on the copy stream while the ResNet forward runs on the compute stream."""
import statistics

import torch
import torchvision

model = torchvision.models.resnet101(weights=None).cuda().eval().half()
copy_stream = torch.cuda.Stream()
compute_stream = torch.cuda.Stream()
host_batches = [torch.randn(64, 3, 224, 224, dtype=torch.float16).pin_memory() for _ in range(4)]


def step(host):
    with torch.cuda.stream(copy_stream):
        x = host.to("cuda", non_blocking=True)
    compute_stream.wait_stream(copy_stream)
    with torch.cuda.stream(compute_stream):
        return model(x)


with torch.inference_mode():
    for hb in host_batches:
        step(hb)
    for hb in host_batches:
        step(hb)
    torch.cuda.synchronize()

    samples = []
    for hb in host_batches * 5:
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record(copy_stream)
        step(hb)
        end.record(copy_stream)  # expect: BA104
        torch.cuda.synchronize()
        samples.append(start.elapsed_time(end))

ms = statistics.median(samples)
print(f"H2D + forward per batch of 64: {ms:.2f} ms -> {64 / ms * 1e3:.0f} images/s")
