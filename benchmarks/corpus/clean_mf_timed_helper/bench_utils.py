"""Clean helper: timed() warms up, synchronizes through a wrapper and returns a median."""
import statistics
import time

import torch


def cuda_sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(fn, *args, warmup=3, iters=10, **kwargs):
    """Median seconds per call of fn(*args, **kwargs) after `warmup` untimed calls."""
    for _ in range(warmup):
        fn(*args, **kwargs)
    cuda_sync()
    samples = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn(*args, **kwargs)
        cuda_sync()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)
