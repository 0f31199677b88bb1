from __future__ import annotations

import importlib.util
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from auditor.core import Finding, Severity, Span
from auditor.evidence import (
    Evidence,
    PerPromptEvidence,
    StepSourceEvidence,
    UnitMixEvidence,
    UnsyncedEvidence,
    WarmupEvidence,
)

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "seed" / "test.py"
TINY = ROOT / "fixtures" / "models" / "tiny"
HAS_RUNTIME = all(importlib.util.find_spec(m) for m in ("torch", "diffusers", "transformers"))

runtime = pytest.mark.skipif(not HAS_RUNTIME, reason="needs benchaudit[runtime]")


#: Each priced rule's evidence as the rule records it on the seed script.
DEFAULT_EVIDENCE: dict[str, Evidence] = {
    "per-prompt-loop": PerPromptEvidence("pipe(...)", "prompts"),
    "inconsistent-step-source": StepSourceEvidence(50, "--steps"),
    "unsynchronized-timer": UnsyncedEvidence("time.perf_counter", "pipe(...)"),
    "weak-warmup": WarmupEvidence("pipe", 1, ("single-call",)),
    "ratio-unit-mixing": UnitMixEvidence("base_per_sample", "gt_time", "per-sample", "total"),
}


def make_finding(name: str, line: int = 1, message: str = "m", **evidence: Any) -> Finding:
    """A finding of rule `name` with its default evidence, fields overridden by `evidence`."""
    codes = {
        "per-prompt-loop": "BA201",
        "inconsistent-step-source": "BA202",
        "unsynchronized-timer": "BA101",
        "weak-warmup": "BA102",
        "ratio-unit-mixing": "BA301",
    }
    return Finding(
        code=codes.get(name, "BA999"),
        name=name,
        path="fixtures/seed/test.py",
        span=Span(line, 1, line, 10),
        severity=Severity.ERROR,
        message=message,
        help="fix it",
        source_line="x = 1",
        evidence=replace(DEFAULT_EVIDENCE[name], **evidence) if name in DEFAULT_EVIDENCE else None,
    )


def seed_findings() -> list[Finding]:
    """What the static checker reports on the seed script (a stand-in for engine output)."""
    return [
        make_finding("weak-warmup", 46, reasons=("single-call",), warmup_calls=1),
        make_finding("per-prompt-loop", 57),
        make_finding("inconsistent-step-source", 58, cli_steps=50),
        make_finding(
            "ratio-unit-mixing",
            113,
            message="`base_per_sample` is a per-sample time but `gt_time` is a total time, so "
            "the ratio mixes units",
        ),
    ]


def gone(pid: int) -> bool:
    """The process has ended (a zombie nobody reaped yet counts as ended: in a container
    whose init does not reap, a killed orphan stays a zombie)."""
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False
