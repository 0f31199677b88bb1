"""benchaudit: find and price methodology flaws in GPU inference benchmarks."""

__version__ = "0.1.0"
