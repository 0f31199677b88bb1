"""BA101+BA103: a compiled MLP timed with time.time() and no synchronize before the closing read."""
import time

import torch
import torch.nn as nn


class MLP(nn.Module):
    def __init__(self, dim=4096, hidden=16384):
        super().__init__()
        self.up = nn.Linear(dim, hidden)
        self.down = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.down(torch.nn.functional.silu(self.up(x)))


def benchmark(model, x, iters=200):
    for _ in range(5):
        model(x)
    torch.cuda.synchronize()
    t0 = time.time()
    for _ in range(iters):
        model(x)
    elapsed = time.time() - t0  # expect: BA101, BA103
    return elapsed / iters


if __name__ == "__main__":
    device = torch.device("cuda")
    model = MLP().to(device).half().eval()
    model = torch.compile(model, mode="max-autotune-no-cudagraphs")
    x = torch.randn(2048, 4096, device=device, dtype=torch.float16)
    with torch.no_grad():
        per_iter = benchmark(model, x)
    flops = 2 * 2 * 2048 * 4096 * 16384
    print(f"{per_iter * 1e3:.3f} ms/iter, {flops / per_iter / 1e12:.1f} TFLOP/s")
