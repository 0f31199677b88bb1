"""Clean: CUDA events recorded on the same side stream that runs the work, then stream.synchronize()."""
import statistics

import torch
from transformers import AutoModel

model = AutoModel.from_pretrained("bert-large-uncased", torch_dtype=torch.float16).cuda().eval()
input_ids = torch.randint(0, 30522, (32, 384), device="cuda")
side = torch.cuda.Stream()
side.wait_stream(torch.cuda.current_stream())


@torch.inference_mode()
def time_explicit_stream(iters=20):
    out = []
    for _ in range(iters):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record(side)
        with torch.cuda.stream(side):
            model(input_ids=input_ids)
        end.record(side)
        side.synchronize()
        out.append(start.elapsed_time(end))
    return out


@torch.inference_mode()
def time_inside_context(iters=20):
    out = []
    for _ in range(iters):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        with torch.cuda.stream(side):
            start.record()
            model(input_ids=input_ids)
            end.record()
        end.synchronize()
        out.append(start.elapsed_time(end))
    return out


with torch.inference_mode(), torch.cuda.stream(side):
    for _ in range(5):
        model(input_ids=input_ids)
side.synchronize()

a, b = [], []
for _ in range(3):
    a += time_explicit_stream()
    b += time_inside_context()
print(f"explicit stream arg: {statistics.median(a):.2f} ms, context: {statistics.median(b):.2f} ms")
