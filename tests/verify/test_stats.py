"""Statistics and verdicts, on synthetic samples."""

from __future__ import annotations

import random

import pytest

from auditor.verify import stats
from auditor.verify.stats import Summary, Verdict


def test_quantiles_match_linear_interpolation() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert stats.median(values) == 2.5
    assert stats.quantile(values, 0.0) == 1.0
    assert stats.quantile(values, 1.0) == 4.0
    assert stats.iqr(values) == pytest.approx(3.25 - 1.75)


def test_quantile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        stats.median([])


def test_bootstrap_is_deterministic_and_brackets_the_median() -> None:
    rng = random.Random(1)
    values = [1.0 + rng.gauss(0, 0.01) for _ in range(50)]
    low, high = stats.median_ci(values)
    assert (low, high) == stats.median_ci(values)
    assert low <= stats.median(values) <= high
    assert high - low < 0.02


def test_ratio_ci_brackets_the_ratio_of_medians() -> None:
    rng = random.Random(2)
    a = [2.0 + rng.gauss(0, 0.02) for _ in range(40)]
    b = [1.0 + rng.gauss(0, 0.01) for _ in range(40)]
    low, high = stats.ratio_ci(a, b)
    assert low <= stats.ratio_of_medians(a, b) <= high
    assert 1.9 < low < high < 2.1


def test_double_ratio_of_identical_speedups_is_one() -> None:
    a, b = [2.0, 2.1, 1.9], [1.0, 1.05, 0.95]
    assert stats.double_ratio(a, b, a, b) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("ci", "expected"),
    [
        ((1.8, 2.2), Verdict.CONFIRMED),  # far above the band
        ((0.4, 0.6), Verdict.CONFIRMED),  # far below
        ((0.98, 1.03), Verdict.NOT_MATERIAL),  # inside the +/-5% band
        ((0.9, 1.3), Verdict.INCONCLUSIVE),  # straddles both edges
        ((1.02, 1.2), Verdict.INCONCLUSIVE),  # real, but maybe under 5%
    ],
)
def test_verdict_against_the_materiality_band(ci: tuple[float, float], expected: Verdict) -> None:
    assert stats.verdict(ci) is expected


def test_wide_spread_gives_inconclusive_where_tight_spread_confirms() -> None:
    rng = random.Random(3)
    tight_a = [1.10 + rng.gauss(0, 0.002) for _ in range(30)]
    tight_b = [1.00 + rng.gauss(0, 0.002) for _ in range(30)]
    wide_a = [1.10 * rng.lognormvariate(0, 0.4) for _ in range(6)]
    wide_b = [1.00 * rng.lognormvariate(0, 0.4) for _ in range(6)]
    assert stats.verdict(stats.ratio_ci(tight_a, tight_b)) is Verdict.CONFIRMED
    assert stats.verdict(stats.ratio_ci(wide_a, wide_b)) is Verdict.INCONCLUSIVE
    assert stats.relative_spread(wide_a) > stats.relative_spread(tight_a)


def test_summary_of_samples() -> None:
    s = Summary.of([1.0, 2.0, 3.0, 4.0, 100.0])
    assert s.median == 3.0
    assert s.n == 5
    assert s.ci_low <= s.median <= s.ci_high


# --------------------------------------------------------------- paired, round by round
def _host_jitter_rounds(n: int, true_ratio: float) -> tuple[list[float], list[float]]:
    """Programmed timings like the H200's: each round's calls share a host slowdown drawn
    from a wide range (0.60-1.00 s for one call), and each call adds 1% of its own noise."""
    base, fast = [], []
    for i in range(n):
        shared = 1.0 + 0.67 * ((i * 7919) % 31) / 30  # 1.00x .. 1.67x, spread over the run
        own = (1.0 + 0.01 * ((i * 13) % 3 - 1), 1.0 + 0.01 * ((i * 17) % 3 - 1))
        base.append(0.6 * shared * own[0])
        fast.append(0.6 / true_ratio * shared * own[1])
    return base, fast


def test_the_paired_estimator_cancels_shared_jitter_that_independent_medians_do_not() -> None:
    base, fast = _host_jitter_rounds(30, 1.85)
    paired = stats.paired_ratio(base, fast)
    paired_ci = stats.paired_ratio_ci(base, fast)
    independent_ci = stats.ratio_ci(base, fast)
    assert paired == pytest.approx(1.85, rel=0.02)
    assert paired_ci[0] <= 1.85 <= paired_ci[1]
    assert stats.half_width(paired, paired_ci) < 0.03
    # the same calls, divided as two independent medians: far wider
    independent = stats.ratio_of_medians(base, fast)
    assert stats.half_width(independent, independent_ci) > 4 * stats.half_width(paired, paired_ci)


def test_paired_ratios_align_rounds_and_resample_whole_rounds() -> None:
    assert stats.per_round([1.0, 2.0, 3.0], [4.0, 5.0]) == [(1.0, 4.0), (2.0, 5.0)]
    assert stats.paired_ratio([2.0, 4.0, 9.0], [1.0, 2.0, 3.0]) == 2.0
    # four arms: (a/b)/(c/d) per round
    assert stats.paired_ratio([2.0], [1.0], [3.0], [3.0]) == 2.0
    assert stats.paired_ratio_ci([2.0, 4.0], [1.0, 2.0]) == (2.0, 2.0)
    with pytest.raises(ValueError):
        stats.paired_ratio([], [])


def test_a_slow_drift_shared_by_the_arms_of_a_round_leaves_the_paired_ratio_alone() -> None:
    drift = [1.0 + 0.02 * i for i in range(40)]  # the device slows 80% over the run
    base = [1.0 * d for d in drift]
    fast = [0.5 * d for d in drift]
    assert stats.paired_ratio(base, fast) == pytest.approx(2.0)
    assert stats.paired_ratio_ci(base, fast) == pytest.approx((2.0, 2.0))


def test_rounds_needed_scales_with_the_square_of_the_width() -> None:
    assert stats.rounds_needed(20, 0.10, 0.05) == 80
    assert stats.rounds_needed(20, 0.04, 0.05) == 20
    assert stats.rounds_needed(20, float("inf"), 0.05) == -1
    assert stats.half_width(2.0, (1.9, 2.2)) == pytest.approx(0.1)


def test_the_noise_floor_raises_the_materiality_band_never_lowers_it() -> None:
    assert stats.floor_threshold(None) == stats.MATERIAL_THRESHOLD
    assert stats.floor_threshold((0.99, 1.02)) == stats.MATERIAL_THRESHOLD
    assert stats.floor_threshold((0.90, 1.08)) == pytest.approx(1 / 0.9 - 1)
    # an effect of 7% on a machine whose A/A interval reaches 11%: not claimed
    assert stats.verdict((1.06, 1.08), stats.floor_threshold((0.90, 1.08))) is not (
        Verdict.CONFIRMED
    )
    assert stats.verdict((1.06, 1.08)) is Verdict.CONFIRMED


def test_a_confirmed_effect_must_have_the_predicted_direction() -> None:
    slower, faster = (1.5, 1.7), (0.5, 0.6)
    assert stats.directional_verdict(slower, +1) is Verdict.CONFIRMED
    assert stats.directional_verdict(faster, +1) is Verdict.INCONCLUSIVE
    assert stats.directional_verdict(faster, -1) is Verdict.CONFIRMED
    assert stats.directional_verdict(faster, 0) is Verdict.CONFIRMED
    assert stats.directional_verdict((0.99, 1.01), +1) is Verdict.NOT_MATERIAL
