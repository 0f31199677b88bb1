"""Speedups, impacts and verdicts from programmed timings: exact on any machine.

The arms come from the verifier's own plan, are timed by the real `timing.measure` on a fake clock
(see `scripted.py`) and are judged by the real `assess`/`probes`/`stats`; only the model and the
clock are scripted. Every sample lies within 1% of its nominal cost, so each verdict below is
implied by the nominal costs, whatever the bootstrap draws.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import jsonschema
import pytest
from scripted import BUDGET, PROMPTS, FakeDevice, ScriptedAdapter, ScriptedModel, scripted_outcome
from verify_helpers import make_finding, runtime, seed_findings

from auditor.core import Finding
from auditor.verify import assess, probes, report, runner, stats
from auditor.verify.assess import Assessment
from auditor.verify.monitor import DeviceMonitor
from auditor.verify.probes import Impact
from auditor.verify.stats import Verdict

N_BATCHES = 2  # six prompts in batches of three

#: 20 and 10 steps at 9 ms fixed + 1 ms per prompt per step: one batched call of three prompts
#: costs 240 ms (80 ms per sample) and 120 ms (40 ms), so the canonical speedup is 2.0; called
#: once per prompt, each sample costs 200 ms and 100 ms: 2.5x slower, the same 2.0x speedup.
BASE = ScriptedModel("base", steps=20)
FAST = ScriptedModel("fast", steps=10)


def _assess(
    models: Sequence[ScriptedModel], findings: Sequence[Finding]
) -> tuple[probes.Plan, Assessment]:
    names = [m.name for m in models]
    plan = probes.plan(names, names[0], findings, N_BATCHES)
    outcome = scripted_outcome(models, plan.arms)
    paths = [(n, f"{n}.py") for n in names]
    return plan, assess.assess(paths, names[0], plan, outcome, N_BATCHES, findings, len(PROMPTS))


def _payload(findings: Sequence[Finding], assessment: Assessment) -> dict[str, Any]:
    env = {"device": "cpu", "device_name": "scripted", "torch": None, "threads": 1}
    payload = report.build_payload(findings, [], 1, env, assessment, [])
    report.validate(payload)
    return payload


def _impact(finding: Finding, base: ScriptedModel = BASE, fast: ScriptedModel = FAST) -> Impact:
    _, assessment = _assess([base, fast], [finding])
    assert assessment.unpriced == ()
    (impact,) = assessment.impacts
    assert impact.candidate == fast.name
    return impact


def test_seed_script_on_scripted_models() -> None:
    """The seed's four flaws on base (20 steps), speedup (10) and gt (20): what the tiny CPU
    fixtures are meant to show, decided exactly."""
    warm = (10.0, 2.0, 2.0)  # two calls after the cold one still run at twice the steady cost
    models = [
        ScriptedModel("base", steps=20, warmup_factors=warm),
        ScriptedModel("speedup", steps=10, warmup_factors=warm),
        ScriptedModel("gt", steps=20, warmup_factors=warm),
    ]
    findings = seed_findings()
    plan, assessment = _assess(models, findings)
    payload = _payload(findings, assessment)
    assert payload == _payload(findings, _assess(models, findings)[1])  # the same, every time

    results = {m["name"]: m for m in payload["models"]}
    assert [m["error"] for m in results.values()] == [None, None, None]
    base = results["base"]
    assert base["per_sample_median_s"] == pytest.approx(0.080, rel=0.01)
    assert base["ci_low_s"] <= base["per_sample_median_s"] <= base["ci_high_s"]
    assert base["cold_first_call_s"] == pytest.approx(0.800)  # kept apart: 10x the steady cost
    assert max(base["samples"]) < 0.0809
    # two 0.24 s calls spend the 0.3 s budget; the minimum count decides
    assert len(base["samples"]) == BUDGET.min_samples

    comparisons = {c["candidate"]: c for c in payload["comparisons"]}
    fast = comparisons["speedup"]
    assert fast["canonical_speedup"] == pytest.approx(2.0, rel=0.03)
    # per-prompt calls at the CLI's 50 steps cost the same on both models: the speedup vanishes
    assert fast["script_speedup"] == pytest.approx(1.0, rel=0.03)
    assert fast["script_first_pass_speedup"] == pytest.approx(1.0, rel=0.03)
    assert fast["discrepancy_pct"] == pytest.approx(-50.0, abs=2.0)
    assert fast["verdict"] == "confirmed"
    same = comparisons["gt"]
    assert same["canonical_speedup"] == pytest.approx(1.0, rel=0.03)
    assert same["verdict"] == "not-material"

    impacts = {i["name"]: i for i in payload["impacts"]}
    assert set(impacts) == {f.name for f in findings}
    per_prompt = impacts["per-prompt-loop"]
    assert (per_prompt["moves"], per_prompt["verdict"]) == ("absolute", "confirmed")
    assert per_prompt["ratio"] == pytest.approx(2.5, rel=0.03)
    assert per_prompt["speedup_effect_verdict"] == "not-material"
    steps = impacts["inconsistent-step-source"]
    assert (steps["moves"], steps["verdict"]) == ("both", "confirmed")
    assert steps["ratio"] == pytest.approx(2.5, rel=0.03)  # 50 steps instead of 20
    assert steps["speedup_effect"] == pytest.approx(0.5, rel=0.03)  # both at 50: no speedup
    warmup = impacts["weak-warmup"]
    assert (warmup["moves"], warmup["verdict"]) == ("absolute", "confirmed")
    assert warmup["ratio"] == pytest.approx(2.0, rel=0.03)
    units = impacts["ratio-unit-mixing"]
    assert (units["moves"], units["verdict"]) == ("ratio", "confirmed")
    assert units["ratio"] is None  # no absolute view: the units differ
    assert units["speedup_effect"] == pytest.approx(1 / 6, rel=0.03)  # per-sample / total of 6

    text = report.render_text(payload, "fixtures/seed/test.py")
    assert "speedup vs base: script's method 1.00x" in text
    assert "moves: ratio; verdict: confirmed" in text
    assert plan.script_arm_variant == "script"


def test_a_flawed_arm_2_5x_slower_per_sample_moves_absolute_numbers() -> None:
    impact = _impact(make_finding("per-prompt-loop"))
    assert impact.moves == "absolute" and impact.verdict is Verdict.CONFIRMED
    assert impact.absolute is not None and impact.absolute.verdict is Verdict.CONFIRMED
    assert impact.absolute.value == pytest.approx(2.5, rel=0.03)
    assert impact.candidate_absolute is not None
    assert impact.candidate_absolute.value == pytest.approx(2.5, rel=0.03)
    assert impact.ratio is not None and impact.ratio.verdict is Verdict.NOT_MATERIAL
    assert impact.script_value_s == pytest.approx(0.200, rel=0.01)
    assert impact.canonical_value_s == pytest.approx(0.080, rel=0.01)


def test_one_step_count_on_both_arms_moves_both() -> None:
    impact = _impact(make_finding("inconsistent-step-source", cli_steps=40))
    assert impact.moves == "both" and impact.verdict is Verdict.CONFIRMED
    assert impact.absolute is not None and impact.absolute.value == pytest.approx(2.0, rel=0.03)
    assert impact.ratio is not None and impact.ratio.value == pytest.approx(0.5, rel=0.03)


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [("per-sample", "total", 1 / 6), ("total", "per-sample", 6.0), ("per-call", "per-sample", 3.0)],
)
def test_a_unit_mix_moves_the_ratio_only(left: str, right: str, expected: float) -> None:
    impact = _impact(make_finding("ratio-unit-mixing", left_unit=left, right_unit=right))
    assert impact.moves == "ratio" and impact.verdict is Verdict.CONFIRMED
    assert impact.absolute is None and impact.candidate_absolute is None
    assert impact.ratio is not None and impact.ratio.value == pytest.approx(expected, rel=0.03)


def test_consistent_units_move_nothing() -> None:
    impact = _impact(make_finding("ratio-unit-mixing", left_unit="total", right_unit="total"))
    assert impact.moves == "neither" and impact.verdict is Verdict.NOT_MATERIAL
    assert impact.ratio is not None and impact.ratio.value == pytest.approx(1.0, rel=0.03)


def test_an_unsynchronised_timer_on_synchronous_calls_moves_neither() -> None:
    impact = _impact(make_finding("unsynchronized-timer"))
    assert impact.moves == "neither" and impact.verdict is Verdict.NOT_MATERIAL
    assert impact.absolute is not None and impact.absolute.value == pytest.approx(1.0, rel=0.03)
    assert "synchronises internally" in impact.explanation


def test_an_unsynchronised_timer_on_queued_work_reads_launch_times() -> None:
    base = ScriptedModel("base", steps=20, asynchronous=True)
    fast = ScriptedModel("fast", steps=10, asynchronous=True)
    impact = _impact(make_finding("unsynchronized-timer"), base, fast)
    assert impact.moves == "both" and impact.verdict is Verdict.CONFIRMED
    # the host clock sees 0.1 ms launches (per sample: 1/3 of that) instead of 240 ms calls
    assert impact.script_value_s == pytest.approx(1e-4 / 3)
    assert impact.ratio is not None and impact.ratio.value == pytest.approx(0.5, rel=0.03)


@pytest.mark.parametrize(
    ("factors", "moves", "verdict", "value"),
    [
        ((10.0, 2.0, 2.0), "absolute", Verdict.CONFIRMED, 2.0),  # still slow after one call
        ((10.0, 1.0, 1.0), "neither", Verdict.NOT_MATERIAL, 1.0),  # one call is enough
        # Faster than steady right after warm-up: a real effect, but not the one a weak
        # warm-up predicts (cold calls are slower), so it is never "confirmed" for BA102.
        ((10.0, 0.5, 0.5), "neither", Verdict.INCONCLUSIVE, 0.5),
    ],
    ids=["slow-after-warmup", "warm-after-one-call", "faster-than-steady"],
)
def test_weak_warmup_is_priced_from_the_warmup_trace(
    factors: tuple[float, ...], moves: str, verdict: Verdict, value: float
) -> None:
    base = ScriptedModel("base", steps=20, warmup_factors=factors)
    fast = ScriptedModel("fast", steps=10, warmup_factors=factors)
    impact = _impact(make_finding("weak-warmup", warmup_calls=1), base, fast)
    assert (impact.moves, impact.verdict) == (moves, verdict)
    assert impact.absolute is not None and impact.absolute.value == pytest.approx(value, rel=0.03)
    assert impact.ratio is not None and impact.ratio.verdict is Verdict.NOT_MATERIAL


def test_a_finding_without_a_probe_is_unpriced() -> None:
    _, assessment = _assess([BASE, FAST], [make_finding("io-in-timed-region")])
    assert assessment.impacts == ()
    assert [why for _, why in assessment.unpriced] == ["the verifier has no probe for this rule"]


@runtime
def test_the_worker_measures_what_the_scripted_harness_does() -> None:
    """`scripted_outcome` builds arms as the worker does: the worker itself, given the same
    fake clock and models, emits the very same samples, so the verdicts above are the worker's."""
    import torch

    from auditor.verify import worker
    from auditor.verify.models import LoadedModel

    models = {m.name: m for m in (BASE, FAST)}
    findings = [
        make_finding("per-prompt-loop"),
        make_finding("inconsistent-step-source", cli_steps=40),
        make_finding("weak-warmup", warmup_calls=1),
    ]
    plan = probes.plan(list(models), "base", findings, N_BATCHES)
    device = FakeDevice()

    def load(name: str, path: str, where: str, *_: object) -> LoadedModel:
        m = models[name]
        return LoadedModel(name, path, ScriptedAdapter(m, device), m.steps, "float32", 0.0, False)

    job = {
        "models": [{"name": n, "path": f"{n}.py"} for n in models],
        "device": "cpu",
        "threads": 1,
        "prompts": list(PROMPTS),
        "steps_override": None,
        "arms": [a.to_dict() for a in plan.arms],
        "batch_size": 3,
        "output_type": "pil",
        "seed": 0,
        "budget_s": BUDGET.seconds,
        "min_samples": BUDGET.min_samples,
        "max_samples": BUDGET.max_samples,
    }
    stream = io.StringIO()
    threads = torch.get_num_threads()
    clocks = iter([1980, 1980, 1500] + [1980] * 50)  # one round ran at a lower SM clock
    gpu = DeviceMonitor("GPU-0", run=lambda args: f"{next(clocks)}, 1980, 50, 300, 0x0")
    try:
        worker.run_job(job, worker.Emitter(stream), clock=device.clock(), load=load, monitor=gpu)
    finally:
        torch.set_num_threads(threads)
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert events[0]["ev"] == "env" and events[-1]["ev"] == "done"
    got, attempt = runner.Outcome(), runner._Attempt()
    for event in events:
        runner._handle(event, got, attempt)
    assert attempt.completed and got.errors == {}

    expected = scripted_outcome(list(models.values()), plan.arms)
    assert got.arms == expected.arms
    assert got.loads == expected.loads
    jsonschema.validate(got.env, report.report_schema()["$defs"]["environment"])
    # the GPU was sampled before the first round and after each, and its moving clock is said
    rounds = len(got.arms["base:canonical"]["samples"])
    state = got.device_state
    assert state is not None and state["samples"] == rounds + 1
    env_schema = report.report_schema()["$defs"]["environment"]
    jsonschema.validate({**got.env, "device_state": state}, env_schema)
    result = assess.assess([(n, f"{n}.py") for n in models], "base", plan, got, N_BATCHES)
    notes = assess.machine_notes(result, got)
    moved = "device state: the SM clock moved between rounds (1500-1980"
    assert any(n.startswith(moved) for n in notes)


def test_speedups_are_paired_and_the_baseline_measures_its_own_noise_floor() -> None:
    """Every arm ran once per round; the baseline's canonical arm ran twice (A/A). The floor
    of these scripted models (+-1% jitter) stays inside the 5% band, and each comparison says
    how many rounds its interval rests on and how wide it is."""
    plan, assessment = _assess([BASE, FAST], [])
    assert any(a.id == "base:aa" for a in plan.arms)
    floor = assessment.noise_floor
    assert floor is not None and floor.rounds >= 5
    assert floor.ci[0] <= 1.0 <= floor.ci[1] and floor.threshold == stats.MATERIAL_THRESHOLD
    (comp,) = assessment.comparisons
    assert comp.rounds == floor.rounds
    assert comp.canonical_speedup == pytest.approx(2.0, rel=0.02)
    assert comp.half_width < 0.02 and comp.rounds_needed is None
    payload = _payload([], assessment)
    assert payload["statistics"]["noise_floor"]["rounds"] == floor.rounds
    assert payload["statistics"]["estimator"] == stats.PAIRED_ESTIMATOR


def _arm_raw(samples: list[float], host: list[float] | None = None) -> dict[str, Any]:
    return {
        "samples": samples,
        "host_samples": host if host is not None else samples,
        "call_s": [s * 3 for s in samples],
        "warmup_s": [samples[0] * 2],
        "error": None,
    }


def test_a_noisy_machine_is_reported_and_its_floor_widens_the_band() -> None:
    """Programmed timings of a shared machine: every call of every arm gets its own +-30%
    noise (nothing shared within a round). The A/A floor comes out wide, the 1.05x candidate is
    left undecided rather than confirmed, and the notes say why; a host clock 20% above the
    device timer is pointed out."""
    n = 20
    noise = [1.0 + 0.3 * (((i * 7) % 5) - 2) / 2 for i in range(3 * n)]
    base = [0.2 * noise[i] for i in range(n)]
    aa = [0.2 * noise[n + (i * 3) % n] for i in range(n)]
    fast = [0.2 / 1.05 * noise[i + 1] for i in range(n)]  # its own noise, shifted a call
    outcome = runner.Outcome(
        arms={
            "base:canonical": _arm_raw(base, [b * 1.2 for b in base]),
            "base:aa": _arm_raw(aa),
            "fast:canonical": _arm_raw(fast),
        }
    )
    plan = probes.plan(["base", "fast"], "base", [], 2)
    result = assess.assess([("base", "b.py"), ("fast", "f.py")], "base", plan, outcome, 2)
    floor = result.noise_floor
    assert floor is not None and floor.threshold > 0.10
    (comp,) = result.comparisons
    assert stats.verdict(comp.canonical_ci, floor.threshold) is Verdict.INCONCLUSIVE
    notes = assess.machine_notes(result, outcome)
    assert any("noise floor is +-" in t and "undecided: fast over base" in t for t in notes)
    assert any("base:canonical: the host clock read +20.0%" in t for t in notes)
    assert any("spread by" in t and "shared or throttled" in t for t in notes)
    # a quiet machine says nothing
    quiet = runner.Outcome(
        arms={k: _arm_raw([0.2] * n) for k in ("base:canonical", "base:aa", "fast:canonical")}
    )
    calm = assess.assess([("base", "b.py"), ("fast", "f.py")], "base", plan, quiet, 2)
    assert assess.machine_notes(calm, quiet) == []
