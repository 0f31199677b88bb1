"""The rule catalogue: metadata is complete and each rule's own examples behave as documented."""

from __future__ import annotations

import re

import pytest

from auditor.checkfile import check_source
from auditor.core import FileResult
from auditor.options import CheckOptions
from auditor.registry import all_rules, find_rule, select_codes

RULES = all_rules()


def run(source: str, code: str) -> FileResult:
    """Run the default rule set (plus the rule itself, if it is off by default)."""
    return check_source(source, "example.py", CheckOptions(select_codes(extend_select=[code])))


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
    codes = set(select_codes(["BA1"], ignore=["BA102"]))
    assert "BA101" in codes and "BA102" not in codes
    assert all(c.startswith("BA1") for c in codes)


def _shipped_rule_classes() -> dict[str, type]:
    """Every rule class in the `auditor.rules` package, found by importing each module (what
    the catalogue table must list, independently of it)."""
    import importlib
    import pkgutil

    from auditor.engine import Rule

    package = importlib.import_module("auditor.rules")
    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(package.__path__, prefix="auditor.rules."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and getattr(value, "META", None) is not None
                and value.__module__ == module.__name__
            ):
                found[value.META.code] = value
    return found


def test_the_catalogue_table_lists_every_rule_class_as_it_is() -> None:
    from auditor.rules import CATALOGUE, Entry

    shipped = _shipped_rule_classes()
    table = {
        code: Entry(
            code,
            cls.META.name,  # type: ignore[attr-defined]
            cls.__module__.removeprefix("auditor.rules."),
            cls.__name__,
            cls.META.default_enabled,  # type: ignore[attr-defined]
        )
        for code, cls in shipped.items()
    }
    assert sorted(CATALOGUE) == sorted(table.values())
    assert list(RULES) == [shipped[c] for c in sorted(shipped)]


def test_selection_imports_no_rule() -> None:
    """Selecting rules and preparing a run read the table: no rule module, no libcst."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from auditor.api import RunRequest, prepare\n"
        "run = prepare(RunRequest(paths=['fixtures/seed/test.py'],"
        " select=['BA1', 'per-prompt-loop'], ignore=['BA103']))\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('libcst', 'auditor.rules.')))\n"
        "print(run.codes, loaded)\n"
    )
    from fixture_expectations import ROOT

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    assert out.strip() == "('BA101', 'BA102', 'BA104', 'BA201') []"


def test_report_schema_names_every_warm_up_reason() -> None:
    """A finding's evidence is validated against the report schema: a warm-up reason the
    analyses can give but the schema does not list would make every report that carries it
    an internal error."""
    import json

    from fixture_expectations import ROOT

    from auditor.analyses.warmup import WarmupReason

    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())

    def enums(node: object) -> list[set[str]]:
        found = []
        if isinstance(node, dict):
            if "reasons" in node and isinstance(node["reasons"], dict):
                items = node["reasons"].get("items", {})
                if "enum" in items:
                    found.append(set(items["enum"]))
            for value in node.values():
                found += enums(value)
        elif isinstance(node, list):
            for value in node:
                found += enums(value)
        return found

    listed = enums(schema)
    assert listed, "the schema lists warm-up reasons"
    assert {str(r) for r in WarmupReason} in listed
