"""The verify report: one JSON payload (validated against schemas/report.schema.json) and its text.

The text is rendered from the payload, so the two never disagree.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import auditor
from auditor.core import FileError, Finding
from auditor.reporters.common import fmt_seconds, fmt_summary, fmt_x
from auditor.verify import monitor, stats
from auditor.verify.assess import Assessment, Comparison, GenerationSpeedups, ModelResult
from auditor.verify.probes import Effect, Impact
from auditor.verify.script_mode import budget_spent
from auditor.verify.stats import Summary


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x


def _pair(ci: tuple[float, float] | None) -> list[float | None] | None:
    return None if ci is None else [_num(ci[0]), _num(ci[1])]


def model_dict(m: ModelResult) -> dict[str, Any]:
    s = m.summary
    return {
        "name": m.name,
        "path": m.path,
        "per_sample_median_s": s.median if s else None,
        "ci_low_s": s.ci_low if s else None,
        "ci_high_s": s.ci_high if s else None,
        "iqr_s": s.iqr if s else None,
        "samples": list(m.samples),
        "host_clock_median_s": m.host_median_s,
        "cold_first_call_s": m.cold_first_call_s,
        "steps": m.steps,
        "steps_source": m.steps_source,
        "dtype": m.dtype,
        "load_s": m.load_s,
        "error": m.error,
        "kind": m.kind,
        "generation": _generation(m),
    }


def _summary(s: Summary | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"median": s.median, "ci_low": s.ci_low, "ci_high": s.ci_high, "iqr": s.iqr, "n": s.n}


def _generation(m: ModelResult) -> dict[str, Any] | None:
    g = m.generation
    if g is None:
        return None
    return {
        "new_tokens": g.new_tokens,
        "new_tokens_source": g.new_tokens_source,
        "prompt_tokens": _num(g.prompt_tokens),
        "ttft_s": _summary(g.ttft_s),
        "decode_s_per_token": _summary(g.decode_s_per_token),
        "latency_s": _summary(g.latency_s),
        "tokens_per_s": _summary(g.tokens_per_s),
    }


def _paired(p: stats.Paired | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"ratio": _num(p.value), "ci": _pair(p.ci), "rounds": p.rounds}


def generation_dict(g: GenerationSpeedups) -> dict[str, Any]:
    return {
        "candidate": g.candidate,
        "baseline": g.baseline,
        "ttft": _paired(g.ttft),
        "decode": _paired(g.decode),
        "latency": _paired(g.latency),
        "tokens_per_s": _paired(g.tokens_per_s),
    }


def comparison_dict(c: Comparison) -> dict[str, Any]:
    return {
        "candidate": c.candidate,
        "baseline": c.baseline,
        "script_speedup": _num(c.script_speedup),
        "script_ci": _pair(c.script_ci),
        "script_first_pass_speedup": _num(c.script_first_pass_speedup),
        "canonical_speedup": _num(c.canonical_speedup),
        "canonical_ci": _pair(c.canonical_ci),
        "discrepancy_pct": _num(c.discrepancy_pct),
        "discrepancy_ci_pct": _pair(c.discrepancy_ci_pct),
        "verdict": str(c.verdict),
        "rounds": c.rounds,
        "half_width": _num(c.half_width),
        "rounds_needed": c.rounds_needed,
    }


def statistics_dict(a: Assessment, raw: dict[str, dict[str, Any]]) -> dict[str, Any]:
    floor = a.noise_floor
    return {
        "estimator": a.estimator,
        "precision_target": a.precision,
        "noise_floor": None
        if floor is None
        else {
            "ratio": _num(floor.value),
            "ci": _pair(floor.ci),
            "rounds": floor.rounds,
            "threshold": _num(floor.threshold),
        },
        "arms": raw,
    }


def _effect(e: Effect | None) -> tuple[float | None, list[float | None] | None, str | None]:
    if e is None:
        return None, None, None
    return _num(e.value), _pair(e.ci), str(e.verdict)


def impact_dict(i: Impact) -> dict[str, Any]:
    ratio, ratio_ci, ratio_verdict = _effect(i.absolute)
    cand, cand_ci, _ = _effect(i.candidate_absolute)
    speed, speed_ci, speed_verdict = _effect(i.ratio)
    return {
        "code": i.finding.code,
        "name": i.finding.name,
        "path": i.finding.path,
        "line": i.finding.line,
        "fingerprint": i.finding.fingerprint(),
        "probe": i.probe,
        "value_unit": i.value_unit,
        "script_value_s": _num(i.script_value_s),
        "canonical_value_s": _num(i.canonical_value_s),
        "ratio": ratio,
        "ratio_ci": ratio_ci,
        "ratio_verdict": ratio_verdict,
        "candidate_ratio": cand,
        "candidate_ratio_ci": cand_ci,
        "candidate": i.candidate,
        "speedup_effect": speed,
        "speedup_effect_ci": speed_ci,
        "speedup_effect_verdict": speed_verdict,
        "moves": i.moves,
        "verdict": str(i.verdict),
        "explanation": i.explanation,
    }


def build_payload(
    findings: Sequence[Finding],
    errors: Sequence[FileError],
    files: int,
    environment: dict[str, Any],
    assessment: Assessment,
    notes: Sequence[str],
    raw: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`raw`: every arm's samples, as the worker measured them (kept in the JSON)."""
    by_code = Counter(f.code for f in findings)
    return {
        "tool": "benchaudit",
        "version": auditor.__version__,
        "schema_version": 2,
        "kind": "verify",
        "findings": [f.to_dict() for f in findings],
        "errors": [e.to_dict() for e in errors],
        "summary": {
            "files": files,
            "findings": len(findings),
            "errors": len(errors),
            "by_code": dict(sorted(by_code.items())),
        },
        "environment": environment,
        "models": [model_dict(m) for m in assessment.models],
        "comparisons": [comparison_dict(c) for c in assessment.comparisons],
        "generation_speedups": [generation_dict(g) for g in assessment.generation_speedups],
        "statistics": statistics_dict(assessment, raw or {}),
        "impacts": [impact_dict(i) for i in assessment.impacts],
        "notes": list(notes),
    }


@cache
def report_schema() -> dict[str, Any]:
    try:
        text = resources.files("auditor.schemas").joinpath("report.schema.json").read_text()
    except (ModuleNotFoundError, FileNotFoundError):  # a source checkout without the mapping
        text = (Path(__file__).resolve().parents[2] / "schemas" / "report.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate(payload: dict[str, Any]) -> None:
    import jsonschema  # deferred: only a run that writes a report needs it

    jsonschema.validate(payload, report_schema())


# -- text -------------------------------------------------------------------------------------


def _environment_line(env: dict[str, Any]) -> str:
    parts = [f"{env.get('device')} ({env.get('device_name')})"]
    if env.get("driver"):
        parts.append(f"driver {env['driver']}")
    if env.get("cuda"):
        parts.append(f"CUDA {env['cuda']}")
    versions = ", ".join(
        f"{k} {env[k]}" for k in ("torch", "diffusers", "transformers") if env.get(k)
    )
    parts.append(versions)
    parts.append(f"{env.get('threads')} CPU thread(s)")
    if env.get("device") == "cuda":
        parts.append(
            f"tf32 matmul={env.get('tf32_matmul')} cudnn={env.get('tf32_cudnn')}, "
            f"cudnn.benchmark={env.get('cudnn_benchmark')}"
        )
    return "; ".join(parts)


def render_text(payload: dict[str, Any], script: str) -> str:
    env = payload["environment"]
    out: list[str] = [f"benchaudit verify {script}", f"environment: {_environment_line(env)}"]
    if env.get("device_state"):
        out.append(f"device state: {monitor.describe(env['device_state'])}")
    out.append(
        f"harness: batch {env.get('batch_size')}, {env.get('prompts')} prompts, output_type="
        f"{env.get('output_type')}, {env.get('timer')}, per-arm budget {env.get('budget_s')} s, "
        f"min {env.get('min_samples')} samples, 95% bootstrap intervals"
    )
    st = payload.get("statistics") or {}
    target = st.get("precision_target")
    if st.get("estimator"):
        out.append(
            f"statistics: {st['estimator']}"
            + (f"; sampled until every interval is within +-{target:.0%}" if target else "")
        )
    floor = st.get("noise_floor")
    if floor and floor.get("ratio") is not None:
        comps = payload["comparisons"]
        base = comps[0]["baseline"] if comps else "the baseline"
        out.append(
            f"noise floor: {base} against itself in the same rounds "
            f"{fmt_x(floor['ratio'], floor['ci'])} "
            f"over {floor['rounds']} rounds; effects within +-{floor['threshold']:.1%} are "
            "never called material"
        )
    for note in payload["notes"]:
        out.append(f"note: {note}")

    findings = payload["findings"]
    out.append("")
    out.append(f"static findings ({len(findings)})")
    for f in findings:
        out.append(
            f"  {f['path']}:{f['line']}:{f['column']}: {f['code']} [{f['name']}] {f['message']}"
        )
    for e in payload["errors"]:
        out.append(f"  {e['path']}: {e['kind']}: {e['message']}")

    if payload.get("trace"):
        out += _trace_lines(payload["trace"])

    out.append("")
    out.append("models (canonical harness; per-sample time, median [95% CI])")
    for m in payload["models"]:
        if m["error"]:
            out.append(f"  {m['name']:<10} error: {m['error']}")
            continue
        if m.get("generation"):
            out += _generation_lines(m)
            continue
        what = (
            f"module call as the script made it ({m['dtype']})"
            if m.get("kind") == "forward"
            else f"{m['steps']} steps ({m['steps_source']}, {m['dtype']})"
        )
        out.append(
            f"  {m['name']:<10} {what}  "
            f"{fmt_seconds(m['per_sample_median_s'])} "
            f"[{fmt_seconds(m['ci_low_s'])}, {fmt_seconds(m['ci_high_s'])}]  "
            f"IQR {fmt_seconds(m['iqr_s'])}  n={len(m['samples'])}  cold first call "
            f"{fmt_seconds(m['cold_first_call_s'])}/sample"
        )

    if payload["comparisons"]:
        out.append("")
        out.append("speedups (baseline time / candidate time)")
        for c in payload["comparisons"]:
            first = c["script_first_pass_speedup"]
            out.append(
                f"  {c['candidate']} vs {c['baseline']}: script's method "
                f"{fmt_x(c['script_speedup'], c['script_ci'])}"
                + (f" (one pass as the script reads it: {first:.2f}x)" if first else "")
                + f"; canonical {fmt_x(c['canonical_speedup'], c['canonical_ci'])}"
            )
            lo, hi = c["discrepancy_ci_pct"] or (None, None)
            interval = f" [{lo:+.1f}%, {hi:+.1f}%]" if lo is not None and hi is not None else ""
            out.append(f"      discrepancy {c['discrepancy_pct']:+.1f}%{interval}: {c['verdict']}")
            width = c.get("half_width")
            if width is not None:
                line = (
                    f"      precision: the canonical speedup of {c['candidate']} over "
                    f"{c['baseline']} is known to +-{width:.1%} after {c['rounds']} rounds"
                )
                if c.get("rounds_needed"):
                    line += (
                        f"; the budget ran out before the target: about {c['rounds_needed']} "
                        "rounds would reach it"
                    )
                out.append(line)

    if payload.get("generation_speedups"):
        out.append("")
        out.append("language-model speedups per metric (paired by round; above 1.00x is faster)")
        for g in payload["generation_speedups"]:
            parts = [
                f"{label} {_fmt_paired(g[key])}"
                for key, label in (
                    ("ttft", "time to first token"),
                    ("decode", "decode per token"),
                    ("latency", "end-to-end"),
                    ("tokens_per_s", "tokens/s"),
                )
                if g.get(key)
            ]
            out.append(f"  {g['candidate']} vs {g['baseline']}: " + "; ".join(parts))

    baseline = payload["comparisons"][0]["baseline"] if payload["comparisons"] else "baseline"
    if payload["impacts"]:
        out.append("")
        out.append("finding impacts (variant / canonical; 1.00x = no effect)")
        for i in payload["impacts"]:
            out.append(f"  {i['code']} [{i['name']}] line {i['line']}: {i['probe']}")
            if i["ratio"] is not None:
                unit = i.get("value_unit", "s")
                what = "per-sample" if unit == "s" else unit
                out.append(
                    f"      absolute: baseline {what} {_fmt_value(i['script_value_s'], unit)} vs "
                    f"{_fmt_value(i['canonical_value_s'], unit)} = "
                    f"{fmt_x(i['ratio'], i['ratio_ci'])}"
                    + (
                        f"; {i['candidate']} {fmt_x(i['candidate_ratio'], i['candidate_ratio_ci'])}"
                        if i["candidate_ratio"] is not None
                        else ""
                    )
                )
            if i["speedup_effect"] is not None:
                out.append(
                    f"      ratio: the speedup of {i['candidate']} over {baseline} under the "
                    "flaw / canonical = "
                    f"{fmt_x(i['speedup_effect'], i['speedup_effect_ci'])}"
                )
            out.append(f"      moves: {i['moves']}; verdict: {i['verdict']}")
            out.append(f"      {i['explanation']}")
    return "\n".join(out) + "\n"


def _trace_lines(t: dict[str, Any]) -> list[str]:
    """Script mode: the run as it happened, and the script's own numbers."""
    how = f"exit code {t['exit_code']}" if t["error"] is None else f"raised {t['error']}"
    if t["stopped_early"]:
        how = f"stopped after {budget_spent(t)}"
    args = " ".join(t["argv"])
    out = [
        "",
        f"script run (traced{', args: ' + args if args else ''}): {t['model_calls']} model "
        f"call(s), {len(t['regions'])} timed region(s), {how}",
    ]
    script = str(t.get("script") or "").replace("\\", "/").rsplit("/", 1)[-1]
    for a in t["arms"]:
        work = ", ".join(f"{k}={v}" for k, v in a["work"].items())
        where = f"{a['file']}:{a['line']}" if a.get("file") not in (None, script) else ""
        where = where or f"line {a['line']}"
        line = (
            f"  {a['name']:<10} {where}: {a['type'].rsplit('.', 1)[-1]} ({a['kind']}"
            + (f", {work}" if work else "")
            + f"), {a['timed_calls']} timed call(s) in {a['regions']} region(s)"
        )
        if a["error"]:
            line += f"; not re-timed: {a['error']}"
        elif a["script_per_sample_s"] is not None:
            line += f"; the script's own time {fmt_seconds(a['script_per_sample_s'])}/sample"
        out.append(line)
    claims = t.get("printed_speedups") or []
    for s in t["script_speedups"]:
        mine, canon = s["script_speedup"], s["canonical_speedup"]
        claim = (
            f"printed {claims[0]:g}x; "
            if len(claims) == 1 and len(t["script_speedups"]) == 1
            else ""
        )
        out.append(
            f"  {s['candidate']} vs {s['baseline']}: {claim}the script's own timing "
            + (f"{mine:.2f}x" if mine is not None else "n/a")
            + "; canonical "
            + (f"{canon:.2f}x" if canon is not None else "n/a")
        )
    for p in t["printed"]:
        out.append(f"  printed: {p}")
    for d in t["disagreements"]:
        out.append(f"  trace vs static analysis: {d}")
    return out


def _fmt_value(value: float | None, unit: str) -> str:
    if unit == "s":
        return fmt_seconds(value)
    return "n/a" if value is None else f"{value:.1f} {unit}"


def _fmt_paired(p: dict[str, Any]) -> str:
    return fmt_x(p["ratio"], p["ci"])


def _fmt_summary(s: dict[str, Any] | None, scale: float = 1.0, unit: str = "s") -> str:
    text = fmt_summary(s, scale, seconds=unit == "s")
    return text if unit == "s" or not s else f"{text} {unit}"


def _generation_lines(m: dict[str, Any]) -> list[str]:
    g = m["generation"]
    prompt = g.get("prompt_tokens")
    head = (
        f"  {m['name']:<10} generate, {g['new_tokens']} new tokens per prompt "
        f"({g['new_tokens_source']}, fixed: EOS cannot stop early), {m['dtype']}"
        + (f", {prompt:.0f} prompt tokens per batch" if prompt else "")
    )
    return [
        head,
        f"      time to first token {_fmt_summary(g['ttft_s'])}; decode "
        f"{_fmt_summary(g['decode_s_per_token'], 1000.0, 'ms/token')}",
        f"      end-to-end {_fmt_summary(g['latency_s'])} per batch; "
        f"{_fmt_summary(g['tokens_per_s'], 1.0, 'new tokens/s')}; cold first call "
        f"{fmt_seconds(m['cold_first_call_s'])}/sample",
    ]
