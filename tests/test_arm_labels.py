"""Arms that run one object reconfigured between them are told apart in what a reviewer reads."""

from __future__ import annotations

from fixture_expectations import FIXTURES

from auditor.api import check as check_paths


def test_same_object_arms_are_named_by_where_their_times_go() -> None:
    path = FIXTURES / "rules" / "fixed-arm-order" / "bad_one_pipeline_reconfigured_between_arms.py"
    report = check_paths([str(path)], select=["BA303"])
    [finding] = report.findings
    assert "`cached_times` is always timed after `baseline_times`" in finding.message
    assert "`pipe` is always timed after `pipe`" not in finding.message
