"""Helper module: Timer context manager with synchronize on both edges (itself clean)."""
import statistics
import time

import torch


class Timer:
    def __init__(self, sink):
        self.sink = sink

    def __enter__(self):
        torch.cuda.synchronize()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        torch.cuda.synchronize()
        self.sink.append(time.perf_counter() - self.t0)
        return False


def describe(samples, per):
    med = statistics.median(samples)
    return f"{med:.2f} s/batch, {med / per:.2f} s/image, min {min(samples):.2f} s, n={len(samples)}"
