"""From the worker's raw samples to what the report states: per-model summaries, speedups, impacts.

Pure Python. Every number here is a median of per-sample times or a ratio of such medians, with a
bootstrap interval (see `stats`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.core import Finding
from auditor.verify import probes, stats
from auditor.verify.probes import AA, CANONICAL, ArmData, Impact, Plan
from auditor.verify.runner import Outcome
from auditor.verify.stats import Summary, Verdict


@dataclass(frozen=True, slots=True)
class GenerationMetrics:
    """A language model's canonical numbers, each a median over rounds with its interval:
    time to first token (the prefill arm: the same batch cut to one new token), decode time per
    token ((end-to-end - prefill) / (new tokens - 1), per round), end-to-end latency per batch,
    and tokens/s from the tokens the calls produced (never the prompt, never the request)."""

    new_tokens: int  # per row, as run
    new_tokens_source: str | None  # "declared", "default" or "override"
    prompt_tokens: float | None  # per batch, padding excluded (mean over the batches)
    ttft_s: Summary | None
    decode_s_per_token: Summary | None
    latency_s: Summary
    tokens_per_s: Summary


@dataclass(frozen=True, slots=True)
class GenerationSpeedups:
    """The candidate against the baseline, per metric (paired by round): a speculative method
    can win on decode and lose on prefill. Each is baseline / candidate time (tokens/s:
    candidate / baseline), so above 1 is faster."""

    candidate: str
    baseline: str
    ttft: stats.Paired | None
    decode: stats.Paired | None
    latency: stats.Paired | None
    tokens_per_s: stats.Paired | None


@dataclass(frozen=True, slots=True)
class ModelResult:
    name: str
    path: str
    summary: Summary | None
    samples: tuple[float, ...]
    host_median_s: float | None
    cold_first_call_s: float | None
    steps: int | None
    steps_source: str | None
    dtype: str | None
    load_s: float | None
    error: str | None
    kind: str | None = None  # "diffusers", "inference" or "generate"
    generation: GenerationMetrics | None = None


@dataclass(frozen=True, slots=True)
class Comparison:
    candidate: str
    baseline: str
    script_speedup: float
    script_ci: tuple[float, float]
    script_first_pass_speedup: float | None
    canonical_speedup: float
    canonical_ci: tuple[float, float]
    discrepancy_pct: float
    discrepancy_ci_pct: tuple[float, float]
    verdict: Verdict
    rounds: int = 0  # paired rounds behind the canonical speedup
    half_width: float = 0.0  # of the canonical speedup's interval, relative (0.05: +-5%)
    rounds_needed: int | None = None  # for the precision target, when not reached


@dataclass(frozen=True, slots=True)
class NoiseFloor:
    """The baseline against itself in the same rounds: what no effect looks like here."""

    value: float
    ci: tuple[float, float]
    rounds: int
    threshold: float  # the materiality band verdicts use: max(5%, this floor)


@dataclass(frozen=True, slots=True)
class Assessment:
    models: tuple[ModelResult, ...]
    comparisons: tuple[Comparison, ...]
    impacts: tuple[Impact, ...]
    unpriced: tuple[tuple[Finding, str], ...]  # findings with no impact, and why
    noise_floor: NoiseFloor | None = None
    precision: float | None = None  # the target half-width the run sampled toward
    estimator: str = stats.PAIRED_ESTIMATOR
    generation_speedups: tuple[GenerationSpeedups, ...] = ()


def noise_floor(baseline: str, arms: Mapping[str, ArmData]) -> NoiseFloor | None:
    a, b = arms.get(f"{baseline}:{AA}"), arms.get(f"{baseline}:{CANONICAL}")
    aa = stats.paired(a.samples, b.samples) if a is not None and b is not None else None
    if aa is None:
        return None
    return NoiseFloor(aa.value, aa.ci, aa.rounds, stats.floor_threshold(aa.ci))


def arm_data(outcome: Outcome) -> dict[str, ArmData]:
    return {
        arm_id: ArmData.from_dict(data)
        for arm_id, data in outcome.arms.items()
        if data.get("samples") and not data.get("error")
    }


def _model_result(name: str, path: str, outcome: Outcome, arms: Mapping[str, Any]) -> ModelResult:
    load = outcome.loads.get(name, {})
    raw = outcome.arms.get(f"{name}:{CANONICAL}", {})
    samples = tuple(raw.get("samples") or ())
    error = outcome.errors.get(name)
    if error is None and not samples:
        error = raw.get("error") or "no samples were measured"
    host = raw.get("host_samples") or []
    warmup = raw.get("warmup_s") or []
    return ModelResult(
        name=name,
        path=path,
        kind=load.get("kind"),
        generation=_generation(name, load, arms) if error is None else None,
        summary=Summary.of(samples) if samples and error is None else None,
        samples=samples if error is None else (),
        host_median_s=stats.median(host) if host and error is None else None,
        cold_first_call_s=warmup[0] if warmup and error is None else None,
        steps=load.get("steps"),
        steps_source=load.get("steps_source"),
        dtype=load.get("dtype"),
        load_s=load.get("load_s"),
        error=error,
    )


def _series(name: str, arms: Mapping[str, ArmData], new_tokens: int) -> dict[str, list[float]]:
    """Per-round series of a language model's canonical numbers (seconds, tokens/s)."""
    e2e = arms.get(f"{name}:{CANONICAL}")
    prefill = arms.get(f"{name}:{probes.PREFILL}")
    if e2e is None:
        return {}
    out: dict[str, list[float]] = {
        "latency": list(e2e.call_s),
        "tokens_per_s": [u / t for u, t in zip(e2e.units, e2e.call_s, strict=False) if t > 0],
    }
    if prefill is not None:
        out["ttft"] = list(prefill.call_s)
        if new_tokens > 1:
            out["decode"] = [
                max(t - p, 0.0) / (new_tokens - 1)
                for t, p in zip(e2e.call_s, prefill.call_s, strict=False)
            ]
    return out


def _generation(
    name: str, load: Mapping[str, Any], arms: Mapping[str, ArmData]
) -> GenerationMetrics | None:
    if load.get("kind") != "generate":
        return None
    n = int(load.get("steps") or 0)
    series = _series(name, arms, n)
    if not series.get("latency") or not series.get("tokens_per_s"):
        return None
    prompt = load.get("prompt_tokens") or []

    def summary(key: str) -> Summary | None:
        values = series.get(key)
        return Summary.of(values) if values else None

    return GenerationMetrics(
        new_tokens=n,
        new_tokens_source=load.get("steps_source"),
        prompt_tokens=sum(prompt) / len(prompt) if prompt else None,
        ttft_s=summary("ttft"),
        decode_s_per_token=summary("decode"),
        latency_s=Summary.of(series["latency"]),
        tokens_per_s=Summary.of(series["tokens_per_s"]),
    )


def _generation_speedups(
    candidate: str, baseline: str, outcome: Outcome, arms: Mapping[str, ArmData]
) -> GenerationSpeedups | None:
    loads = outcome.loads
    if any(loads.get(m, {}).get("kind") != "generate" for m in (candidate, baseline)):
        return None
    base = _series(baseline, arms, int(loads[baseline].get("steps") or 0))
    cand = _series(candidate, arms, int(loads[candidate].get("steps") or 0))

    def paired(key: str, invert: bool = False) -> stats.Paired | None:
        a, b = base.get(key), cand.get(key)
        if not a or not b:
            return None
        return stats.paired(b, a) if invert else stats.paired(a, b)

    return GenerationSpeedups(
        candidate,
        baseline,
        ttft=paired("ttft"),
        decode=paired("decode"),
        latency=paired("latency"),
        tokens_per_s=paired("tokens_per_s", invert=True),
    )


def _why_unpriced(plan: Plan, baseline: str, probe_arm: str, outcome: Outcome) -> str:
    spec = next((a for a in plan.arms if a.id == f"{baseline}:{probe_arm}"), None)
    kind = outcome.loads.get(baseline, {}).get("kind")
    if spec is not None and spec.generate_only and kind is not None and kind != "generate":
        return f"its probe runs language models only, and {baseline} is a {kind} model"
    return "its probe arms failed or were not measured"


def _prompt_tokens(outcome: Outcome) -> dict[str, float]:
    """Each language model's prompt tokens per batch (mean over the batches)."""
    out: dict[str, float] = {}
    for name, load in outcome.loads.items():
        counts = load.get("prompt_tokens") or []
        if counts:
            out[name] = sum(counts) / len(counts)
    return out


def _first_pass(arm: ArmData, n_batches: int) -> float:
    return sum(arm.call_s[:n_batches])


def _comparison(
    candidate: str,
    baseline: str,
    plan: Plan,
    arms: Mapping[str, ArmData],
    n_batches: int,
    threshold: float = stats.MATERIAL_THRESHOLD,
    precision: float | None = None,
) -> Comparison | None:
    script = plan.script_arm_variant
    needed = [f"{m}:{v}" for m in (baseline, candidate) for v in (CANONICAL, script)]
    if any(k not in arms for k in needed):
        return None
    base_c, cand_c = arms[f"{baseline}:{CANONICAL}"], arms[f"{candidate}:{CANONICAL}"]
    base_s, cand_s = arms[f"{baseline}:{script}"], arms[f"{candidate}:{script}"]
    base_sv, cand_sv = base_s.samples, cand_s.samples
    # every arm ran once per round: paired estimators (see stats.PAIRED_ESTIMATOR)
    script_speedup = stats.paired_ratio(base_sv, cand_sv)
    canonical = stats.paired(base_c.samples, cand_c.samples)
    if canonical is None:  # not reached: arm_data keeps arms with samples only
        return None
    if script == CANONICAL:  # the script's method is the canonical one: same samples, no gap
        disc, disc_ci = 1.0, (1.0, 1.0)
    else:
        disc = stats.paired_ratio(base_sv, cand_sv, base_c.samples, cand_c.samples)
        disc_ci = stats.paired_ratio_ci(base_sv, cand_sv, base_c.samples, cand_c.samples)
    cand_pass = _first_pass(cand_s, n_batches)
    more: int | None = None
    if precision is not None and canonical.half_width > precision:
        more = stats.rounds_needed(canonical.rounds, canonical.half_width, precision)
    return Comparison(
        candidate=candidate,
        baseline=baseline,
        script_speedup=script_speedup,
        script_ci=stats.paired_ratio_ci(base_sv, cand_sv),
        script_first_pass_speedup=(
            _first_pass(base_s, n_batches) / cand_pass if cand_pass > 0 else None
        ),
        canonical_speedup=canonical.value,
        canonical_ci=canonical.ci,
        discrepancy_pct=(disc - 1.0) * 100.0,
        discrepancy_ci_pct=((disc_ci[0] - 1.0) * 100.0, (disc_ci[1] - 1.0) * 100.0),
        verdict=stats.verdict(disc_ci, threshold),
        rounds=canonical.rounds,
        half_width=canonical.half_width,
        rounds_needed=more,
    )


def assess(
    models: Sequence[tuple[str, str]],
    baseline: str,
    plan: Plan,
    outcome: Outcome,
    n_batches: int,
    findings: Sequence[Finding] = (),
    n_prompts: int = 1,
    precision: float | None = None,
) -> Assessment:
    arms = arm_data(outcome)
    results = tuple(_model_result(name, path, outcome, arms) for name, path in models)
    floor = noise_floor(baseline, arms)
    threshold = floor.threshold if floor is not None else stats.MATERIAL_THRESHOLD
    comparisons = []
    generation: list[GenerationSpeedups] = []
    for name, _ in models:
        if name != baseline:
            c = _comparison(name, baseline, plan, arms, n_batches, threshold, precision)
            if c is not None:
                comparisons.append(c)
            g = _generation_speedups(name, baseline, outcome, arms)
            if g is not None:
                generation.append(g)
    impacts: list[Impact] = []
    unpriced: list[tuple[Finding, str]] = []
    probed = {id(f) for f, _ in plan.probed}
    prompt_tokens = _prompt_tokens(outcome)
    for finding in findings:
        if id(finding) not in probed:
            unpriced.append((finding, "the verifier has no probe for this rule"))
    for finding, probe_arm in plan.probed:
        impact = probes.judge(
            finding,
            probe_arm,
            baseline,
            plan.candidate,
            arms,
            n_prompts,
            threshold,
            prompt_tokens=prompt_tokens,
        )
        if impact is None:
            unpriced.append((finding, _why_unpriced(plan, baseline, probe_arm, outcome)))
        else:
            impacts.append(impact)
    return Assessment(
        results,
        tuple(comparisons),
        tuple(impacts),
        tuple(unpriced),
        floor,
        precision,
        generation_speedups=tuple(generation),
    )


#: A host clock read this much above the CUDA events of the same calls says the host adds time
#: the device does not see (launch overhead, Python, a contended CPU).
CLOCK_DISAGREEMENT = 0.05
#: An IQR this large relative to the median says the device or its host is shared or throttled.
NOISY_SPREAD = 0.20


EOS_HOW = {
    "tokenizer": "each model's own end-of-sequence token",
    "auto": "the token the baseline emits most often on the first batch, planted as the "
    "end-of-sequence token of every model (random weights rarely emit their own)",
    "given": "the end-of-sequence token given with --eos-token",
}


def generation_notes(assessment: Assessment, outcome: Outcome) -> list[str]:
    """What the language-model harness did that a reader must know: the EOS token the BA206
    probe let stop rows, and generation lengths that differ between the models."""
    notes: list[str] = []
    if outcome.eos and outcome.eos.get("ids"):
        ids = ", ".join(f"{m} {i}" for m, i in sorted(outcome.eos["ids"].items()))
        how = EOS_HOW.get(str(outcome.eos.get("how")), str(outcome.eos.get("how")))
        notes.append(f"EOS probe: rows may stop at {how} (token id: {ids})")
    lengths = {
        m.name: m.generation.new_tokens for m in assessment.models if m.generation is not None
    }
    if len(set(lengths.values())) > 1:
        text = ", ".join(f"{n} {k}" for n, k in lengths.items())
        notes.append(
            f"the language models generate different lengths ({text} new tokens, as their "
            "modules declare): end-to-end latency compares different work; time to first "
            "token, decode per token and tokens/s stay comparable"
        )
    return notes


def machine_notes(assessment: Assessment, outcome: Outcome) -> list[str]:
    """What the measurements say about the machine: the A/A noise floor when it is wider than
    the 5% band (and which comparisons it leaves undecided), a host clock that disagrees with
    the CUDA events, a spread that suggests a shared or throttled device, and what the GPU's own
    state says (`monitor.summarise`: a moving clock, thermal slowdown, heat)."""
    state = outcome.device_state or {}
    notes: list[str] = [f"device state: {w}" for w in state.get("warnings", [])]
    floor = assessment.noise_floor
    if floor is not None and floor.threshold > stats.MATERIAL_THRESHOLD:
        undecided = [  # speedups the floor leaves neither material nor immaterial
            f"{c.candidate} over {c.baseline}"
            for c in assessment.comparisons
            if stats.verdict(c.canonical_ci, floor.threshold) is Verdict.INCONCLUSIVE
        ]
        text = (
            f"the machine's noise floor is +-{floor.threshold:.1%} (the baseline against itself "
            f"in the same rounds: {floor.value:.3f}x [{floor.ci[0]:.3f}, {floor.ci[1]:.3f}]): "
            "no effect smaller than that is called material"
        )
        if undecided:
            text += "; it leaves undecided: " + ", ".join(undecided)
        notes.append(text)
    for arm_id, raw in sorted(outcome.arms.items()):
        if not arm_id.endswith(f":{CANONICAL}") or raw.get("error"):
            continue
        device, host = raw.get("samples") or [], raw.get("host_samples") or []
        if device and host and device != host:
            gap = stats.median(host) / stats.median(device) - 1.0
            if abs(gap) > CLOCK_DISAGREEMENT:
                notes.append(
                    f"{arm_id}: the host clock read {gap:+.1%} against the CUDA events of the "
                    "same calls (host overhead the device does not see)"
                )
        if len(device) >= 5 and stats.relative_spread(device) > NOISY_SPREAD:
            notes.append(
                f"{arm_id}: its calls spread by {stats.relative_spread(device):.0%} of the median "
                "(IQR): a shared or throttled device, or a launch-bound pipeline; rounds pair "
                "such noise away only when it is shared by the arms of a round"
            )
    return notes
