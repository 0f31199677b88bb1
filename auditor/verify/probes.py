"""Probes: one question per static finding, asked of the same models, inputs and process.

A probe turns a finding into a *variant* of the canonical harness that reproduces the script's
flaw and nothing else (`apply`), so the cost of that flaw alone is the difference between the
variant and the canonical arm. Folding every finding's `apply` over the canonical variant gives
the script's own method, which prices all the flaws together (the "script speedup").

Each probe runs on the baseline and on the first candidate, so it answers two questions:

- does the flaw move *absolute* numbers (the baseline's per-sample time, variant / canonical)?
- does it move the *ratio* (the candidate's speedup under the variant / its canonical speedup)?

A per-prompt loop, for instance, makes every arm slower per sample but leaves a step-count
speedup where it was; forcing one CLI step count on both arms moves both the times and the ratio.

Some flaws need no arm of their own: a weak warm-up is priced from the canonical arm's warm-up
trace (the first call after the script's number of warm-up calls, against steady state), and
unit mixing from the per-call and per-sample views of the canonical samples.

This module is pure Python: it plans arms for the worker and judges what comes back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from auditor.core import Finding
from auditor.evidence import (
    Evidence,
    GenerationLengthEvidence,
    OutputHandlingEvidence,
    PerPromptEvidence,
    StepSourceEvidence,
    TokenCountEvidence,
    UnitMixEvidence,
    UnsyncedEvidence,
    WarmupEvidence,
)
from auditor.verify import stats
from auditor.verify.stats import Verdict

CANONICAL = "canonical"
SCRIPT = "script"
#: A language model's canonical call cut to one new token: the prefill, time to first token.
#: Planned for every model; the worker keeps it for language models only.
PREFILL = "prefill"
#: Variant settings only a language model's arms have (the worker measures such arms for
#: language models only).
GENERATE_ONLY = ("new_tokens", "eos", "decode", "forward")
#: The baseline's canonical arm measured a second time in every round: A against A, the
#: machine's noise floor.
AA = "aa"
DEFAULT_CLI_STEPS = 50


@dataclass(frozen=True, slots=True)
class Variant:
    """How an arm runs a model. `steps=None` is the model's own step count."""

    name: str
    per_prompt: bool = False
    steps: int | None = None
    synchronize: bool = True
    warmup_calls: int | None = None  # None: the canonical warm-up
    # language models (the generate backend); ignored by the others
    new_tokens: int | None = None  # None: the model's length; 1: the prefill alone
    eos: bool = False  # an end-of-sequence token may stop rows early
    decode: bool = False  # the output is decoded to text inside the timed call
    forward: bool = False  # one forward pass of the batch (the prefill) instead of generate()


@dataclass(frozen=True, slots=True)
class ArmSpec:
    id: str
    model: str
    variant: str
    per_prompt: bool
    steps: int | None
    synchronize: bool
    warmup_calls: int
    new_tokens: int | None = None
    eos: bool = False
    decode: bool = False
    forward: bool = False

    @property
    def generate_only(self) -> bool:
        return any(getattr(self, k) for k in GENERATE_ONLY)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "model": self.model,
            "variant": self.variant,
            "per_prompt": self.per_prompt,
            "steps": self.steps,
            "synchronize": self.synchronize,
            "warmup_calls": self.warmup_calls,
            "new_tokens": self.new_tokens,
            "eos": self.eos,
            "decode": self.decode,
            "forward": self.forward,
        }


@dataclass(frozen=True, slots=True)
class ArmData:
    """What the worker measured for one arm (per-sample seconds unless named otherwise)."""

    samples: Sequence[float]
    call_s: Sequence[float]
    warmup_s: Sequence[float]
    units: Sequence[float] = ()  # what each timed call produced (new tokens for an LLM)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ArmData:
        return cls(data["samples"], data["call_s"], data["warmup_s"], data.get("units") or ())


@dataclass(frozen=True, slots=True)
class Context:
    role: str  # "baseline" or "candidate"
    n_prompts: int
    prompt_tokens: float | None = None  # a language model's prompt tokens per batch
    arms: Mapping[str, ArmData] = field(default_factory=dict)  # the model's arms, by variant


@dataclass(frozen=True, slots=True)
class Effect:
    """variant / canonical, with its interval and verdict."""

    value: float
    ci: tuple[float, float]
    verdict: Verdict

    @classmethod
    def of_ratio(
        cls,
        num: Sequence[float],
        den: Sequence[float],
        *,
        paired: bool = False,
        expected: int = 0,
        threshold: float = stats.MATERIAL_THRESHOLD,
    ) -> Effect:
        """`paired`: the samples were taken in the same rounds (sample i of each in round i),
        so the per-round ratios are used; else the ratio of the two medians. `expected`: the
        direction the finding predicts (+1 slower, -1 faster, 0 either)."""
        if paired and stats.per_round(num, den):
            ci = stats.paired_ratio_ci(num, den)
            value = stats.paired_ratio(num, den)
        else:
            ci = stats.ratio_ci(num, den)
            value = stats.ratio_of_medians(num, den)
        return cls(value, ci, stats.directional_verdict(ci, expected, threshold))

    @classmethod
    def of_speedups(
        cls,
        base_v: Sequence[float],
        cand_v: Sequence[float],
        base_c: Sequence[float],
        cand_c: Sequence[float],
        *,
        paired: bool = False,
        threshold: float = stats.MATERIAL_THRESHOLD,
    ) -> Effect:
        if paired and stats.per_round(base_v, cand_v, base_c, cand_c):
            ci = stats.paired_ratio_ci(base_v, cand_v, base_c, cand_c)
            value = stats.paired_ratio(base_v, cand_v, base_c, cand_c)
        else:
            ci = stats.double_ratio_ci(base_v, cand_v, base_c, cand_c)
            value = stats.double_ratio(base_v, cand_v, base_c, cand_c)
        return cls(value, ci, stats.verdict(ci, threshold))


@dataclass(frozen=True, slots=True)
class Impact:
    finding: Finding
    probe: str
    script_value_s: float
    canonical_value_s: float
    absolute: Effect | None  # on the baseline's per-sample time; None where units differ
    candidate_absolute: Effect | None
    ratio: Effect | None  # on the candidate's speedup; None without a candidate
    moves: str
    verdict: Verdict
    explanation: str
    candidate: str | None
    value_unit: str = "s"  # of script_value_s and canonical_value_s


class Probe:
    """Base class: the evidence it prices, how the flaw changes a variant, what to compare.

    A probe reads only the finding's typed evidence (`Finding.evidence`), never its message or
    rule name: rewording a message cannot change what is priced."""

    evidence: type[Evidence] = Evidence
    rule: str = ""  # the probe's name in arm ids ("probe-<rule>")
    title: str = ""
    needs_arm: bool = True
    #: the direction the flaw moves the variant's time: +1 slower, -1 faster, 0 either way
    expected: int = 0
    #: the variant and canonical samples were taken in the same rounds (paired estimator)
    paired: bool = True
    #: the unit of what probe_samples returns: seconds per sample, or a rate
    value_unit: str = "s"

    def apply(self, variant: Variant, finding: Finding) -> Variant:
        raise NotImplementedError

    def extra_variants(self, finding: Finding) -> tuple[Variant, ...]:
        """More arms the probe measures on the baseline and the candidate (the worker keeps
        language-model variants for language models only)."""
        return ()

    def probe_samples(
        self, canonical: ArmData, probe: ArmData | None, finding: Finding, ctx: Context
    ) -> tuple[Sequence[float], Sequence[float]]:
        """(variant samples, canonical samples) for the model in `ctx.role`."""
        assert probe is not None
        return probe.samples, canonical.samples

    def explain(self, absolute: Effect | None, ratio: Effect | None, finding: Finding) -> str:
        raise NotImplementedError

    def describe(
        self, measured: Mapping[str, tuple[ArmData | None, ArmData | None]], finding: Finding
    ) -> str:
        """More of what was measured, by role ("baseline", "candidate"): (probe arm,
        canonical arm). Appended to the explanation; empty by default."""
        return ""


def _times(effect: Effect | None) -> str:
    if effect is None:
        return "n/a"
    low, high = effect.ci
    return f"{effect.value:.2f}x [{low:.2f}, {high:.2f}]"


class PerPromptProbe(Probe):
    evidence = PerPromptEvidence
    rule = "per-prompt-loop"
    title = "per-prompt calls vs one batched call"
    expected = 1  # one call per prompt is slower per sample

    def apply(self, variant: Variant, finding: Finding) -> Variant:
        return replace(variant, per_prompt=True)

    def explain(self, absolute: Effect | None, ratio: Effect | None, finding: Finding) -> str:
        return (
            f"calling the pipeline once per prompt instead of once per batch changes the "
            f"baseline's per-sample time by {_times(absolute)} and the speedup by {_times(ratio)}"
        )


class UnsyncedProbe(Probe):
    evidence = UnsyncedEvidence
    rule = "unsynchronized-timer"
    title = "host clock without synchronisation vs synchronised timing"
    expected = -1  # a timer read before the work finishes reads less

    #: a language model's raw prefill forward, timed without and with synchronisation: what
    #: an unsynchronised timer misreads there (`generate()` synchronises every step, so its own
    #: unsynchronised arm is the control)
    FORWARD = "probe-unsynchronized-forward"
    FORWARD_SYNCED = "probe-synchronized-forward"

    def apply(self, variant: Variant, finding: Finding) -> Variant:
        return replace(variant, synchronize=False)

    def extra_variants(self, finding: Finding) -> tuple[Variant, ...]:
        return (
            Variant(self.FORWARD, forward=True, synchronize=False),
            Variant(self.FORWARD_SYNCED, forward=True),
        )

    def probe_samples(
        self, canonical: ArmData, probe: ArmData | None, finding: Finding, ctx: Context
    ) -> tuple[Sequence[float], Sequence[float]]:
        fwd, synced = ctx.arms.get(self.FORWARD), ctx.arms.get(self.FORWARD_SYNCED)
        if fwd is not None and synced is not None:
            return fwd.samples, synced.samples
        return super().probe_samples(canonical, probe, finding, ctx)

    def describe(
        self, measured: Mapping[str, tuple[ArmData | None, ArmData | None]], finding: Finding
    ) -> str:
        probe, canonical = measured.get("baseline", (None, None))
        if probe is None or canonical is None or not probe.units:
            return ""  # not a language model: the probe arm is the script's call itself
        control = stats.ratio_of_medians(probe.samples, canonical.samples)
        return (
            f" (a raw prefill forward of the batch, timed unsynchronised against synchronised;"
            f" the control, generate() timed unsynchronised, reads {control:.2f}x of "
            "synchronised: it synchronises every step)"
        )

    def explain(self, absolute: Effect | None, ratio: Effect | None, finding: Finding) -> str:
        text = (
            f"reading the host clock without synchronising changes the baseline's per-sample "
            f"time by {_times(absolute)} and the speedup by {_times(ratio)}"
        )
        if absolute is not None and absolute.verdict is Verdict.NOT_MATERIAL:
            text += (
                "; the call synchronises internally (a full pipeline call that returns images "
                "copies them to the host), so this script's numbers are not moved, though the "
                "timer would be wrong for asynchronous output"
            )
        return text


class CliStepsProbe(Probe):
    evidence = StepSourceEvidence
    rule = "inconsistent-step-source"
    title = "the CLI step count on every arm vs each model's declared steps"

    @staticmethod
    def cli_steps(finding: Finding) -> int:
        ev = finding.evidence
        steps = ev.cli_steps if isinstance(ev, StepSourceEvidence) else None
        return steps if steps is not None and steps > 0 else DEFAULT_CLI_STEPS

    def apply(self, variant: Variant, finding: Finding) -> Variant:
        return replace(variant, steps=self.cli_steps(finding))

    def explain(self, absolute: Effect | None, ratio: Effect | None, finding: Finding) -> str:
        return (
            f"running every model at the CLI's {self.cli_steps(finding)} steps instead of the "
            f"steps each model declares changes the baseline's per-sample time by "
            f"{_times(absolute)} and the speedup by {_times(ratio)}: a step reduction is "
            f"hidden when both arms are forced to one count"
        )


class WeakWarmupProbe(Probe):
    evidence = WarmupEvidence
    rule = "weak-warmup"
    title = "first call after the script's warm-up vs steady state"
    expected = 1  # a cold call is slower than steady state
    paired = False  # a warm-up trace against the timed samples
    needs_arm = False
    #: a warm-up loop of unknown length: priced as this many calls
    SEVERAL = 3

    @staticmethod
    def script_warmup(finding: Finding) -> int:
        ev = finding.evidence
        if not isinstance(ev, WarmupEvidence):
            return 1
        if ev.warmup_calls is not None:
            return ev.warmup_calls
        return 0 if "none" in ev.reasons else WeakWarmupProbe.SEVERAL

    def apply(self, variant: Variant, finding: Finding) -> Variant:
        return replace(variant, warmup_calls=self.script_warmup(finding))

    def probe_samples(
        self, canonical: ArmData, probe: ArmData | None, finding: Finding, ctx: Context
    ) -> tuple[Sequence[float], Sequence[float]]:
        w = self.script_warmup(finding)
        after = list(canonical.warmup_s[w : w + 2]) or list(canonical.samples[:1])
        return after, canonical.samples

    def explain(self, absolute: Effect | None, ratio: Effect | None, finding: Finding) -> str:
        w = self.script_warmup(finding)
        ev = finding.evidence
        reasons = ev.reasons if isinstance(ev, WarmupEvidence) else ()
        text = (
            f"after {w} warm-up call(s) the next call's per-sample time is {_times(absolute)} "
            f"of steady state, and the speedup read from such calls is {_times(ratio)} of the "
            f"steady one; in a script that times n batches, the excess is spread over all n"
        )
        other = [r for r in reasons if r in ("batch-shape", "no-sync", "compile")]
        if other:
            problems = ", ".join(f"`{r}`" for r in other)
            text += f" (the script's warm-up also has the {problems} problem, not reproduced here)"
        return text


class UnitMixingProbe(Probe):
    """Re-expresses each side of the script's ratio in the unit the script gave it.

    The units come from the finding's evidence (`UnitMixEvidence.left_unit`, `.right_unit`:
    per-sample, per-call, total or throughput).
    """

    evidence = UnitMixEvidence
    rule = "ratio-unit-mixing"
    title = "the script's ratio in its mixed units vs the ratio of per-sample medians"
    paired = False  # views of the samples in other units
    needs_arm = False

    @staticmethod
    def units(finding: Finding) -> tuple[str, str]:
        ev = finding.evidence
        if isinstance(ev, UnitMixEvidence):
            return ev.left_unit, ev.right_unit
        return "per-sample", "per-sample"

    def apply(self, variant: Variant, finding: Finding) -> Variant:
        return variant  # priced on its own; the script's speedup below keeps consistent units

    def probe_samples(
        self, canonical: ArmData, probe: ArmData | None, finding: Finding, ctx: Context
    ) -> tuple[Sequence[float], Sequence[float]]:
        unit = self.units(finding)[0 if ctx.role == "baseline" else 1]
        per_sample = list(canonical.samples)
        if unit == "total":
            return [x * ctx.n_prompts for x in per_sample], per_sample
        if unit == "per-call":
            return list(canonical.call_s), per_sample
        if unit == "throughput":
            return [1.0 / x for x in per_sample if x > 0], per_sample
        return per_sample, per_sample

    def explain(self, absolute: Effect | None, ratio: Effect | None, finding: Finding) -> str:
        left, right = self.units(finding)
        return (
            f"the script divides {left} by {right}; expressed that way the ratio is "
            f"{_times(ratio)} of the unit-consistent ratio of per-sample medians"
        )


class GenerationLengthProbe(Probe):
    """BA206: the same arms with an end-of-sequence token allowed to stop rows, as the script
    lets it (a language model's arms only)."""

    evidence = GenerationLengthEvidence
    rule = "unfixed-generation-length"
    title = "generation an end-of-sequence token may stop vs a fixed length"
    expected = 0  # shorter outputs read faster per sample; a mismatch moves the ratio

    def apply(self, variant: Variant, finding: Finding) -> Variant:
        return replace(variant, eos=True)

    def explain(self, absolute: Effect | None, ratio: Effect | None, finding: Finding) -> str:
        return (
            f"letting an end-of-sequence token stop generation changes the baseline's "
            f"per-sample time by {_times(absolute)} and the speedup by {_times(ratio)}"
        )

    def describe(
        self, measured: Mapping[str, tuple[ArmData | None, ArmData | None]], finding: Finding
    ) -> str:
        parts: list[str] = []
        fractions: list[float] = []
        for role, (probe, canonical) in measured.items():
            if probe is None or canonical is None or not probe.units or not canonical.units:
                continue
            full = stats.median(canonical.units)
            if full <= 0:
                continue
            fraction = stats.median(probe.units) / full
            fractions.append(fraction)
            parts.append(f"the {role} produced {fraction:.0%} of the requested tokens")
        if not parts:
            return ""
        text = "; " + " and ".join(parts) + " (median over calls)"
        ev = finding.evidence
        if isinstance(ev, GenerationLengthEvidence) and ev.rate and fractions[0] > 0:
            text += (
                f"; a tokens/s from the requested count reads {1 / fractions[0]:.2f}x the "
                "produced rate"
            )
        return text


class DecodeOutputProbe(Probe):
    """BA203 on a language model: the output decoded to text inside the timed call (a
    streamer decodes every token as it comes: priced as one decode of the whole output)."""

    evidence = OutputHandlingEvidence
    rule = "io-in-timed-region"
    title = "tokens decoded to text inside the timed call vs generation alone"
    expected = 1

    @staticmethod
    def applies(finding: Finding) -> bool:
        ev = finding.evidence
        return isinstance(ev, OutputHandlingEvidence) and ev.action in ("decode", "stream")

    def apply(self, variant: Variant, finding: Finding) -> Variant:
        return replace(variant, decode=True)  # (probe_for offers only decode and stream)

    def explain(self, absolute: Effect | None, ratio: Effect | None, finding: Finding) -> str:
        text = (
            f"decoding the output inside the timed call changes the baseline's per-sample time "
            f"by {_times(absolute)} and the speedup by {_times(ratio)}"
        )
        ev = finding.evidence
        if isinstance(ev, OutputHandlingEvidence) and ev.action == "stream":
            text += " (a streamer decodes and prints token by token; priced as one decode)"
        return text


class PromptTokensProbe(Probe):
    """BA301 on a language model: a tokens/s that counts the prompt tokens, re-expressed from
    the canonical samples (prompt and produced tokens per batch, the call times)."""

    evidence = TokenCountEvidence
    rule = "ratio-unit-mixing"
    title = "tokens/s counting prompt tokens vs the new-token rate"
    paired = True
    value_unit = "tokens/s"
    needs_arm = False
    expected = 1  # reads higher

    def apply(self, variant: Variant, finding: Finding) -> Variant:
        return variant

    def probe_samples(
        self, canonical: ArmData, probe: ArmData | None, finding: Finding, ctx: Context
    ) -> tuple[Sequence[float], Sequence[float]]:
        extra = ctx.prompt_tokens or 0.0
        pairs = [(u, t) for u, t in zip(canonical.units, canonical.call_s, strict=False) if t > 0]
        return [(u + extra) / t for u, t in pairs], [u / t for u, t in pairs]

    def explain(self, absolute: Effect | None, ratio: Effect | None, finding: Finding) -> str:
        return (
            f"counting the prompt tokens makes the baseline's tokens/s read {_times(absolute)} "
            f"of the new-token rate, and the candidate's speedup in tokens/s {_times(ratio)} of "
            "the new-token speedup"
        )


#: evidence type -> the probe that prices it
PROBES: dict[type[Evidence], Probe] = {
    p.evidence: p
    for p in (
        PerPromptProbe(),
        UnsyncedProbe(),
        CliStepsProbe(),
        WeakWarmupProbe(),
        UnitMixingProbe(),
        GenerationLengthProbe(),
        DecodeOutputProbe(),
        PromptTokensProbe(),
    )
}


def probe_for(finding: Finding) -> Probe | None:
    if finding.evidence is None:
        return None
    probe = PROBES.get(type(finding.evidence))
    if isinstance(probe, DecodeOutputProbe) and not probe.applies(finding):
        return None  # writing images, printing: no probe of its own yet
    return probe


def script_variant(findings: Sequence[Finding]) -> Variant:
    variant = Variant(SCRIPT)
    for finding in findings:
        probe = probe_for(finding)
        if probe is not None:
            variant = probe.apply(variant, finding)
    return variant


def canonical_warmup(n_batches: int, findings: Sequence[Finding]) -> int:
    """At least min(3, n_batches) calls, and two past the script's warm-up to price it."""
    calls = max(min(3, n_batches), 1)
    for finding in findings:
        if isinstance(finding.evidence, WarmupEvidence):
            calls = max(calls, WeakWarmupProbe.script_warmup(finding) + 2)
    return calls


@dataclass(frozen=True, slots=True)
class Plan:
    arms: tuple[ArmSpec, ...]
    script: Variant
    script_arm_variant: str  # "script", or "canonical" when the script's method is canonical
    probed: tuple[tuple[Finding, str], ...]  # (finding, probe arm variant name or "")
    candidate: str | None


def _arm(model: str, variant: Variant, full_warmup: int) -> ArmSpec:
    warmup = full_warmup if variant.warmup_calls is None else variant.warmup_calls
    return ArmSpec(
        id=f"{model}:{variant.name}",
        model=model,
        variant=variant.name,
        per_prompt=variant.per_prompt,
        steps=variant.steps,
        synchronize=variant.synchronize,
        warmup_calls=warmup,
        new_tokens=variant.new_tokens,
        eos=variant.eos,
        decode=variant.decode,
        forward=variant.forward,
    )


def _measures_same(a: Variant, b: Variant) -> bool:
    return replace(a, name="") == replace(b, name="")


def plan(
    models: Sequence[str],
    baseline: str,
    findings: Sequence[Finding],
    n_batches: int,
    aa: bool = True,
) -> Plan:
    """Arms for every model (canonical, script), for the baseline + first candidate (probes),
    and (`aa`) the baseline's canonical arm a second time for the A/A noise floor."""
    full = canonical_warmup(n_batches, findings)
    canonical = Variant(CANONICAL)
    script = script_variant(findings)
    script_name = CANONICAL if _measures_same(script, canonical) else SCRIPT
    arms: dict[str, ArmSpec] = {}
    for model in models:
        arms.setdefault(f"{model}:{CANONICAL}", _arm(model, canonical, full))
        arms.setdefault(f"{model}:{PREFILL}", _arm(model, Variant(PREFILL, new_tokens=1), full))
    if aa:
        arms[f"{baseline}:{AA}"] = _arm(baseline, Variant(AA), full)
    if script_name == SCRIPT:
        for model in models:
            arms.setdefault(f"{model}:{SCRIPT}", _arm(model, script, full))
    candidates = [m for m in models if m != baseline]
    candidate = candidates[0] if candidates else None
    probed: list[tuple[Finding, str]] = []
    for finding in findings:
        probe = probe_for(finding)
        if probe is None:
            continue
        name = ""
        if probe.needs_arm:
            variant = probe.apply(Variant(f"probe-{probe.rule}"), finding)
            name = variant.name
            for model in [m for m in (baseline, candidate) if m is not None]:
                arms.setdefault(f"{model}:{name}", _arm(model, variant, full))
                for extra in probe.extra_variants(finding):
                    arms.setdefault(f"{model}:{extra.name}", _arm(model, extra, full))
        probed.append((finding, name))
    return Plan(tuple(arms.values()), script, script_name, tuple(probed), candidate)


def _moves(absolute: Effect | None, cand_abs: Effect | None, ratio: Effect | None) -> str:
    def moved(e: Effect | None) -> bool:
        return e is not None and e.verdict is Verdict.CONFIRMED

    abs_moved = moved(absolute) or moved(cand_abs)
    if abs_moved and moved(ratio):
        return "both"
    if abs_moved:
        return "absolute"
    if moved(ratio):
        return "ratio"
    return "neither"


def _overall(effects: Sequence[Effect | None]) -> Verdict:
    verdicts = [e.verdict for e in effects if e is not None]
    if Verdict.CONFIRMED in verdicts:
        return Verdict.CONFIRMED
    if verdicts and all(v is Verdict.NOT_MATERIAL for v in verdicts):
        return Verdict.NOT_MATERIAL
    return Verdict.INCONCLUSIVE


def judge(
    finding: Finding,
    probe_arm: str,
    baseline: str,
    candidate: str | None,
    arms: Mapping[str, ArmData],
    n_prompts: int = 1,
    threshold: float = stats.MATERIAL_THRESHOLD,
    prompt_tokens: Mapping[str, float] | None = None,
) -> Impact | None:
    """Price one finding from measured arms; None when its arms did not survive. `threshold`:
    the materiality band (raised to the machine's A/A noise floor when it is wider)."""
    probe = probe_for(finding)
    base_c = arms.get(f"{baseline}:{CANONICAL}")
    if probe is None or base_c is None or not base_c.samples:
        return None
    base_p_arm = arms.get(f"{baseline}:{probe_arm}") if probe_arm else None
    if probe.needs_arm and (base_p_arm is None or not base_p_arm.samples):
        return None
    tokens = prompt_tokens or {}

    def own(model: str) -> dict[str, ArmData]:
        return {k.split(":", 1)[1]: v for k, v in arms.items() if k.split(":", 1)[0] == model}

    base_v, base_ref = probe.probe_samples(
        base_c,
        base_p_arm,
        finding,
        Context("baseline", n_prompts, tokens.get(baseline), own(baseline)),
    )
    units_differ = isinstance(probe, UnitMixingProbe)

    def effect(num: Sequence[float], den: Sequence[float]) -> Effect:
        return Effect.of_ratio(
            num, den, paired=probe.paired, expected=probe.expected, threshold=threshold
        )

    absolute = None if units_differ else effect(base_v, base_ref)
    cand_abs = ratio = None
    cand_c = arms.get(f"{candidate}:{CANONICAL}") if candidate else None
    cand_p_arm = arms.get(f"{candidate}:{probe_arm}") if candidate and probe_arm else None
    usable = cand_c is not None and cand_c.samples and (not probe.needs_arm or cand_p_arm)
    if usable and cand_c is not None:
        cand_v, cand_ref = probe.probe_samples(
            cand_c,
            cand_p_arm,
            finding,
            Context(
                "candidate",
                n_prompts,
                tokens.get(candidate) if candidate else None,
                own(candidate) if candidate else {},
            ),
        )
        if cand_v:
            cand_abs = None if units_differ else effect(cand_v, cand_ref)
            ratio = Effect.of_speedups(
                base_v, cand_v, base_ref, cand_ref, paired=probe.paired, threshold=threshold
            )
    return Impact(
        finding=finding,
        probe=probe.title,
        script_value_s=stats.median(base_v),
        canonical_value_s=stats.median(base_ref),
        absolute=absolute,
        candidate_absolute=cand_abs,
        ratio=ratio,
        moves=_moves(absolute, cand_abs, ratio),
        verdict=_overall([absolute, cand_abs, ratio]),
        explanation=probe.explain(absolute, ratio, finding)
        + probe.describe(
            {"baseline": (base_p_arm, base_c), "candidate": (cand_p_arm, cand_c)}, finding
        ),
        candidate=candidate if ratio is not None else None,
        value_unit=probe.value_unit,
    )
