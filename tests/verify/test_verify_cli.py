"""`benchaudit verify` end to end: usage errors, and the tiny fixtures on the CPU."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import typer
from typer.testing import CliRunner
from verify_helpers import ROOT, SEED, TINY, runtime, seed_findings

from auditor.core import CheckReport, FileResult
from auditor.verify import cli as verify_cli
from auditor.verify import report

app = typer.Typer()
app.command("verify")(verify_cli.verify)


@app.callback()
def _root() -> None:
    """A throwaway app: the real one registers `verify` in auditor/cli.py."""


def _models() -> list[str]:
    return [a for n in ("base", "speedup", "gt") for a in ("--model", f"{n}={TINY / f'{n}.py'}")]


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(app, ["verify", *args])


def test_cli_module_does_not_import_torch() -> None:
    code = "import sys, auditor.verify.cli; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.py", "--model", "base=x.py"], "error: script not found: missing.py"),
        ([str(SEED), "--model", "base"], "error: --model expects NAME=PATH, got 'base'"),
        ([str(SEED), "--model", "base=nope.py"], "error: model file not found: nope.py"),
        ([str(SEED)], "error: give at least one --model NAME=PATH"),
        ([str(SEED), "--model", f"x={TINY / 'base.py'}"], "error: --baseline base is not one"),
        ([str(SEED), *_models(), "--format", "xml"], "error: --format must be"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = _invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


@runtime
def test_device_cuda_without_cuda_is_a_usage_error() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    result = _invoke(str(SEED), *_models(), "--device", "cuda")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --device cuda was asked but no CUDA device is available"


def _real_checker_works() -> bool:
    try:
        from auditor.engine import check_paths

        return any(f.name == "per-prompt-loop" for f in check_paths([str(SEED)]).findings)
    except Exception:  # the static side is not wired in this checkout
        return False


@pytest.fixture
def static(monkeypatch: pytest.MonkeyPatch) -> str:
    """The real static checker where it works, else the seed's findings as it reports them."""
    if _real_checker_works():
        return "real"
    findings = tuple(seed_findings())

    def check(script: Path, models: list[tuple[str, str]]) -> tuple[CheckReport, list[str]]:
        return CheckReport([FileResult("fixtures/seed/test.py", findings)]), []

    monkeypatch.setattr(verify_cli, "static_check", check)
    return "fake"


@runtime
@pytest.mark.slow
def test_tiny_fixtures_on_cpu_end_to_end(tmp_path: Path, static: str) -> None:
    out = tmp_path / "report.json"
    result = _invoke(str(SEED), *_models(), "--device", "cpu", "--format", "json", "-o", str(out))
    assert result.exit_code == 1, result.output  # findings present
    payload = json.loads(out.read_text())
    jsonschema.validate(payload, report.report_schema())

    assert payload["environment"]["device"] == "cpu"
    assert payload["environment"]["threads"] == 1
    assert any("no CUDA device" in n for n in payload["notes"])
    models = {m["name"]: m for m in payload["models"]}
    assert all(m["error"] is None for m in models.values())
    assert models["base"]["steps"] == 20 and models["speedup"]["steps"] == 10
    assert models["base"]["steps_source"] == "declared"
    for m in models.values():
        assert m["ci_low_s"] <= m["per_sample_median_s"] <= m["ci_high_s"]
        assert m["cold_first_call_s"] is not None

    comparisons = {c["candidate"]: c for c in payload["comparisons"]}
    fast = comparisons["speedup"]
    # half the steps: the canonical harness sees a speedup; the script's forced 50 steps hide it
    # (point estimates and "not refuted" only: a shared 2-core CI box can widen any interval)
    assert fast["canonical_speedup"] > 1.3
    assert fast["script_speedup"] < fast["canonical_speedup"]
    assert fast["verdict"] != "not-material"

    impacts = {i["name"]: i for i in payload["impacts"]}
    assert {
        "per-prompt-loop",
        "inconsistent-step-source",
        "weak-warmup",
        "ratio-unit-mixing",
    } <= set(impacts)
    per_prompt = impacts["per-prompt-loop"]
    assert per_prompt["script_value_s"] > per_prompt["canonical_value_s"]
    assert per_prompt["moves"] in ("absolute", "both")
    steps = impacts["inconsistent-step-source"]
    assert steps["ratio"] > 1.5 and steps["speedup_effect"] < 0.8
    assert steps["verdict"] != "not-material"
    units = impacts["ratio-unit-mixing"]
    assert units["moves"] == "ratio" and units["verdict"] == "confirmed"
    if "unsynchronized-timer" in impacts:  # nothing is asynchronous on a CPU
        assert impacts["unsynchronized-timer"]["speedup_effect_verdict"] != "confirmed"

    text = report.render_text(payload, "fixtures/seed/test.py")
    assert "speedup vs base: script's method" in text
    assert "moves: ratio; verdict: confirmed" in text  # the unit-mixing factor of 1/6
