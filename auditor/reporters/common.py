"""What every review report needs from the JSON payload: rule descriptions, findings grouped by
rule, runtime impacts matched to their findings, and numbers formatted one way.

Every renderer takes the payload dict (schemas/report.schema.json), never engine objects, so a
saved report renders exactly like a fresh one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.rulemeta import RuleMeta

Payload = Mapping[str, Any]

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
PROJECT_URL = "https://github.com/benchaudit/benchaudit"
RULES_DOC_URL = PROJECT_URL + "/blob/main/docs/rules.md"


def rule_doc_url(name: str, code: str) -> str:
    """The rule's section of the generated rule documentation."""
    return f"{RULES_DOC_URL}#{name}-{code.lower()}"


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A rule as reports describe it: from the installed catalogue when the rule is known there,
    else from the payload's own `rules` entry, else from the first finding that names it."""

    code: str
    name: str
    severity: str
    summary: str
    fix: str  # the remedy, one line
    why: str  # why it matters, plain prose (identifiers in backticks)
    category: str = ""
    docs_markdown: str = ""  # the rule's full documentation page, trusted Markdown
    default_enabled: bool = True

    @property
    def help_uri(self) -> str:
        return rule_doc_url(self.name, self.code)

    @classmethod
    def from_meta(cls, meta: RuleMeta, docs_markdown: str = "") -> RuleInfo:
        return cls(
            code=meta.code,
            name=meta.name,
            severity=str(meta.severity),
            summary=meta.summary,
            fix=meta.fix_title,
            why=meta.docs.why_is_this_bad,
            category=str(meta.category),
            docs_markdown=docs_markdown,
            default_enabled=meta.default_enabled,
        )


def rule_infos(
    payload: Payload, catalogue: Mapping[str, RuleInfo] | None = None
) -> dict[str, RuleInfo]:
    """Every rule the payload names (its `rules` entries, its findings, its impacts), by code."""
    catalogue = catalogue or {}
    out: dict[str, RuleInfo] = {}
    for entry in payload.get("rules") or []:
        code = str(entry["code"])
        out[code] = catalogue.get(code) or RuleInfo(
            code=code,
            name=str(entry["name"]),
            severity=str(entry["severity"]),
            summary=str(entry["summary"]),
            fix=str(entry.get("fix") or ""),
            why=str(entry["summary"]),
            category=str(entry.get("category") or ""),
            default_enabled=bool(entry.get("default_enabled", True)),
        )
    for item in [*payload.get("findings", []), *payload.get("impacts", [])]:
        code = str(item["code"])
        if code in out:
            continue
        out[code] = catalogue.get(code) or RuleInfo(
            code=code,
            name=str(item["name"]),
            severity=str(item.get("severity", "warning")),
            summary=str(item["name"]).replace("-", " "),
            fix=str(item.get("help", "")),
            why="",
        )
    return dict(sorted(out.items()))


def group_by_rule(findings: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Findings by rule code, codes sorted, each group in report order."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for f in findings:
        groups.setdefault(str(f["code"]), []).append(f)
    return dict(sorted(groups.items()))


def impact_key(path: str | None, code: str, line: int) -> tuple[str, str, int]:
    return (path or "", code, line)


def match_impacts(payload: Payload) -> dict[int, Mapping[str, Any]]:
    """Index of a finding in `payload["findings"]` -> its runtime impact, matched by code and
    line (and path when the impact names one). Each impact prices at most one finding."""
    by_key: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
    for imp in payload.get("impacts") or []:
        by_key.setdefault((str(imp["code"]), int(imp["line"])), []).append(imp)
    out: dict[int, Mapping[str, Any]] = {}
    for index, f in enumerate(payload.get("findings") or []):
        candidates = by_key.get((str(f["code"]), int(f["line"])), [])
        for imp in candidates:
            if imp.get("path") in (None, f["path"]):
                out[index] = imp
                candidates.remove(imp)
                break
    return out


def is_verify(payload: Payload) -> bool:
    return payload.get("kind") == "verify"


def plural(n: int, noun: str, many: str | None = None) -> str:
    return f"{n} {noun if n == 1 else (many or noun + 's')}"


def headline(payload: Payload) -> str:
    """One sentence: how many findings in how many files, and the files not checked."""
    findings = payload.get("findings") or []
    summary = payload.get("summary") or {}
    errors = payload.get("errors") or []
    checked = int(summary.get("files", 0)) - len(errors)  # `files` counts every file named
    files = plural(checked, "checked file" if errors else "file")
    err = f"; {plural(len(errors), 'file')} not checked" if errors else ""
    if not findings:
        return f"No findings in {files}{err}"
    flagged = len({f["path"] for f in findings})
    return f"{plural(len(findings), 'finding')} in {flagged} of {files}{err}"


def location(f: Mapping[str, Any]) -> str:
    """`path:line:col`, or `path (cell N):line:col` for a notebook finding."""
    cell = f.get("cell")
    where = f"{f['path']} (cell {cell})" if cell else str(f["path"])
    return f"{where}:{f['line']}:{f['column']}"


def related_where(r: Mapping[str, Any]) -> str:
    """`line 58`, or `cell 3 line 2` in a notebook."""
    cell = r.get("cell")
    return f"cell {cell} line {r['line']}" if cell else f"line {r['line']}"


# -- numbers ----------------------------------------------------------------------------------


def finite(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    return float(x) if math.isfinite(x) else None


def interval(ci: Sequence[Any] | None) -> tuple[float, float] | None:
    if not ci or len(ci) != 2:
        return None
    lo, hi = finite(ci[0]), finite(ci[1])
    return None if lo is None or hi is None else (lo, hi)


def fmt_x(value: Any, ci: Sequence[Any] | None = None) -> str:
    """`3.96x [0.98, 4.29]`, `n/a` for a missing value."""
    v = finite(value)
    if v is None:
        return "n/a"
    text = f"{v:.2f}x"
    pair = interval(ci)
    if pair is not None:
        text += f" [{pair[0]:.2f}, {pair[1]:.2f}]"
    return text


def fmt_pct(value: Any, ci: Sequence[Any] | None = None) -> str:
    v = finite(value)
    if v is None:
        return "n/a"
    text = f"{v:+.1f}%"
    pair = interval(ci)
    if pair is not None:
        text += f" [{pair[0]:+.1f}%, {pair[1]:+.1f}%]"
    return text


def fmt_seconds(value: Any) -> str:
    v = finite(value)
    if v is None:
        return "n/a"
    if v >= 1.0:
        return f"{v:.3f} s"
    if v >= 1e-3:
        return f"{v * 1e3:.1f} ms"
    return f"{v * 1e6:.0f} us"


MOVES = {
    "absolute": "moves the absolute times",
    "ratio": "moves the speedup",
    "both": "moves the absolute times and the speedup",
    "neither": "moves neither beyond the noise",
}


def fmt_summary(s: Mapping[str, Any] | None, scale: float = 1.0, seconds: bool = True) -> str:
    """A median with its interval (`{median, ci_low, ci_high}`): seconds, or a scaled number."""
    if not s:
        return "n/a"
    if seconds:
        return (
            f"{fmt_seconds(s['median'])} [{fmt_seconds(s['ci_low'])}, {fmt_seconds(s['ci_high'])}]"
        )
    return f"{s['median'] * scale:.1f} [{s['ci_low'] * scale:.1f}, {s['ci_high'] * scale:.1f}]"


#: The language-model tables of a verify report: headers, then one row of cells per model
#: (name first) and per candidate (candidate, baseline first).
GENERATION_MODEL_HEADER = (
    "Model",
    "New tokens",
    "Time to first token",
    "Decode (ms/token)",
    "End-to-end per batch",
    "Tokens/s",
)
GENERATION_SPEEDUP_HEADER = (
    "Candidate",
    "Baseline",
    "Time to first token",
    "Decode",
    "End-to-end",
    "Tokens/s",
)


def generation_rows(payload: Payload) -> tuple[list[list[str]], list[list[str]]]:
    """The language models' canonical metrics and per-metric speedups, as cell text (the
    first cell of each row is a name, for the format to mark up)."""
    models = []
    for m in payload.get("models") or []:
        g = m.get("generation")
        if not g:
            continue
        models.append(
            [
                str(m["name"]),
                str(g["new_tokens"]),
                fmt_summary(g.get("ttft_s")),
                fmt_summary(g.get("decode_s_per_token"), 1000.0, seconds=False),
                fmt_summary(g.get("latency_s")),
                fmt_summary(g.get("tokens_per_s"), 1.0, seconds=False),
            ]
        )
    speedups = []
    for g in payload.get("generation_speedups") or []:
        speedups.append(
            [
                str(g["candidate"]),
                str(g["baseline"]),
                *(
                    fmt_x(g[k]["ratio"], g[k]["ci"]) if g.get(k) else "n/a"
                    for k in ("ttft", "decode", "latency", "tokens_per_s")
                ),
            ]
        )
    return models, speedups


def impact_verdict(imp: Mapping[str, Any]) -> str:
    """`verdict confirmed: moves the speedup`."""
    moves = MOVES.get(str(imp.get("moves")), f"moves {imp.get('moves')}")
    return f"verdict {imp.get('verdict')}: {moves}"


def impact_summary(imp: Mapping[str, Any]) -> str:
    """The measured effects in numbers, e.g. `baseline per-sample time 2.53x [0.86, 5.51];
    speedup 0.53x [0.12, 3.48]` (1x = no effect)."""
    parts: list[str] = []
    if finite(imp.get("ratio")) is not None:
        parts.append(f"baseline per-sample time {fmt_x(imp['ratio'], imp.get('ratio_ci'))}")
    if finite(imp.get("speedup_effect")) is not None:
        parts.append(f"speedup {fmt_x(imp['speedup_effect'], imp.get('speedup_effect_ci'))}")
    return "; ".join(parts)


def environment_line(env: Mapping[str, Any]) -> str:
    device = str(env.get("device") or "?")
    name = env.get("device_name")
    parts = [f"{device} ({name})" if name else device]
    for key, label in (("torch", "torch"), ("diffusers", "diffusers"), ("cuda", "CUDA")):
        if env.get(key):
            parts.append(f"{label} {env[key]}")
    if env.get("dtype"):
        parts.append(str(env["dtype"]))
    if env.get("timer"):
        parts.append(f"timer: {env['timer']}")
    return ", ".join(parts)


# -- chart data -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChartPoint:
    """One marker of a chart: a value with its interval, in a row of a group."""

    group: str  # e.g. the candidate, or `BA201 line 59`
    series: str  # e.g. "script's method", "canonical harness"
    value: float
    ci: tuple[float, float] | None


SCRIPT_SERIES = "script's method"
CANONICAL_SERIES = "canonical harness"


def speedup_points(payload: Payload) -> list[ChartPoint]:
    """Each candidate's speedup as the script measures it and as the canonical harness does."""
    points: list[ChartPoint] = []
    for c in payload.get("comparisons") or []:
        group = f"{c['candidate']} vs {c['baseline']}"
        for series, key in ((SCRIPT_SERIES, "script"), (CANONICAL_SERIES, "canonical")):
            value = finite(c.get(f"{key}_speedup"))
            if value is not None and value > 0:
                points.append(ChartPoint(group, series, value, interval(c.get(f"{key}_ci"))))
    return points


IMPACT_TIME_SERIES = "baseline per-sample time"
IMPACT_SPEEDUP_SERIES = "speedup"


def impact_points(payload: Payload) -> list[ChartPoint]:
    """Each priced finding's effect (the flaw alone / canonical; 1x = no effect)."""
    points: list[ChartPoint] = []
    for imp in payload.get("impacts") or []:
        group = f"{imp['code']} line {imp['line']}"
        for series, key in (
            (IMPACT_TIME_SERIES, "ratio"),
            (IMPACT_SPEEDUP_SERIES, "speedup_effect"),
        ):
            value = finite(imp.get(key))
            if value is not None and value > 0:
                points.append(ChartPoint(group, series, value, interval(imp.get(f"{key}_ci"))))
    return points
