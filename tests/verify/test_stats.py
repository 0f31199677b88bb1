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
