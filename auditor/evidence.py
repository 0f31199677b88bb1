"""A finding's evidence: what a rule saw, as typed, frozen data (`Finding.evidence`).

Apart from `auditor.core` so that a run that analyses nothing never builds these classes (each
dataclass costs start-up time); the rules and the verifier import them from here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Evidence:
    """A finding's facts as typed, frozen data: what the verifier's probes price (never the
    message, whose wording may change) and what the JSON report carries under `evidence`,
    tagged by `kind` (schemas/report.schema.json lists each kind's fields)."""

    KIND: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.KIND}
        for f in dataclasses.fields(self):
            data[f.name] = _plain(getattr(self, f.name))
        return data

    @staticmethod
    def from_dict(data: Mapping[str, Any] | None) -> Evidence | None:
        """The inverse of `to_dict`; None for no evidence or a kind this version lacks."""
        return evidence_from_dict(data)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


@dataclass(frozen=True, slots=True)
class PerPromptEvidence(Evidence):
    """BA201: the model is called once per prompt inside a loop over `prompts`."""

    KIND: ClassVar[str] = "per-prompt-loop"
    call: str  # the called model, e.g. "pipe(...)"
    prompts: str  # what the loop iterates over


@dataclass(frozen=True, slots=True)
class UnsyncedEvidence(Evidence):
    """BA101: a host clock read while CUDA work may still be queued."""

    KIND: ClassVar[str] = "unsynchronized-timer"
    timer: str  # the clock read, e.g. "time.perf_counter"
    work: str  # the queued work, e.g. "pipe(...)"


@dataclass(frozen=True, slots=True)
class StepSourceEvidence(Evidence):
    """BA202: the timed calls' step count comes from the command line (`cli_steps` is its
    default, None when not a literal) while the models may declare their own."""

    KIND: ClassVar[str] = "step-source"
    cli_steps: int | None
    cli_option: str | None  # e.g. "--steps"
    #: (model name, declared `num_inference_steps` or None) for each --model module
    declared: tuple[tuple[str, int | None], ...] = ()


@dataclass(frozen=True, slots=True)
class WarmupEvidence(Evidence):
    """BA102: what the warm-up before the first timed region lacks."""

    KIND: ClassVar[str] = "warm-up"
    model: str
    warmup_calls: int | None  # None: a loop of unknown length ("several")
    reasons: tuple[str, ...]  # none, single-call, compile, batch-shape, resolution, no-sync
    warm_shape: str | None = None
    timed_shape: str | None = None


@dataclass(frozen=True, slots=True)
class UnitMixEvidence(Evidence):
    """BA301: a ratio of two times in different units."""

    KIND: ClassVar[str] = "unit-mix"
    left: str
    right: str
    left_unit: str  # per-sample, per-call, total or throughput
    right_unit: str


@dataclass(frozen=True, slots=True)
class ArmsEvidence(Evidence):
    """BA207 and BA303: the compared arms, in the order they are timed, and (BA207) the
    settings in which a later arm differs from the first: (setting, first's, this arm's)."""

    KIND: ClassVar[str] = "arms"
    arms: tuple[str, ...]
    differences: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class GenerationLengthEvidence(Evidence):
    """BA206: a timed `generate()` whose length an end-of-sequence token may cut short; `rate`:
    the script reports a tokens/s from the requested count, not the produced one."""

    KIND: ClassVar[str] = "generation-length"
    call: str
    rate: bool


@dataclass(frozen=True, slots=True)
class OutputHandlingEvidence(Evidence):
    """BA203: a timed region also handles the output: `action` is decode (tokens to text),
    stream (a streamer decodes and prints each token), print, write, save, read or other."""

    KIND: ClassVar[str] = "output-handling"
    call: str
    action: str


@dataclass(frozen=True, slots=True)
class TokenCountEvidence(Evidence):
    """BA301: a tokens/s whose count includes the prompt tokens (the whole `generate()`
    output of a decoder-only model)."""

    KIND: ClassVar[str] = "token-count"
    count: str
    counted: str  # "prompt-included"


EVIDENCE_KINDS: dict[str, type[Evidence]] = {
    cls.KIND: cls
    for cls in (
        PerPromptEvidence,
        UnsyncedEvidence,
        StepSourceEvidence,
        WarmupEvidence,
        UnitMixEvidence,
        ArmsEvidence,
        GenerationLengthEvidence,
        OutputHandlingEvidence,
        TokenCountEvidence,
    )
}


def evidence_from_dict(data: Mapping[str, Any] | None) -> Evidence | None:
    """`Evidence.to_dict`'s inverse; None for no evidence or a kind this version lacks."""
    cls = EVIDENCE_KINDS.get(str((data or {}).get("kind")))
    if data is None or cls is None:
        return None
    return cls(**{f.name: _frozen(data[f.name]) for f in dataclasses.fields(cls)})
