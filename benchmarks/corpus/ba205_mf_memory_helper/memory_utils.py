"""Helper module: measure() clears the allocator cache and runs gc after its timer has started."""
import gc
import time

import torch


def measure(fn, *args, **kwargs):
    """Run fn once and return (output, seconds, peak GiB)."""
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    torch.cuda.empty_cache()  # expect: BA205
    gc.collect()  # expect: BA205
    out = fn(*args, **kwargs)
    torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    return out, seconds, torch.cuda.max_memory_allocated() / 2**30


def fmt_row(label, seconds, peak_gib, items):
    return (
        f"{label:>10} | {seconds:8.3f} s | {seconds / items * 1e3:8.1f} ms/item | "
        f"{items / seconds:7.2f} items/s | {peak_gib:6.2f} GiB"
    )
