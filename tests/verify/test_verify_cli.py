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
from auditor.verify import probes, report

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
        (
            [str(SEED), "--model", f"x={TINY / 'base.py'}"],
            "error: --baseline-model base is not one",
        ),
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
        from auditor.api import check as check_paths

        return any(f.name == "per-prompt-loop" for f in check_paths([str(SEED)]).findings)
    except Exception:  # the static side is not wired in this checkout
        return False


@pytest.fixture
def static(monkeypatch: pytest.MonkeyPatch) -> str:
    """The real static checker where it works, else the seed's findings as it reports them."""
    if _real_checker_works():
        return "real"
    findings = tuple(seed_findings())

    def check(run: object) -> tuple[CheckReport, list[str]]:
        return CheckReport([FileResult("fixtures/seed/test.py", findings)]), []

    monkeypatch.setattr(verify_cli, "static_check", check)
    return "fake"


@runtime
@pytest.mark.slow
def test_tiny_fixtures_on_cpu_end_to_end(tmp_path: Path, static: str) -> None:
    """The whole path on real models and the real clock: the report's shape only.

    Verdicts, `moves` and speedups computed from real timings on a shared machine can go either
    way; they are asserted on programmed timings in test_assess.py.
    """
    out = tmp_path / "report.json"
    result = _invoke(
        str(SEED),
        *_models(),
        "--device",
        "cpu",
        "--budget",
        "0",
        "--min-samples",
        "2",
        "--format",
        "json",
        "-o",
        str(out),
    )
    assert result.exit_code == 1, result.output  # findings present
    payload = json.loads(out.read_text())
    jsonschema.validate(payload, report.report_schema())

    env = payload["environment"]
    assert (env["device"], env["threads"], env["timer"]) == ("cpu", 1, "host-clock")
    assert (env["batch_size"], env["prompts"], env["min_samples"]) == (3, 6, 2)
    assert any("no CUDA device" in n for n in payload["notes"])
    assert not any("probe arms failed" in n for n in payload["notes"])

    models = {m["name"]: m for m in payload["models"]}
    assert list(models) == ["base", "speedup", "gt"]
    assert all(m["error"] is None for m in models.values())
    assert [(m["steps"], m["steps_source"]) for m in models.values()] == [
        (20, "declared"),
        (10, "declared"),
        (20, "declared"),
    ]
    for m in models.values():
        assert len(m["samples"]) == 2  # a zero budget: the minimum count, whatever the clock
        for key in ("per_sample_median_s", "ci_low_s", "ci_high_s", "cold_first_call_s"):
            assert isinstance(m[key], float) and m[key] > 0, key

    assert [(c["candidate"], c["baseline"]) for c in payload["comparisons"]] == [
        ("speedup", "base"),
        ("gt", "base"),
    ]
    kinds = {p.evidence.KIND for p in probes.PROBES.values()}
    probed = [
        (f["name"], f["line"])
        for f in payload["findings"]
        if f["evidence"] and f["evidence"]["kind"] in kinds
    ]
    assert len(probed) >= 4  # the seed's per-prompt loop, steps, warm-up and unit mix
    priced = [(i["name"], i["line"], i["candidate"]) for i in payload["impacts"]]
    assert sorted(priced) == sorted((name, line, "speedup") for name, line in probed)
    for impact in payload["impacts"]:
        assert impact["script_value_s"] > 0 and impact["canonical_value_s"] > 0
        assert impact["speedup_effect"] is not None  # every probe ran on the candidate, too
        assert (impact["ratio"] is None) == (impact["name"] == "ratio-unit-mixing")

    text = report.render_text(payload, "fixtures/seed/test.py")
    assert "speedup vs base: script's method" in text
    assert text.count("      moves: ") == len(payload["impacts"])
