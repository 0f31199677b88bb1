"""Planning arms from findings and judging what comes back, on synthetic samples."""

from __future__ import annotations

import random
from dataclasses import replace

from verify_helpers import make_finding, seed_findings

from auditor.verify import probes
from auditor.verify.probes import ArmData, Variant
from auditor.verify.stats import Verdict


def _arm(median: float, n: int = 30, batch: int = 3, seed: int = 0, warm: float = 0.0) -> ArmData:
    rng = random.Random(seed)
    samples = [median * (1 + rng.gauss(0, 0.005)) for _ in range(n)]
    warmup = [median * 4, median * (1 + warm), median * (1 + warm)]
    return ArmData(samples, [s * batch for s in samples], warmup)


def test_script_variant_folds_every_flaw() -> None:
    v = probes.script_variant(seed_findings())
    assert v == Variant("script", per_prompt=True, steps=50, synchronize=True, warmup_calls=1)


def test_plan_has_canonical_and_script_arms_for_every_model_and_probes_for_two() -> None:
    plan = probes.plan(["base", "speedup", "gt"], "base", seed_findings(), n_batches=2)
    ids = {a.id for a in plan.arms}
    for m in ("base", "speedup", "gt"):
        assert {f"{m}:canonical", f"{m}:script"} <= ids
    assert "base:probe-per-prompt-loop" in ids and "speedup:probe-per-prompt-loop" in ids
    assert "gt:probe-per-prompt-loop" not in ids
    assert plan.candidate == "speedup"
    canonical = next(a for a in plan.arms if a.id == "base:canonical")
    assert canonical.warmup_calls == 3  # min(3, n_batches) and two past the script's one call
    script = next(a for a in plan.arms if a.id == "base:script")
    assert script.warmup_calls == 1 and script.per_prompt and script.steps == 50


def test_no_findings_means_no_script_arms() -> None:
    plan = probes.plan(["base", "fast"], "base", [], n_batches=5)
    # the canonical arms, the baseline's canonical arm once more for the A/A noise floor, and
    # each model's prefill (the worker keeps it for language models only)
    assert sorted(a.id for a in plan.arms) == [
        "base:aa",
        "base:canonical",
        "base:prefill",
        "fast:canonical",
        "fast:prefill",
    ]
    prefill = next(a for a in plan.arms if a.id == "base:prefill")
    assert prefill.new_tokens == 1 and not prefill.eos and not prefill.decode
    aa = next(a for a in plan.arms if a.id == "base:aa")
    canonical = next(a for a in plan.arms if a.id == "base:canonical")
    assert (aa.per_prompt, aa.steps, aa.synchronize, aa.warmup_calls) == (
        canonical.per_prompt,
        canonical.steps,
        canonical.synchronize,
        canonical.warmup_calls,
    )
    assert plan.script_arm_variant == "canonical"
    assert {a.id for a in probes.plan(["base"], "base", [], 5, aa=False).arms} == {
        "base:canonical",
        "base:prefill",
    }


def test_per_prompt_loop_moves_absolute_numbers_only() -> None:
    f = make_finding("per-prompt-loop")
    arms = {
        "base:canonical": _arm(1.0),
        "fast:canonical": _arm(0.54, seed=1),
        "base:probe-per-prompt-loop": _arm(3.0, seed=2),
        "fast:probe-per-prompt-loop": _arm(1.62, seed=3),
    }
    impact = probes.judge(f, "probe-per-prompt-loop", "base", "fast", arms)
    assert impact is not None
    assert impact.script_value_s > impact.canonical_value_s
    assert impact.moves == "absolute"
    assert impact.verdict is Verdict.CONFIRMED
    assert impact.ratio is not None and impact.ratio.verdict is Verdict.NOT_MATERIAL


def test_cli_steps_moves_both() -> None:
    f = make_finding("inconsistent-step-source", cli_steps=50)
    arms = {
        "base:canonical": _arm(1.0),
        "fast:canonical": _arm(0.54, seed=1),
        "base:probe-inconsistent-step-source": _arm(2.5, seed=2),
        "fast:probe-inconsistent-step-source": _arm(2.5, seed=3),
    }
    impact = probes.judge(f, "probe-inconsistent-step-source", "base", "fast", arms)
    assert impact is not None and impact.moves == "both"
    assert impact.ratio is not None and impact.ratio.value < 0.6


def test_weak_warmup_uses_the_warmup_trace() -> None:
    f = make_finding("weak-warmup", warmup_calls=1, reasons=("single-call",))
    warm = {"base:canonical": _arm(1.0, warm=0.0), "fast:canonical": _arm(0.5, seed=1)}
    impact = probes.judge(f, "", "base", "fast", warm)
    assert impact is not None and impact.absolute is not None
    assert impact.absolute.value < 1.05
    cold = {"base:canonical": _arm(1.0, warm=1.0), "fast:canonical": _arm(0.5, seed=1)}
    impact = probes.judge(f, "", "base", "fast", cold)
    assert impact is not None and impact.absolute is not None
    assert impact.absolute.value > 1.5


def test_unit_mixing_reads_units_from_the_evidence_and_moves_the_ratio() -> None:
    (f,) = [x for x in seed_findings() if x.name == "ratio-unit-mixing"]
    assert probes.UnitMixingProbe.units(f) == ("per-sample", "total")
    arms = {"base:canonical": _arm(1.0), "fast:canonical": _arm(0.5, seed=1)}
    impact = probes.judge(f, "", "base", "fast", arms, n_prompts=6)
    assert impact is not None and impact.ratio is not None
    assert abs(impact.ratio.value - 1 / 6) < 0.01
    assert impact.absolute is None and impact.moves == "ratio"


def test_unit_mixing_reads_the_evidence_never_the_message() -> None:
    f = make_finding(
        "ratio-unit-mixing",
        message="`a` is a per-sample time but `b` is a total time",
        left_unit="total",
        right_unit="per-sample",
    )
    assert probes.UnitMixingProbe.units(f) == ("total", "per-sample")


def test_probes_follow_evidence_not_names_or_messages() -> None:
    """Rewording a message or renaming a rule changes nothing that is priced; a finding
    without evidence is not priced."""
    f = make_finding("inconsistent-step-source", cli_steps=40)
    reworded = replace(f, name="renamed-rule", message="anything at all")
    assert probes.probe_for(reworded) is probes.probe_for(f) is not None
    assert probes.CliStepsProbe.cli_steps(reworded) == 40
    assert probes.probe_for(replace(f, evidence=None)) is None
    warm = make_finding("weak-warmup", warmup_calls=None, reasons=("single-call",))
    assert probes.WeakWarmupProbe.script_warmup(warm) == probes.WeakWarmupProbe.SEVERAL
    none = make_finding("weak-warmup", warmup_calls=0, reasons=("none",))
    assert probes.WeakWarmupProbe.script_warmup(none) == 0


def test_missing_arms_leave_a_finding_unpriced() -> None:
    f = make_finding("per-prompt-loop")
    assert probes.judge(f, "probe-per-prompt-loop", "base", "fast", {}) is None
