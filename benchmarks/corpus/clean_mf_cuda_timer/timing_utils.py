"""Clean helper: a CUDA-aware Timer context manager that synchronizes on enter and exit."""
import statistics
import time

import torch


class CudaTimer:
    """Wall-clock timer for GPU work; the synchronizes make the reading cover queued kernels."""

    def __init__(self, name, sink=None):
        self.name = name
        self.sink = sink if sink is not None else []
        self.elapsed = None

    def __enter__(self):
        torch.cuda.synchronize()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, exc_type, exc, tb):
        torch.cuda.synchronize()
        self.elapsed = time.perf_counter() - self._t0
        self.sink.append(self.elapsed)
        return False


def summarize(samples):
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "median": statistics.median(ordered),
        "min": ordered[0],
        "max": ordered[-1],
    }
