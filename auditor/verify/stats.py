"""Robust summaries of timing samples and the verdicts drawn from them (stdlib only).

Timings are skewed (a slow tail from the allocator, the OS, a clock bump), so every summary is a
median with its interquartile range, and every interval is a percentile bootstrap of the median
(or of a ratio of medians), seeded so that one set of samples always gives the same interval.

A verdict compares an effect, expressed as a ratio (1.0 = no effect), with a materiality band:

- `confirmed`: the whole interval lies outside 1 +/- `threshold` on one side, so the effect is
  both real and large enough to matter;
- `not-material`: the whole interval lies inside the band, so whatever the effect is, it is small;
- `inconclusive`: the interval straddles an edge of the band: the spread is too wide to support
  either claim (more samples or a longer budget would settle it).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

#: An effect under 5% either way is not material: run-to-run drift on one GPU is of that order.
MATERIAL_THRESHOLD = 0.05
DEFAULT_RESAMPLES = 2000
DEFAULT_CONFIDENCE = 0.95


class Verdict(StrEnum):
    CONFIRMED = "confirmed"
    NOT_MATERIAL = "not-material"
    INCONCLUSIVE = "inconclusive"


def quantile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default), `q` in [0, 1]."""
    if not values:
        raise ValueError("quantile of no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def median(values: Sequence[float]) -> float:
    return quantile(values, 0.5)


def iqr(values: Sequence[float]) -> float:
    return quantile(values, 0.75) - quantile(values, 0.25)


def _resample_median(rng: random.Random, values: Sequence[float]) -> float:
    return median(rng.choices(values, k=len(values)))


def bootstrap(
    groups: Sequence[Sequence[float]],
    statistic: Callable[[Sequence[float]], float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval of `statistic(medians)` where each group is resampled independently.

    `statistic` receives the medians of one resample of every group, in order.
    """
    if any(not g for g in groups):
        raise ValueError("bootstrap needs at least one sample in every group")
    rng = random.Random(seed)
    draws = sorted(statistic([_resample_median(rng, g) for g in groups]) for _ in range(resamples))
    alpha = (1.0 - confidence) / 2.0
    return quantile(draws, alpha), quantile(draws, 1.0 - alpha)


def median_ci(values: Sequence[float], *, seed: int = 0) -> tuple[float, float]:
    return bootstrap([values], lambda m: m[0], seed=seed)


def _safe_div(a: float, b: float) -> float:
    return a / b if b > 0 else math.inf


def ratio_of_medians(numerator: Sequence[float], denominator: Sequence[float]) -> float:
    return _safe_div(median(numerator), median(denominator))


def ratio_ci(
    numerator: Sequence[float], denominator: Sequence[float], *, seed: int = 0
) -> tuple[float, float]:
    """Interval of median(numerator) / median(denominator)."""
    return bootstrap([numerator, denominator], lambda m: _safe_div(m[0], m[1]), seed=seed)


def double_ratio(
    a_num: Sequence[float],
    a_den: Sequence[float],
    b_num: Sequence[float],
    b_den: Sequence[float],
) -> float:
    """(median(a_num)/median(a_den)) / (median(b_num)/median(b_den)): a speedup over a speedup."""
    return _safe_div(ratio_of_medians(a_num, a_den), ratio_of_medians(b_num, b_den))


def double_ratio_ci(
    a_num: Sequence[float],
    a_den: Sequence[float],
    b_num: Sequence[float],
    b_den: Sequence[float],
    *,
    seed: int = 0,
) -> tuple[float, float]:
    return bootstrap(
        [a_num, a_den, b_num, b_den],
        lambda m: _safe_div(_safe_div(m[0], m[1]), _safe_div(m[2], m[3])),
        seed=seed,
    )


def verdict(ci: tuple[float, float], threshold: float = MATERIAL_THRESHOLD) -> Verdict:
    """Judge an effect ratio (1.0 = none) by where its interval lies against the band."""
    low, high = ci
    upper, lower = 1.0 + threshold, 1.0 / (1.0 + threshold)
    if low > upper or high < lower:
        return Verdict.CONFIRMED
    if lower <= low and high <= upper:
        return Verdict.NOT_MATERIAL
    return Verdict.INCONCLUSIVE


def relative_spread(values: Sequence[float]) -> float:
    """IQR over median: above ~0.1 a 5% claim needs many samples."""
    m = median(values)
    return iqr(values) / m if m > 0 else math.inf


@dataclass(frozen=True, slots=True)
class Summary:
    """Median, IQR and bootstrap interval of one set of per-sample times (seconds)."""

    median: float
    iqr: float
    ci_low: float
    ci_high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        low, high = median_ci(values)
        return cls(median(values), iqr(values), low, high, len(values))


# ------------------------------------------------------------------ paired, round by round
#: How the paired estimator is described in reports.
PAIRED_ESTIMATOR = (
    "median of per-round ratios (every arm runs once per round, in rotating order), with a "
    "bootstrap over rounds: a round's ratio cancels the jitter and drift its arms share"
)


def per_round(*arms: Sequence[float]) -> list[tuple[float, ...]]:
    """Align arms by round: round i holds every arm's i-th sample (the shortest arm decides)."""
    n = min((len(a) for a in arms), default=0)
    return [tuple(a[i] for a in arms) for i in range(n)]


def _ratio_of_round(values: tuple[float, ...]) -> float:
    """(a / b) for two arms, (a / b) / (c / d) for four."""
    if len(values) == 2:
        return _safe_div(values[0], values[1])
    a, b, c, d = values
    return _safe_div(_safe_div(a, b), _safe_div(c, d))


def paired_ratio(*arms: Sequence[float]) -> float:
    """Median over rounds of num/den (two arms) or (a/b)/(c/d) (four arms)."""
    rounds = per_round(*arms)
    if not rounds:
        raise ValueError("a paired ratio needs at least one round")
    return median([_ratio_of_round(r) for r in rounds])


def paired_ratio_ci(
    *arms: Sequence[float],
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap of `paired_ratio`, resampling whole rounds (the pairs stay
    together)."""
    ratios = [_ratio_of_round(r) for r in per_round(*arms)]
    if not ratios:
        raise ValueError("a paired ratio needs at least one round")
    rng = random.Random(seed)
    draws = sorted(median(rng.choices(ratios, k=len(ratios))) for _ in range(resamples))
    alpha = (1.0 - confidence) / 2.0
    return quantile(draws, alpha), quantile(draws, 1.0 - alpha)


@dataclass(frozen=True, slots=True)
class Paired:
    """A paired ratio with its interval, the rounds behind it and the interval's half-width."""

    value: float
    ci: tuple[float, float]
    rounds: int
    half_width: float


def paired(*arms: Sequence[float], resamples: int = DEFAULT_RESAMPLES) -> Paired | None:
    """`paired_ratio` and `paired_ratio_ci` of the same arms; None before the first round."""
    rounds = len(per_round(*arms))
    if not rounds:
        return None
    value = paired_ratio(*arms)
    ci = paired_ratio_ci(*arms, resamples=resamples)
    return Paired(value, ci, rounds, half_width(value, ci))


def half_width(value: float, ci: tuple[float, float]) -> float:
    """The interval's larger distance from the estimate, relative to it (0.05: +-5%)."""
    if value <= 0 or not math.isfinite(value):
        return math.inf
    return max(value - ci[0], ci[1] - value) / value


def rounds_needed(rounds: int, reached: float, target: float) -> int:
    """Rounds a target half-width would need, from the width `rounds` rounds reached: an
    interval narrows as one over the square root of the sample count."""
    if reached <= target:
        return rounds
    if not math.isfinite(reached):
        return -1
    return math.ceil(rounds * (reached / target) ** 2)


def floor_threshold(noise_floor: tuple[float, float] | None) -> float:
    """The materiality threshold once the machine's A/A noise floor is known: never below
    `MATERIAL_THRESHOLD`, and never below the A/A interval's distance from 1."""
    if noise_floor is None:
        return MATERIAL_THRESHOLD
    low, high = noise_floor
    spread = max(high - 1.0, (1.0 / low - 1.0) if low > 0 else math.inf)
    return max(MATERIAL_THRESHOLD, spread)


def directional_verdict(
    ci: tuple[float, float], expected: int, threshold: float = MATERIAL_THRESHOLD
) -> Verdict:
    """Like `verdict`, but `confirmed` only in the predicted direction (`expected` +1: the
    effect ratio is above 1, -1: below). An interval beyond the band on the other side is
    `inconclusive`: a real effect, but not the one the finding predicts."""
    v = verdict(ci, threshold)
    if v is Verdict.CONFIRMED and expected:
        above = ci[0] > 1.0
        if (expected > 0) != above:
            return Verdict.INCONCLUSIVE
    return v
