"""Helper module: a @contextmanager timer that reads the clock without synchronizing the GPU."""
import statistics
import time
from collections import defaultdict
from contextlib import contextmanager

import torch

RESULTS = defaultdict(list)


@contextmanager
def timer(name):
    start = time.perf_counter()
    yield
    RESULTS[name].append(time.perf_counter() - start)  # expect: BA101


def gpu_mem_gib():
    return torch.cuda.max_memory_allocated() / 2**30


def report():
    for name, samples in RESULTS.items():
        med = statistics.median(samples)
        print(f"{name:>20}: median {med * 1e3:.2f} ms over {len(samples)} runs")
    print(f"peak GPU memory: {gpu_mem_gib():.2f} GiB")
