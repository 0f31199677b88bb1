"""docs/rules.md is generated from the rules' own documentation and kept in step."""

from __future__ import annotations

from fixture_expectations import ROOT

from auditor.docs import catalogue_markdown


def test_generated_rule_docs_are_current() -> None:
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == catalogue_markdown(), (
        "docs/rules.md is stale: run `python -m auditor.docs > docs/rules.md`"
    )
