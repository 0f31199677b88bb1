"""The enumerations every finding carries: severity, category, fix applicability.

A leaf module: `auditor.core` re-exports them, and `auditor.findings` reads them from here
(not from `core`, which imports `findings` on demand).
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How far a flaw can move a reported number."""

    ERROR = "error"  # can move a speedup by 2x or more
    WARNING = "warning"  # distorts absolute numbers or a ratio by a few percent to tens
    INFO = "info"


class Category(StrEnum):
    META = "meta"  # BA0xx: the checker's own diagnostics
    TIMING = "timing"  # BA1xx: how time is read
    WORKLOAD = "workload"  # BA2xx: what work is timed
    STATISTICS = "statistics"  # BA3xx: how numbers are combined


class Applicability(StrEnum):
    SAFE = "safe"
    UNSAFE = "unsafe"
