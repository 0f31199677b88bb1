"""`benchaudit check`, `rules` and `rule` as a user runs them: output, exit codes, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from fixture_expectations import FIXTURES, ROOT

from auditor.resources import load_schema

SEED = FIXTURES / "seed"


def cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "auditor.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=full_env,
        timeout=120,
    )


def test_flagged_script_exits_1_with_located_findings() -> None:
    res = cli("check", str(SEED / "test.py"))
    assert res.returncode == 1, res.stderr
    assert "test.py:59:21: BA201 [per-prompt-loop]" in res.stdout
    assert "= help:" in res.stdout
    assert "_ = pipe(prompt, num_inference_steps=num_inference_steps)" in res.stdout
    assert res.stdout.rstrip().splitlines()[-1].startswith("Found ")


def test_clean_script_exits_0() -> None:
    res = cli("check", str(SEED / "model_evaluator.py"))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "No findings in 1 file." in res.stdout


def test_json_report_validates_and_is_deterministic(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    res = cli("check", str(SEED), "--format", "json", "--output", str(out))
    assert res.returncode == 1
    payload = json.loads(out.read_text())
    jsonschema.Draft202012Validator(load_schema("report.schema.json")).validate(payload)
    keys = [(f["path"], f["line"], f["column"], f["code"]) for f in payload["findings"]]
    assert keys == sorted(keys)
    first = payload["findings"][0]
    for field in (
        "code",
        "name",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "severity",
        "message",
    ):
        assert field in first
    again = cli("check", str(SEED), "--format", "json")
    assert json.loads(again.stdout) == payload


def test_missing_path_is_a_usage_error() -> None:
    res = cli("check", "does/not/exist.py")
    assert res.returncode == 2
    assert res.stderr.strip() == "error: does/not/exist.py: no such file or directory"
    assert "Traceback" not in res.stderr


def test_syntax_error_is_reported_and_other_files_still_checked(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n")
    (tmp_path / "ok.py").write_text("import time\nt0 = time.perf_counter()\n")
    (tmp_path / "flawed.py").write_text((SEED / "test.py").read_text())
    res = cli("check", str(tmp_path), "--no-source")
    assert res.returncode == 1
    assert "broken.py:1:" in res.stdout and "syntax error" in res.stdout
    assert "flawed.py:59:21: BA201" in res.stdout


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root can read files without read permission",
)
def test_unreadable_file_exits_2(tmp_path: Path) -> None:
    f = tmp_path / "secret.py"
    f.write_text("x = 1\n")
    f.chmod(0)
    res = cli("check", str(f))
    assert res.returncode == 2
    assert "cannot read" in res.stdout


def test_non_utf8_file_is_a_content_error_not_a_crash(tmp_path: Path) -> None:
    f = tmp_path / "latin.py"
    f.write_bytes(b"x = '\xe9'\n")
    res = cli("check", str(f))
    assert res.returncode == 1  # like a syntax error: the file's content, not a usage error
    assert "not valid utf-8: byte 0xe9 at offset 5" in res.stdout
    assert "Traceback" not in res.stderr
    g = tmp_path / "cookie.py"
    g.write_bytes(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n")
    assert cli("check", str(g)).returncode == 0


def test_select_and_ignore_flags(tmp_path: Path) -> None:
    res = cli("check", str(SEED / "test.py"), "--select", "BA201", "--no-source")
    codes = {line.split()[1] for line in res.stdout.splitlines() if ": BA" in line}
    assert codes == {"BA201"}
    res = cli("check", str(SEED / "test.py"), "--ignore", "BA2", "--no-source")
    assert "BA201" not in res.stdout and "BA102" in res.stdout
    bad = cli("check", str(SEED / "test.py"), "--select", "BA999")
    assert bad.returncode == 2 and "unknown rule selector `BA999`" in bad.stderr


def test_config_in_pyproject_is_applied_and_overridden(tmp_path: Path) -> None:
    (tmp_path / "test.py").write_text((SEED / "test.py").read_text())
    (tmp_path / "pyproject.toml").write_text(
        '[tool.benchaudit]\nignore = ["per-prompt-loop"]\n'
        '[tool.benchaudit.per-file-ignores]\n"test.py" = ["BA301"]\n'
    )
    res = cli("check", "test.py", "--no-source", cwd=tmp_path)
    assert "BA201" not in res.stdout and "BA301" not in res.stdout and "BA102" in res.stdout
    res = cli("check", "test.py", "--no-source", "--isolated", cwd=tmp_path)
    assert "BA201" in res.stdout


def test_config_with_unknown_key_names_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.benchaudit]\nselekt = ["BA1"]\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    res = cli("check", "a.py", cwd=tmp_path)
    assert res.returncode == 2
    assert "unknown key `selekt` in [tool.benchaudit]" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    (tmp_path / "pyproject.toml").write_text(
        '[tool.benchaudit.rules.weak-warmup]\nmin-calls = "three"\n'
    )
    res = cli("check", "a.py", cwd=tmp_path)
    assert res.returncode == 2 and "min-calls" in res.stderr


def test_inline_suppression_and_unused_suppression(tmp_path: Path) -> None:
    source = (
        (SEED / "test.py")
        .read_text()
        .replace(
            "_ = pipe(prompt, num_inference_steps=num_inference_steps)",
            "_ = pipe(prompt, num_inference_steps=num_inference_steps)"
            "  # benchaudit: ignore[BA201, BA202]",
        )
        .replace("def parse_args():", "def parse_args():  # benchaudit: ignore[BA101]")
    )
    (tmp_path / "t.py").write_text(source)
    res = cli("check", str(tmp_path / "t.py"), "--no-source")
    assert "BA201" not in res.stdout and "BA202" not in res.stdout
    assert "BA001 [unused-suppression] Suppression of `BA101`" in res.stdout


def test_output_file_is_written_atomically_and_keeps_old_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    out.write_text("previous report\n")
    res = cli("check", str(SEED / "model_evaluator.py"), "-o", str(out))
    assert res.returncode == 0 and "No findings" in out.read_text()
    assert not list(tmp_path.glob(".report.txt.*"))
    missing = cli("check", str(SEED / "model_evaluator.py"), "-o", str(tmp_path / "no/such/x"))
    assert missing.returncode == 2 and "cannot write" in missing.stderr


def test_rules_listing_and_rule_docs() -> None:
    res = cli("rules")
    assert res.returncode == 0
    for code in ("BA101", "BA102", "BA201", "BA202", "BA301"):
        assert code in res.stdout
    listed = json.loads(cli("rules", "--format", "json").stdout)
    assert {r["name"] for r in listed} >= {"per-prompt-loop", "weak-warmup"}
    doc = cli("rule", "per-prompt-loop")
    assert doc.returncode == 0
    for section in (
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## Known problems",
    ):
        assert section in doc.stdout
    assert cli("rule", "BA201").stdout == doc.stdout
    unknown = cli("rule", "nope")
    assert unknown.returncode == 2 and unknown.stderr.startswith("error: unknown rule")


def test_version_flag() -> None:
    res = cli("--version")
    assert res.returncode == 0 and res.stdout.startswith("benchaudit ")
