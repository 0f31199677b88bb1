"""The rule catalogue: metadata is complete and each rule's own examples behave as documented."""

from __future__ import annotations

import re

import pytest

from auditor.core import FileResult
from auditor.engine import CheckOptions, check_source
from auditor.registry import all_rules, find_rule, select_rules

RULES = all_rules()


def run(source: str, code: str) -> FileResult:
    """Run the default rule set (plus the rule itself, if it is off by default)."""
    rules = tuple(select_rules(extend_select=[code]))
    return check_source(source, "example.py", CheckOptions(rules))


@pytest.mark.parametrize("rule", RULES, ids=[r.META.code for r in RULES])
def test_metadata_follows_house_style(rule: type) -> None:
    meta = rule.META  # type: ignore[attr-defined]
    assert re.fullmatch(r"BA\d{3}", meta.code)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", meta.name)
    assert not meta.message.endswith(".")
    assert meta.docs.what_it_does and meta.docs.why_is_this_bad
    assert meta.docs.example and meta.docs.use_instead
    assert meta.fix_title


@pytest.mark.parametrize("rule", RULES, ids=[r.META.code for r in RULES])
def test_documented_example_is_flagged_and_alternative_is_clean(rule: type) -> None:
    meta = rule.META  # type: ignore[attr-defined]
    bad = run(meta.docs.example, meta.code)
    good = run(meta.docs.use_instead, meta.code)
    assert bad.error is None and good.error is None
    assert meta.code in {f.code for f in bad.findings}
    assert meta.code not in {f.code for f in good.findings}


def test_codes_and_names_are_unique() -> None:
    assert len({r.META.code for r in RULES}) == len(RULES)
    assert len({r.META.name for r in RULES}) == len(RULES)


def test_find_rule_by_code_or_name() -> None:
    assert find_rule("ba201").META.name == "per-prompt-loop"
    assert find_rule("weak-warmup").META.code == "BA102"


def test_selection_by_prefix_and_ignore() -> None:
    codes = {r.META.code for r in select_rules(["BA1"], ignore=["BA102"])}
    assert "BA101" in codes and "BA102" not in codes
    assert all(c.startswith("BA1") for c in codes)
