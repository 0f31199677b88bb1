"""BA207+BA303: TF32 is switched on just before the compiled arm, which is always timed second."""
import time

import torch
import torchvision

ITERS = 50
model = torchvision.models.convnext_base(weights=None).cuda().eval()
x = torch.randn(32, 3, 224, 224, device="cuda")

with torch.no_grad():
    for _ in range(5):
        model(x)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(ITERS):
        model(x)
    torch.cuda.synchronize()
    eager_s = (time.perf_counter() - t0) / ITERS

    torch.backends.cuda.matmul.allow_tf32 = True  # expect: BA207
    compiled = torch.compile(model)
    for _ in range(5):
        compiled(x)
    torch.cuda.synchronize()
    t0 = time.perf_counter()  # expect: BA303
    for _ in range(ITERS):
        compiled(x)
    torch.cuda.synchronize()
    compiled_s = (time.perf_counter() - t0) / ITERS

print(f"eager {eager_s * 1e3:.2f} ms/batch, compiled {compiled_s * 1e3:.2f} ms/batch")
print(f"torch.compile speedup: {eager_s / compiled_s:.2f}x")
