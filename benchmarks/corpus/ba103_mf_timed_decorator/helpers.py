"""Helper module: a timed() decorator that synchronizes correctly but reads time.time()."""
import functools
import statistics
import time

import torch


def timed(fn):
    samples = []

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        torch.cuda.synchronize()
        start = time.time()
        out = fn(*args, **kwargs)
        torch.cuda.synchronize()
        samples.append(time.time() - start)  # expect: BA103
        return out

    wrapper.samples = samples
    return wrapper


def summary(samples, per=1):
    med = statistics.median(samples)
    return f"median {med:.3f}s ({med / per:.3f}s per item), min {min(samples):.3f}s, n={len(samples)}"
