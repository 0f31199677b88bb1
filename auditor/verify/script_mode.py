"""`benchaudit verify SCRIPT -- ARGS`: verify a script with no model modules (issue 13).

The supervisor's half (stdlib only; the worker's half is `worker.run_script_job` and
`traced.py`): the worker runs the script traced and says what it timed (its `traced` event);
`ScriptSession.respond` plans the measurement from it — the arms, the baseline (the first arm
the script timed, or `--baseline-model`), the prompts and batch size (the script's, unless
given), the probes of the static findings — exactly as for model modules; after the
measurement `trace_section` is the report's record of the run: the regions as they ran, each
arm as the script called it with the script's own seconds per sample, the script's own speedups
beside the canonical ones, what it printed about them, and where the trace and the static
analysis disagree.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from auditor.core import Finding
from auditor.evidence import WarmupEvidence
from auditor.reporters.common import fmt_seconds
from auditor.verify import probes

#: Printed lines kept in the report: those that give a ratio or a timing.
_PRINTED = re.compile(r"speed\s*-?\s*up|\d\s*x\b|faster|slower|ratio|\d\s*(ms|s|sec)\b", re.I)
PRINTED_LINES = 8
#: Findings the trace can confirm or contradict.
UNSYNCED, WARMUP, SETUP = "BA101", "BA102", "BA204"
#: Timers that measure on the device or synchronise themselves: no host-clock sync verdict.
DEVICE_TIMERS = frozenset({"torch.cuda.Event", "torch.utils.benchmark"})


@dataclass(slots=True)
class ScriptSession:
    findings: Sequence[Finding]
    baseline_request: str | None
    prompts: list[str] | None  # --prompts, else the script's
    batch_size: int | None  # --batch-size, else the script's
    compared: Callable[[list[str], str], list[list[str]]]
    # filled by respond()
    traced: dict[str, Any] | None = None
    models: list[tuple[str, str]] = field(default_factory=list)
    baseline: str = ""
    prompt_list: list[str] = field(default_factory=list)
    batch: int = 1
    output_type: str = "pil"  # the baseline's, as the script called it
    plan: probes.Plan | None = None
    error: str | None = None
    set_aside: list[str] = field(default_factory=list)  # notes: arms not compared, and why

    @property
    def n_batches(self) -> int:
        return max(1, math.ceil(len(self.prompt_list) / self.batch))

    def respond(self, event: dict[str, Any]) -> dict[str, Any]:
        """The worker's `traced` event in, the measurement's plan out (`{"models": []}`: none)."""
        self.traced = event
        arms = [a for a in event.get("arms", []) if not a.get("error")]
        for a in event.get("arms", []):
            if a.get("error"):
                self.set_aside.append(
                    f"arm {a['name']} (line {a['line']}) not re-timed: {a['error']}"
                )
        if not arms:
            return {"models": []}
        names = [a["name"] for a in arms]
        wanted = self.baseline_request or names[0]
        base = next((a for a in arms if a["name"] == wanted), None)
        if base is None:
            self.error = (
                f"--baseline-model {wanted} is not one of the script's arms: {', '.join(names)}"
            )
            return {"models": []}
        kept = [a for a in arms if a["kind"] == base["kind"]]
        for a in arms:
            if a["kind"] != base["kind"]:
                self.set_aside.append(
                    f"arm {a['name']} (line {a['line']}, {a['kind']}) not compared with the "
                    f"baseline {base['name']} ({base['kind']}): another kind of model"
                )
        self.baseline = base["name"]
        self.models = [(a["name"], a["path"]) for a in kept]
        if base["kind"] == "forward":  # its inputs are the script's tensors: their rows
            self.prompt_list, self.batch = list(base["prompts"]), int(base["batch"])
        else:
            self.prompt_list = list(self.prompts or base["prompts"])
            self.batch = self.batch_size or int(base["batch"])
        self.output_type = str(base.get("work", {}).get("output_type") or "pil")
        names = [n for n, _ in self.models]
        self.plan = probes.plan(names, self.baseline, self.findings, self.n_batches)
        return {
            "models": names,
            "baseline": self.baseline,
            "arms": [a.to_dict() for a in self.plan.arms],
            "compared": self.compared(names, self.baseline),
            "prompts": self.prompt_list,
            "batch_size": self.batch,
            "output_type": self.output_type,
        }

    def failure(self, fatal: str | None) -> str | None:
        """Why nothing could be measured, in one line; None when arms were measured."""
        if self.error:
            return self.error
        if fatal:
            return f"the traced script failed: {fatal}"
        trace = (self.traced or {}).get("trace")
        if trace is None:
            return "the traced script ended before reporting what it timed"
        if self.models:
            return None
        if self.set_aside:
            return self.set_aside[0]
        if trace.get("error"):
            return f"the script raised {trace['error']} before timing a model call"
        calls, regions = len(trace.get("calls", [])), len(trace.get("regions", []))
        if not calls:
            return (
                "the script made no model call (a diffusers or transformers pipeline, a "
                "transformers model's generate() or an nn.Module called from the script's file)"
            )
        return (
            f"the script timed no model call: {calls} model call(s), {regions} timed "
            "region(s) as it ran"
        )


def cold_calls(trace: dict[str, Any], arms: Sequence[dict[str, Any]]) -> dict[str, tuple[int, str]]:
    """Per arm, the script's own first timed call against its later timed calls (seconds per
    sample, as the trace timed each call): the cold-call evidence of the script's run."""
    calls = {c["index"]: c for c in trace.get("calls", [])}
    out: dict[str, tuple[int, str]] = {}
    for arm in arms:
        per = [
            (c["end"] - c["start"]) / (c.get("batch") or 1)
            for c in (calls.get(i) for i in arm.get("calls", []))
            if c is not None and c.get("end") is not None
        ]
        if len(per) >= 2:
            rest = statistics.median(per[1:])
            out[arm["name"]] = (
                arm["line"],
                (
                    f"{arm['name']}'s first timed call took {fmt_seconds(per[0])}/sample against "
                    f"{fmt_seconds(rest)}/sample for its later ones ({per[0] / rest:.2f}x)"
                ),
            )
    return out


def reprice(assessment: Any, session: ScriptSession) -> Any:
    """The warm-up probe reads cold calls; in script mode the script had already run (and
    warmed) every model before the harness re-timed it, so its warm-up findings are reported
    with the script's own cold call from the trace instead of a measured impact."""
    event = session.traced or {}
    evidence = cold_calls(event.get("trace") or {}, event.get("arms") or [])
    moved = [i for i in assessment.impacts if i.finding.code == WARMUP]
    why = (
        "in script mode the models were re-timed after the script had run them (warm); in the "
        "script's own run, "
        + ("; ".join(text for _, text in evidence.values()) or "no arm had two timed calls")
    )
    unpriced = []
    for finding, reason in assessment.unpriced:
        here = [text for line, text in evidence.values() if line == finding.line]
        if finding.code == SETUP and here:  # setup in the timer: its cost is the first call's
            reason = "the script's own run prices it: " + "; ".join(here)
        unpriced.append((finding, reason))
    return replace(
        assessment,
        impacts=tuple(i for i in assessment.impacts if i.finding.code != WARMUP),
        unpriced=(*unpriced, *((i.finding, why) for i in moved)),
    )


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _printed(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines()]
    return [line for line in lines if line and _PRINTED.search(line)][:PRINTED_LINES]


_CLAIM = re.compile(r"(\d+(?:\.\d+)?)\s*(?:x|×)(?![A-Za-z0-9])")


def _claims(text: str) -> list[float]:
    """The speedups the script printed: a number followed by `x` on a line that speaks of a
    speedup (`speedup: 1.95x`, `2.1x faster`)."""
    out: list[float] = []
    for line in text.splitlines():
        if re.search(r"speed\s*-?\s*up|faster|slower|ratio", line, re.I):
            out += [float(m.group(1)) for m in _CLAIM.finditer(line)]
    return out[:PRINTED_LINES]


def _within(finding: Finding, region: dict[str, Any]) -> bool:
    end = region.get("end_line") or region["start_line"]
    low, high = min(region["start_line"], end), max(region["start_line"], end)
    return low <= finding.line <= high


def disagreements(
    trace: dict[str, Any],
    arms: Sequence[dict[str, Any]],
    findings: Sequence[Finding],
    device: str | None,
) -> list[str]:
    """Where the run contradicts the static analysis: a region the parser thought synchronised
    that ran with no synchronisation (on a GPU, around a direct module call: pipelines and
    generate() synchronise inside), a synchronised region flagged as not, a warm-up the parser
    saw that never ran, or one it missed that did."""
    out: list[str] = []
    calls = {c["index"]: c for c in trace.get("calls", [])}
    forward = {a["name"] for a in arms if a["kind"] == "forward"}
    for region in trace.get("regions", []):
        timed = [calls[i] for i in region["calls"] if i in calls]
        if not timed or region.get("timer") in DEVICE_TIMERS:
            continue
        lines = f"lines {region['start_line']}-{region.get('end_line') or '?'}"
        flagged = [f for f in findings if f.code == UNSYNCED and _within(f, region)]
        if region.get("syncs"):
            if flagged:
                out.append(
                    f"{lines}: the static analysis found no synchronisation ({UNSYNCED} line "
                    f"{flagged[0].line}), but the region synchronised {region['syncs']} time(s) "
                    "as it ran"
                )
        elif device == "cuda" and not flagged and any(c.get("name") in forward for c in timed):
            out.append(
                f"{lines}: the region ran with no synchronisation around its module calls, "
                "though the static analysis found it synchronised (a synchronize under a "
                "condition that did not hold?)"
            )
    warm_flags = [f for f in findings if f.code == WARMUP]
    saw_none = [
        f
        for f in warm_flags
        if isinstance(f.evidence, WarmupEvidence) and "none" in f.evidence.reasons
    ]
    other_shape = [
        f
        for f in warm_flags
        if isinstance(f.evidence, WarmupEvidence) and "batch-shape" in f.evidence.reasons
    ]
    for arm in arms:
        if not arm.get("calls"):
            continue
        first = arm["calls"][0]
        obj = calls[first].get("object")
        before = [
            c
            for c in trace.get("calls", [])
            if c.get("object") == obj and c["index"] < first and c["index"] not in arm["calls"]
        ]
        shape = (calls[first].get("batch"), calls[first].get("work"))
        same = [c for c in before if (c.get("batch"), c.get("work")) == shape]
        if not before and not warm_flags:
            out.append(
                f"{arm['name']}: its first call (line {arm['line']}) was timed: no warm-up "
                "ran before it, though the static analysis found one"
            )
        elif before and saw_none:
            out.append(
                f"{arm['name']}: {len(before)} untimed call(s) ran before its first timed call "
                f"(line {before[0]['line']}), though the static analysis found no warm-up "
                f"({WARMUP} line {saw_none[0].line})"
            )
        elif same and other_shape:
            out.append(
                f"{arm['name']}: its warm-up (line {same[0]['line']}) ran at the timed batch "
                f"and settings, though the static analysis read another shape ({WARMUP} line "
                f"{other_shape[0].line})"
            )
    counts: dict[str, int] = {}
    for line in out:
        counts[line] = counts.get(line, 0) + 1
    return [line if n == 1 else f"{line} ({n} times)" for line, n in counts.items()]


def trace_section(
    session: ScriptSession,
    script: str,
    argv: Sequence[str],
    comparisons: Sequence[dict[str, Any]],
    device: str | None,
) -> dict[str, Any]:
    """The report's `trace`: the run as it happened (see the module's docstring)."""
    event = session.traced or {}
    trace: dict[str, Any] = event.get("trace") or {}
    arms: list[dict[str, Any]] = event.get("arms") or []
    names = {c["index"]: c.get("name") for c in trace.get("calls", [])}
    regions = [
        {
            "start_line": r["start_line"],
            "end_line": r.get("end_line"),
            "timer": r["timer"],
            "seconds": r.get("seconds"),
            "calls": len(r["calls"]),
            "syncs": r.get("syncs", 0),
            "arms": sorted({str(names.get(i)) for i in r["calls"]}),
        }
        for r in trace.get("regions", [])
    ]
    by_name = {a["name"]: a for a in arms}
    script_speedups = []
    for c in comparisons:
        base = _median(by_name.get(c["baseline"], {}).get("script_per_sample_s") or [])
        cand = _median(by_name.get(c["candidate"], {}).get("script_per_sample_s") or [])
        script_speedups.append(
            {
                "baseline": c["baseline"],
                "candidate": c["candidate"],
                "script_speedup": base / cand if base and cand else None,
                "canonical_speedup": c.get("canonical_speedup"),
            }
        )
    return {
        "script": script,
        "argv": list(argv),
        "exit_code": trace.get("exit_code"),
        "error": trace.get("error"),
        "stopped_early": bool(trace.get("stopped_early")),
        "max_calls": trace.get("max_calls"),
        "max_seconds": trace.get("max_seconds"),
        "stopped_by": trace.get("stopped_by"),
        "model_calls": len(trace.get("calls", [])),
        "regions": regions,
        "arms": [
            {
                "name": a["name"],
                "kind": a["kind"],
                "type": a["type"],
                "line": a["line"],
                "file": a.get("file"),
                "work": a.get("work", {}),
                "timed_calls": len(a.get("calls", [])),
                "regions": len(a.get("regions", [])),
                "script_per_sample_s": _median(a.get("script_per_sample_s") or []),
                "error": a.get("error"),
            }
            for a in arms
        ],
        "script_speedups": script_speedups,
        "printed": _printed(str(trace.get("printed") or "")),
        "printed_speedups": _claims(str(trace.get("printed") or "")),
        "disagreements": disagreements(trace, arms, session.findings, device),
    }


def budget_spent(section: dict[str, Any]) -> str:
    """Which budget stopped the script, in words."""
    if section.get("stopped_by") == "time":
        return f"{section['max_seconds']:g} s of its run (--max-trace-seconds)"
    return f"{section['max_calls']} model calls (--max-calls)"


def notes(section: dict[str, Any], session: ScriptSession) -> list[str]:
    out = [
        f"script mode: the script ran traced ({section['model_calls']} model call(s), "
        f"{len(section['regions'])} timed region(s), exit code {section['exit_code']}); its arms "
        "were re-timed on the objects it built, as it called them, batched "
        f"{session.batch} per call"
    ]
    if section["stopped_early"]:
        out.append(
            f"the script was stopped after {budget_spent(section)}: what it had timed until "
            "then is used, and its last region's time is unknown"
        )
    out += session.set_aside
    out += [f"trace vs static analysis: {d}" for d in section["disagreements"]]
    return out
