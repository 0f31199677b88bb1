"""Clean helper: cuda_timer() records CUDA events and synchronizes on the end event before reading."""
from contextlib import contextmanager

import torch


class Elapsed:
    ms = float("nan")


@contextmanager
def cuda_timer():
    result = Elapsed()
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    try:
        yield result
    finally:
        end.record()
        end.synchronize()
        result.ms = start.elapsed_time(end)


def percentile(values, q):
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[idx]
