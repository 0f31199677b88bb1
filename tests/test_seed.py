"""The founding document's two scripts: test.py is flagged, model_evaluator.py is clean."""

from __future__ import annotations

from fixture_expectations import FIXTURES

from auditor.api import check as check_paths
from auditor.evidence import StepSourceEvidence

SEED = FIXTURES / "seed"
FOUNDING = {
    "per-prompt-loop",
    "unsynchronized-timer",
    "inconsistent-step-source",
    "ratio-unit-mixing",
    "weak-warmup",
}


def test_seed_test_py_reports_the_documented_flaws() -> None:
    report = check_paths([str(SEED / "test.py")])
    names = {f.name for f in report.findings}
    assert {"per-prompt-loop", "inconsistent-step-source", "weak-warmup"} <= names
    # The fallback loop over `batch_prompts` is the flagged call.
    loop = next(f for f in report.findings if f.name == "per-prompt-loop")
    assert "pipe(prompt" in loop.source_line


def test_seed_model_evaluator_is_clean_for_the_founding_rules() -> None:
    report = check_paths([str(SEED / "model_evaluator.py")])
    assert report.errors == []
    assert not [f for f in report.findings if f.name in FOUNDING]


def test_model_paths_name_the_declared_step_counts() -> None:
    models = {
        name: str(FIXTURES / "models" / "tiny" / f"{name}.py") for name in ("base", "speedup", "gt")
    }
    report = check_paths([str(SEED / "test.py")], models=models)
    step = next(f for f in report.findings if f.name == "inconsistent-step-source")
    assert "base declares 20" in step.message
    assert "speedup declares 10" in step.message
    assert "every arm runs 50 steps" in step.message
    assert isinstance(step.evidence, StepSourceEvidence)
    assert step.evidence.cli_steps == 50 and step.evidence.cli_option is not None
    assert dict(step.evidence.declared) == {"base": 20, "gt": 20, "speedup": 10}
