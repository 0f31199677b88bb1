"""Programmed timings for the verifier's logic tests: no model, no torch, no real clock.

A `FakeDevice` is a clock that only moves when a scripted model "runs"; a `ScriptedModel` says
what each of its calls costs, in fake seconds:

    steps * (per_call_step_s + per_item_step_s * len(prompts)) * warm-up factor * jitter

where the warm-up factor belongs to the model's n-th call overall (its first calls are slow, as a
real model's are) and the jitter is a fixed cycle within +/-1%. Every timed sample therefore lies
within 1% of its nominal value, so an effect's interval, whatever the bootstrap draws, lies
within the matching bounds: a 2.5x effect is always confirmed, a 1.0x one always not material
(a ratio of two medians within 1% of each other stays inside 1 +/- 5%).

`scripted_outcome` runs the verifier's own `probes.plan` arms through the real `timing.measure`
on such models, building each arm exactly as the worker does (`worker._arm`: batched or one call
per prompt, the arm's step count or the model's), and returns the `Outcome` the supervisor would
have collected. `test_assess.py` checks that the worker, given the same clock and models, emits
the very same samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.verify.probes import ArmSpec
from auditor.verify.runner import Outcome
from auditor.verify.timing import Arm, Budget, Clock, measure

#: Multipliers of successive calls of one model: a deterministic spread of +/-1%.
JITTER = (1.0, 1.01, 0.99, 1.005, 0.995)
PROMPTS = tuple(f"prompt {i}" for i in range(6))
BATCH_SIZE = 3
SEED = 0
OUTPUT_TYPE = "pil"
#: Fake seconds per arm, minimum and maximum timed calls (like the CLI's CPU defaults, capped
#: lower so the bootstrap stays quick).
BUDGET = Budget(seconds=0.3, min_samples=5, max_samples=40)


@dataclass
class FakeDevice:
    """A clock, and device work queued by asynchronous calls until the next `sync`."""

    t: float = 0.0
    queued: float = 0.0

    def now(self) -> float:
        return self.t

    def sync(self) -> None:
        self.t += self.queued
        self.queued = 0.0

    def run(self, host_s: float, device_s: float) -> None:
        self.t += host_s
        self.queued += device_s

    def clock(self) -> Clock:
        return Clock(now=self.now, sync=self.sync)


@dataclass(frozen=True)
class ScriptedModel:
    name: str
    steps: int  # the model module's declared `num_inference_steps`
    per_call_step_s: float = 9e-3  # fixed cost of one call, per step
    per_item_step_s: float = 1e-3  # cost of each prompt in the call, per step
    warmup_factors: tuple[float, ...] = (10.0,)  # the model's calls 0, 1, ...; then 1.0
    asynchronous: bool = False  # queue the work on the device and return after `launch_s`
    launch_s: float = 1e-4

    def call_s(self, n_prompts: int, steps: int, call_index: int = 10**6) -> float:
        """The nominal cost of one call (no jitter); `call_index` picks the warm-up factor."""
        factors = self.warmup_factors
        warm = factors[call_index] if call_index < len(factors) else 1.0
        return steps * (self.per_call_step_s + self.per_item_step_s * n_prompts) * warm


@dataclass
class ScriptedAdapter:
    """A model adapter (`models.Adapter`) whose calls only move the fake clock."""

    model: ScriptedModel
    device: FakeDevice
    calls: int = 0
    log: list[tuple[int, int]] = field(default_factory=list)  # (prompts, steps) per call

    def __call__(self, prompts: list[str], *, steps: int, seed: int, output_type: str) -> object:
        cost = self.model.call_s(len(prompts), steps, self.calls)
        cost *= JITTER[self.calls % len(JITTER)]
        self.calls += 1
        self.log.append((len(prompts), steps))
        if self.model.asynchronous:
            self.device.run(self.model.launch_s, cost - self.model.launch_s)
        else:
            self.device.run(cost, 0.0)
        return prompts


def batches(prompts: Sequence[str] = PROMPTS, size: int = BATCH_SIZE) -> list[list[str]]:
    return [list(prompts[i : i + size]) for i in range(0, len(prompts), size)]


def arm_for(spec: ArmSpec, adapter: ScriptedAdapter, model_steps: int) -> Arm:
    """The arm the worker builds for `spec` (see `worker.arm_for`), written out independently."""
    groups = batches()
    steps = spec.steps or model_steps

    def run(i: int) -> object:
        batch = groups[i % len(groups)]
        if spec.per_prompt:
            out = None
            for j, prompt in enumerate(batch):
                out = adapter([prompt], steps=steps, seed=SEED + j, output_type=OUTPUT_TYPE)
            return out
        return adapter(batch, steps=steps, seed=SEED, output_type=OUTPUT_TYPE)

    def items(i: int) -> int:
        return len(groups[i % len(groups)])

    return Arm(spec.id, run, items, spec.warmup_calls, spec.synchronize)


def load_event(model: ScriptedModel) -> dict[str, Any]:
    return {
        "steps": model.steps,
        "steps_source": "declared",
        "dtype": "float32",
        "load_s": 0.0,
        "inference_fn": False,
        "kind": "diffusers",
        "prompt_tokens": None,
    }


def scripted_outcome(
    models: Sequence[ScriptedModel], arms: Sequence[ArmSpec], budget: Budget = BUDGET
) -> Outcome:
    """What the supervisor collects when the worker measures `arms` of `models`."""
    device = FakeDevice()
    by_name = {m.name: m for m in models}
    adapters = {m.name: ScriptedAdapter(m, device) for m in models}
    # the scripted models are pipelines: language-model arms (prefill, EOS, decode) are not
    # measured for them, as the worker does not measure them either
    kept = [a for a in arms if not a.generate_only]
    timed = [arm_for(a, adapters[a.model], by_name[a.model].steps) for a in kept]
    results = measure(timed, device.clock(), budget)
    return Outcome(
        env={"device": "cpu", "device_name": "scripted", "torch": None, "threads": 1},
        loads={m.name: load_event(m) for m in models},
        arms={
            arm_id: {
                "samples": r.samples,
                "host_samples": r.host_samples,
                "call_s": r.call_s,
                "warmup_s": r.warmup_s,
                "units": r.units,
                "error": r.error,
            }
            for arm_id, r in results.items()
        },
    )
