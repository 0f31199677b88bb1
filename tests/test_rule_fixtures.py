"""Every rule fixture yields exactly the (line, code) pairs its `# expect:` comments name."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixture_expectations import FIXTURES, expected, rule_fixture_files

from auditor.api import check as check_paths
from auditor.registry import all_rules

FILES = rule_fixture_files()


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES])
def test_fixture_findings_match_expectations(path: Path) -> None:
    report = check_paths([str(path)], select=["ALL"])  # off-by-default rules have fixtures too
    assert report.errors == []
    got = {(f.line, f.code) for f in report.findings}
    assert got == expected(path)
    # one read is reported once per rule: two findings of one rule at one place read as noise
    # (and their order is not stable between cached and uncached runs)
    places = [(f.line, f.column, f.code) for f in report.findings]
    assert len(places) == len(set(places)), places


def test_every_rule_has_flagged_and_clean_fixtures() -> None:
    for rule in all_rules():
        if rule.META.code == "BA001":
            continue
        folder = FIXTURES / "rules" / rule.META.name
        files = sorted(folder.glob("*.py"))
        flagged = [p for p in files if any(code == rule.META.code for _, code in expected(p))]
        # clean for this rule (a minimal example may still time one run: BA302)
        clean = [
            p
            for p in files
            if p.name.startswith("clean_")
            and not any(code == rule.META.code for _, code in expected(p))
        ]
        assert flagged, f"{rule.META.name} has no flagged fixture"
        assert clean, f"{rule.META.name} has no clean fixture"


def test_clean_fixtures_expect_nothing_of_their_own_rule() -> None:
    """A clean fixture shows careful code for its rule. Minimal examples time one run, which
    BA302 reports, and the fixture tests select every rule, so an opt-in rule (off by default:
    a fixed arm order) may speak too (each says so in an `# expect:`); nothing else may be
    expected there."""
    opt_in = {r.META.code for r in all_rules() if not r.META.default_enabled}
    for path in FILES:
        if path.name.startswith("clean_"):
            codes = {code for _, code in expected(path)}
            own = {r.META.code for r in all_rules() if r.META.name == path.parent.name}
            assert not codes & own, path
            assert codes <= {"BA302"} | opt_in, path
    assert any(
        p.name.startswith("clean_") and not expected(p)
        for p in FILES
        if p.parent.name == "too-few-samples"
    )
