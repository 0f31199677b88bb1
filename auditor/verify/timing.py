"""The verifier's one timing primitive.

Every number the verifier reports comes from `measure`, which, for a set of arms (a model run
one way):

1. warms every arm up at its exact timed configuration (same prompts, batch shape, step count,
   output type), timing each warm-up call; the first call of an arm is its *cold* call, kept
   apart and never mixed into the samples;
2. synchronises the device;
3. times calls in rounds: every arm once per round, the order rotated each round (A B C, B C A,
   C A B, ...), so slow drift and short bursts of host jitter (clocks, heat, other tenants) are
   shared by the arms of a round instead of biasing whichever ran last or first, and sample i of
   every arm belongs to round i (the paired estimators in `stats` divide within rounds);
4. stops after a round when every arm has spent its time budget and has the minimum number of
   samples, or at the maximum; with a precision target (`Budget.precision`) it stops as soon as
   `converged(results)` says every compared interval is narrow enough (after the minimum), and
   the time budget becomes a cap: it stops when the arms' timed calls reach it on average;
5. keeps every sample.

A timed call synchronises before it starts, then reads a device timer (CUDA events, when the
caller provides them) around the call and the host clock after a final synchronisation, as a
cross-check of the device timer. The primary sample is the device time where there is one, else
the host time.

Probes that reproduce a script's unsynchronised timer pass `synchronize=False` on an arm: the host
clock is then read right after the call returns, the way the script reads it, and the device is
synchronised only afterwards, outside the timed region, so queued work never leaks into the next
arm's sample.

This module is torch-free: the worker injects the clock, the synchronisation and the CUDA-event
timer, and the tests inject fakes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class DeviceTimer(Protocol):
    """A device-side timer (CUDA events): marks on the device's queue, read after a sync."""

    def start(self) -> object: ...

    def stop(self, token: object) -> None: ...

    def elapsed_s(self, token: object) -> float: ...


@dataclass(slots=True)
class Clock:
    now: Callable[[], float] = time.perf_counter
    sync: Callable[[], None] = lambda: None
    device_timer: DeviceTimer | None = None


@dataclass(frozen=True, slots=True)
class CallTime:
    host_s: float
    device_s: float | None = None

    @property
    def primary_s(self) -> float:
        return self.device_s if self.device_s is not None else self.host_s


def time_call(clock: Clock, fn: Callable[[], object], *, synchronize: bool = True) -> CallTime:
    if not synchronize:
        t0 = clock.now()
        fn()
        elapsed = clock.now() - t0
        clock.sync()  # outside the timed region: the next call starts from an idle device
        return CallTime(elapsed)
    timer = clock.device_timer
    clock.sync()
    token = timer.start() if timer else None
    t0 = clock.now()
    fn()
    if timer:
        timer.stop(token)
    clock.sync()
    host = clock.now() - t0
    return CallTime(host, timer.elapsed_s(token) if timer else None)


@dataclass(slots=True)
class Arm:
    """One way of running one model. `run(i)` performs call number i (it picks the batch)."""

    id: str
    run: Callable[[int], object]
    items: Callable[[int], int]  # samples (prompts) processed by call i, for per-sample times
    warmup_calls: int
    synchronize: bool = True
    #: what call i produced, in the arm's own unit (new tokens for a language model), read
    #: after the call; None where nothing is counted
    units: Callable[[int], float] | None = None


@dataclass(slots=True)
class ArmSamples:
    id: str
    samples: list[float] = field(default_factory=list)  # per-sample seconds, primary timer
    host_samples: list[float] = field(default_factory=list)  # per-sample seconds, host clock
    call_s: list[float] = field(default_factory=list)  # whole-call seconds, primary timer
    warmup_s: list[float] = field(default_factory=list)  # per-sample seconds; [0] is the cold call
    units: list[float] = field(default_factory=list)  # what each timed call produced (Arm.units)
    error: str | None = None

    @property
    def cold_first_call_s(self) -> float | None:
        return self.warmup_s[0] if self.warmup_s else None

    @property
    def spent_s(self) -> float:
        return sum(self.call_s)


@dataclass(frozen=True, slots=True)
class Budget:
    seconds: float  # per arm, timed calls only
    min_samples: int
    max_samples: int
    precision: float | None = None  # target half-width of the compared intervals (0.05: +-5%)


class Hooks(Protocol):
    def before_call(self, arm: Arm, phase: str, index: int, eta_s: float | None) -> None: ...

    def failed(self, arm: Arm, exc: BaseException) -> bool:
        """Return True to drop every arm that shares this arm's model (see `group_of`)."""
        ...


def group_of(arm_id: str) -> str:
    """Arms are named `model:variant`; a failure drops the whole model."""
    return arm_id.split(":", 1)[0]


def _eta(arms: Sequence[Arm], results: dict[str, ArmSamples], budget: Budget) -> float | None:
    total = 0.0
    for arm in arms:
        r = results[arm.id]
        if not r.call_s:
            return None
        mean = r.spent_s / len(r.call_s)
        total += max(budget.seconds - r.spent_s, (budget.min_samples - len(r.call_s)) * mean, 0.0)
    return total


def measure(
    arms: Sequence[Arm],
    clock: Clock,
    budget: Budget,
    hooks: Hooks | None = None,
    converged: Callable[[dict[str, ArmSamples]], bool] | None = None,
    between_rounds: Callable[[], None] | None = None,
) -> dict[str, ArmSamples]:
    """Warm every arm up, then time the arms in rounds until the budget says stop.

    `between_rounds` runs once before the first round and after every round, on a synchronised
    device and outside any timed call (the worker samples the GPU's clocks there)."""
    results = {a.id: ArmSamples(a.id) for a in arms}
    alive = list(arms)

    def run_one(arm: Arm, phase: str, index: int) -> CallTime | None:
        if hooks:
            hooks.before_call(arm, phase, index, _eta(alive, results, budget))
        try:
            return time_call(clock, lambda: arm.run(index), synchronize=arm.synchronize)
        except Exception as exc:  # user code: an OOM or a bug ends this model, not the run
            results[arm.id].error = f"{type(exc).__name__}: {exc}"
            drop_group = hooks.failed(arm, exc) if hooks else True
            doomed = {group_of(arm.id)} if drop_group else set()
            for other in list(alive):
                if other.id == arm.id or group_of(other.id) in doomed:
                    alive.remove(other)
                    results[other.id].error = results[other.id].error or (
                        f"dropped: arm {arm.id} failed"
                    )
            return None

    for arm in list(alive):
        for i in range(arm.warmup_calls):
            if arm not in alive:
                break
            t = run_one(arm, "warmup", i)
            if t is not None:
                results[arm.id].warmup_s.append(t.primary_s / arm.items(i))
    clock.sync()
    if between_rounds:
        between_rounds()

    index = 0
    order = list(alive)
    while alive:
        k = index % len(order)
        for arm in order[k:] + order[:k]:  # rotate who goes first
            if arm not in alive:
                continue
            t = run_one(arm, "measure", index)
            if t is None:
                continue
            r = results[arm.id]
            n = arm.items(index)
            r.samples.append(t.primary_s / n)
            r.host_samples.append(t.host_s / n)
            r.call_s.append(t.primary_s)
            if arm.units is not None:
                r.units.append(arm.units(index))
        index += 1
        if between_rounds:
            clock.sync()
            between_rounds()
        if not alive or index >= budget.max_samples:
            break
        if index < budget.min_samples:
            continue
        if budget.precision is not None and converged is not None:
            if converged(results):
                break
            # the budget is a cap on the timed seconds per arm, on average over the arms (an
            # expensive probe arm does not cut the cheap compared arms short)
            spent = sum(results[a.id].spent_s for a in alive)
            if spent >= budget.seconds * len(alive):
                break
        elif all(results[a.id].spent_s >= budget.seconds for a in alive):
            break
    return results


def paired_convergence(
    pairs: Sequence[tuple[str, str]], precision: float
) -> Callable[[dict[str, ArmSamples]], bool]:
    """A `converged` test for `measure`: every pair of arms (numerator, denominator) present
    has a paired-ratio interval within +-`precision` of its estimate. Pairs whose arms failed
    are ignored; with none left there is nothing to wait for."""
    from auditor.verify import stats

    def converged(results: dict[str, ArmSamples]) -> bool:
        for num, den in pairs:
            a, b = results.get(num), results.get(den)
            if a is None or b is None or a.error or b.error:
                continue
            ratio = stats.paired(a.samples, b.samples, resamples=500)
            if ratio is None or ratio.half_width > precision:
                return False
        return True

    return converged
