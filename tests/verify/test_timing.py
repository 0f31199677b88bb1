"""The timing primitive, driven by a fake clock: no model, no torch."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from auditor.verify.timing import Arm, ArmSamples, Budget, Clock, measure, time_call


@dataclass
class FakeDevice:
    """A clock, a queue of asynchronous work and a log of what happened."""

    t: float = 0.0
    queued: float = 0.0  # seconds of device work not yet done
    log: list[str] = field(default_factory=list)

    def now(self) -> float:
        return self.t

    def sync(self) -> None:
        self.t += self.queued
        self.queued = 0.0
        self.log.append("sync")

    def launch(self, host_s: float, device_s: float) -> None:
        self.t += host_s
        self.queued += device_s

    def clock(self) -> Clock:
        return Clock(now=self.now, sync=self.sync)


def test_synchronised_call_includes_queued_device_work() -> None:
    dev = FakeDevice()
    t = time_call(dev.clock(), lambda: dev.launch(0.01, 0.5))
    assert t.host_s == pytest.approx(0.51)
    assert t.device_s is None
    assert t.primary_s == t.host_s


def test_unsynchronised_call_reads_launch_time_and_drains_afterwards() -> None:
    dev = FakeDevice()
    t = time_call(dev.clock(), lambda: dev.launch(0.01, 0.5), synchronize=False)
    assert t.host_s == pytest.approx(0.01)
    assert dev.queued == 0.0  # drained outside the timed region
    assert dev.log[-1] == "sync"


class FakeEvents:
    def __init__(self, dev: FakeDevice) -> None:
        self.dev = dev

    def start(self) -> object:
        return [self.dev.t + self.dev.queued]

    def stop(self, token: object) -> None:
        token.append(self.dev.t + self.dev.queued)  # type: ignore[attr-defined]

    def elapsed_s(self, token: object) -> float:
        return token[1] - token[0]  # type: ignore[index]


def test_device_timer_is_primary_and_host_clock_is_kept() -> None:
    dev = FakeDevice()
    clock = Clock(now=dev.now, sync=dev.sync, device_timer=FakeEvents(dev))
    t = time_call(clock, lambda: dev.launch(0.01, 0.5))
    assert t.device_s == pytest.approx(0.51)
    assert t.host_s == pytest.approx(0.51)


def _arm(
    dev: FakeDevice,
    name: str,
    seconds: float,
    order: list[str],
    warmup: int = 2,
    items: int = 3,
    cold_extra: float = 0.0,
) -> Arm:
    calls = {"n": 0}

    def run(i: int) -> None:
        order.append(name)
        extra = cold_extra if calls["n"] == 0 else 0.0
        calls["n"] += 1
        dev.launch(0.001, seconds + extra)

    return Arm(name, run, lambda i: items, warmup)


def test_measure_warms_up_interleaves_and_keeps_cold_call_apart() -> None:
    dev = FakeDevice()
    order: list[str] = []
    arms = [
        _arm(dev, "a:canonical", 0.1, order, cold_extra=1.0),
        _arm(dev, "b:canonical", 0.05, order),
    ]
    results = measure(arms, dev.clock(), Budget(seconds=0.0, min_samples=4, max_samples=10))
    a, b = results["a:canonical"], results["b:canonical"]
    # warm-up: two calls per arm, then rounds of one call each, the order rotating
    assert order[:4] == ["a:canonical"] * 2 + ["b:canonical"] * 2
    assert order[4:12] == ["a:canonical", "b:canonical", "b:canonical", "a:canonical"] * 2
    assert a.cold_first_call_s == pytest.approx(1.101 / 3)
    assert len(a.samples) == 4 and len(b.samples) == 4
    assert max(a.samples) < a.warmup_s[0]  # the cold call never enters the samples
    assert a.samples[0] == pytest.approx(0.101 / 3)  # per-sample time
    assert a.call_s[0] == pytest.approx(0.101)


def test_measure_runs_whole_rounds_until_every_arm_spent_its_budget() -> None:
    dev = FakeDevice()
    order: list[str] = []
    arms = [_arm(dev, "slow:x", 0.1, order), _arm(dev, "fast:x", 0.05, order)]
    results = measure(arms, dev.clock(), Budget(seconds=0.5, min_samples=2, max_samples=20))
    # the fast arm needs 10 rounds of ~0.051 s; every arm runs every round (paired samples)
    assert len(results["slow:x"].samples) == len(results["fast:x"].samples) == 10
    assert results["fast:x"].spent_s >= 0.5
    capped = measure(arms, dev.clock(), Budget(seconds=99.0, min_samples=2, max_samples=7))
    assert len(capped["slow:x"].samples) == len(capped["fast:x"].samples) == 7


def test_a_precision_target_stops_when_converged_and_not_before_the_minimum() -> None:
    dev = FakeDevice()
    order: list[str] = []
    arms = [_arm(dev, "a:x", 0.1, order), _arm(dev, "b:x", 0.05, order)]
    seen: list[int] = []

    def converged(results: dict[str, ArmSamples]) -> bool:
        seen.append(len(results["a:x"].samples))
        return len(results["a:x"].samples) >= 6

    budget = Budget(seconds=99.0, min_samples=4, max_samples=50, precision=0.05)
    results = measure(arms, dev.clock(), budget, converged=converged)
    assert seen == [4, 5, 6]  # asked after each round from the minimum on
    assert len(results["a:x"].samples) == len(results["b:x"].samples) == 6
    # without a target the same convergence test is never consulted
    seen.clear()
    measure(arms, dev.clock(), Budget(0.0, 3, 50), converged=converged)
    assert seen == []
    # with a target the budget is a cap on the arms' average: 0.101 + 0.051 s a round reaches
    # 2 x 0.5 s after 7 rounds (the slow arm alone would have stopped it after 5)
    never = Budget(seconds=0.5, min_samples=2, max_samples=50, precision=0.05)
    capped = measure(arms, dev.clock(), never, converged=lambda r: False)
    assert len(capped["a:x"].samples) == len(capped["b:x"].samples) == 7


def test_a_failing_arm_drops_its_model_and_the_rest_go_on() -> None:
    dev = FakeDevice()
    order: list[str] = []
    good = _arm(dev, "good:canonical", 0.01, order)

    def boom(i: int) -> None:
        if i >= 1:
            raise RuntimeError("CUDA out of memory")

    bad = Arm("bad:canonical", boom, lambda i: 1, 1)
    bad_probe = _arm(dev, "bad:probe", 0.01, order)
    results = measure([good, bad, bad_probe], dev.clock(), Budget(0.0, 3, 3))
    assert "out of memory" in (results["bad:canonical"].error or "")
    assert results["bad:probe"].error
    assert len(results["good:canonical"].samples) == 3
    assert results["good:canonical"].error is None


def test_between_rounds_runs_on_an_idle_device_before_and_after_every_round() -> None:
    """The GPU monitor's hook: once before the first round and after each, never with device
    work still queued (a query there would otherwise land inside nobody's timing but delay the
    next call's start by the queue)."""
    dev = FakeDevice()
    order: list[str] = []
    arms = [_arm(dev, "a:x", 0.1, order), _arm(dev, "b:x", 0.05, order)]
    seen: list[tuple[int, float]] = []

    def between() -> None:
        seen.append((len(order), dev.queued))

    results = measure(arms, dev.clock(), Budget(0.0, 3, 3), between_rounds=between)
    rounds = len(results["a:x"].samples)
    assert rounds == 3 and len(seen) == rounds + 1
    assert [n for n, _ in seen] == [4, 6, 8, 10]  # after the 4 warm-up calls, then each round
    assert all(q == 0.0 for _, q in seen)
