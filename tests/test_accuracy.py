"""The labelled corpus (benchmarks/corpus): every rule meets the precision and recall targets.

This is behaviour on a fixed corpus, not a timing: `benchmarks/accuracy.py` prints the table and
records it in benchmarks/results/accuracy.txt."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from fixture_expectations import ROOT

CORPUS = ROOT / "benchmarks" / "corpus"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="benchmarks/corpus is not present")


def load_accuracy():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "bench_accuracy", ROOT / "benchmarks" / "accuracy.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_accuracy"] = module
    spec.loader.exec_module(module)
    return module


def test_every_rule_meets_the_accuracy_targets() -> None:
    accuracy = load_accuracy()
    result = accuracy.measure(CORPUS)
    assert result.errors == []
    assert result.cases >= 80
    table = accuracy.render(result, today="-")
    assert not result.failing(), table
    for code, score in result.per_rule.items():
        assert score.tp > 0, f"{code} has no labelled case in the corpus"
        assert score.precision >= accuracy.PRECISION_TARGET, table
        assert score.recall >= accuracy.RECALL_TARGET, table


def test_labels_name_known_rules() -> None:
    from auditor.registry import all_rules

    accuracy = load_accuracy()
    codes = {r.META.code for r in all_rules()}
    for case in accuracy.cases(CORPUS):
        for path in [case] if case.is_file() else sorted(case.rglob("*.py")):
            for _, _, code in accuracy.labels(path, path.name):
                assert code in codes, f"{path}: unknown code {code}"
