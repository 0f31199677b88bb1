"""Helper module: a Timer class that synchronizes the GPU on enter and exit (itself clean)."""
import time

import torch


class Timer:
    def __init__(self, label=""):
        self.label = label
        self.seconds = 0.0

    def __enter__(self):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.seconds = time.perf_counter() - self._start
        return False

    def __str__(self):
        return f"{self.label}: {self.seconds:.2f}s"
