"""`benchaudit report REPORT.json`: any format from a saved report, without re-running."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reporter_helpers import GOLDEN, MODELS, SEED_SCRIPT, cli

from auditor.review import render_payload


@pytest.fixture
def saved_check(tmp_path: Path) -> Path:
    out = tmp_path / "check.json"
    res = cli("check", "fixtures/seed/test.py", "--format", "json", "--output", str(out))
    assert res.returncode == 1, res.stderr
    return out


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown", "github", "html"])
def test_renders_every_format_and_exits_1_with_findings(saved_check: Path, fmt: str) -> None:
    res = cli("report", str(saved_check), "--format", fmt)
    assert res.returncode == 1, res.stderr
    payload = json.loads(saved_check.read_text())
    assert res.stdout == render_payload(payload, fmt)


def test_text_from_a_saved_check_matches_check(saved_check: Path) -> None:
    direct = cli("check", "fixtures/seed/test.py")
    assert cli("report", str(saved_check)).stdout == direct.stdout


def test_verify_report_renders(tmp_path: Path) -> None:
    out = tmp_path / "comment.md"
    res = cli("report", str(GOLDEN / "verify_input.json"), "-f", "markdown", "-o", str(out))
    assert res.returncode == 1 and res.stdout == ""
    assert "### Speedups" in out.read_text()


def test_a_clean_report_exits_0(tmp_path: Path) -> None:
    saved = tmp_path / "clean.json"
    cli("check", "fixtures/seed/model_evaluator.py", "--format", "json", "-o", str(saved))
    res = cli("report", str(saved), "--format", "sarif")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["runs"][0]["results"] == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "is not valid JSON"),
        ('{"tool": "benchaudit"}', "is not a benchaudit report"),
        (
            '{"tool": "other", "version": "1", "kind": "check", "findings": [], "errors": [], '
            '"summary": {"files": 0, "findings": 0, "errors": 0, "by_code": {}}}',
            "(tool: ",
        ),
    ],
)
def test_invalid_input_is_a_one_line_error(tmp_path: Path, content: str, expected: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    res = cli("report", str(bad), "--format", "markdown")
    assert res.returncode == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], lines


def test_missing_report_is_a_one_line_error(tmp_path: Path) -> None:
    res = cli("report", str(tmp_path / "nope.json"))
    assert res.returncode == 2
    assert res.stderr.strip() == f"error: report not found: {tmp_path / 'nope.json'}"


@pytest.mark.slow
def test_verify_writes_the_review_formats_and_chart(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    models = [a for name, path in MODELS.items() for a in ("--model", f"{name}={path}")]
    out, chart = tmp_path / "verify.md", tmp_path / "speedup.png"
    res = cli(
        "verify", SEED_SCRIPT, *models, "--device", "cpu", "--min-samples", "2", "--budget", "0",
        "--format", "markdown", "--output", str(out), "--chart", str(chart),
    )  # fmt: skip
    assert res.returncode == 1, res.stderr  # the seed script has findings
    text = out.read_text()
    assert "### Speedups" in text and text.count("**Measured impact**") >= 3
    assert chart.read_bytes()[:4] == b"\x89PNG"
