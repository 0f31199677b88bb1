"""The GitHub Action (`action.yml`, issue 15): its inputs, and its own shell steps run as a runner
would run them, on a real git history built here (a base commit and a pull request that adds a
flawed benchmark and touches a clean one)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS = {s.get("id") or s.get("uses"): s for s in ACTION["runs"]["steps"]}
FLAWED = """\
import time

import torch

model = torch.nn.Linear(512, 512).cuda()
x = torch.randn(8, 512, device="cuda")
start = time.perf_counter()
for _ in range(10):
    model(x)
print((time.perf_counter() - start) / 10)
"""


def test_the_action_declares_its_inputs_and_runs_as_a_composite() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {
        "paths",
        "select",
        "base",
        "version",
        "python-version",
        "upload-sarif",
        "fail-on-findings",
    }
    assert all("description" in spec for spec in ACTION["inputs"].values())
    upload = STEPS["github/codeql-action/upload-sarif@v3"]
    assert upload["with"]["sarif_file"] == "benchaudit.sarif"
    assert upload["if"] == "inputs.upload-sarif == 'true'"
    install = STEPS["install"]["run"]
    assert '"benchaudit==$BA_VERSION"' in install and '"$GITHUB_ACTION_PATH"' in install
    # inputs reach the scripts through the environment, never pasted into them
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", "")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com",
        },
    )


def _expand(value: str, context: dict[str, str]) -> str:
    """`${{ inputs.x }}`, `${{ github.x }}` and `${{ steps.a.outputs.b }}` as a runner expands
    them (the only expressions the action's environments use)."""
    return re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: context.get(m.group(1), ""), value)


def _context(base: str) -> dict[str, str]:
    """The expressions' values: every input at its default, and `base`."""
    context = {f"inputs.{k}": str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    context["inputs.base"] = base
    return context


def _run_step(step: dict[str, Any], repo: Path, context: dict[str, str], out: Path) -> int:
    env = {**os.environ, "GITHUB_OUTPUT": str(out / "output"), "GITHUB_ACTION_PATH": str(ROOT)}
    env["GITHUB_STEP_SUMMARY"] = str(out / "summary.md")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    for key, value in (step.get("env") or {}).items():
        env[key] = _expand(str(value), context)
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    for line in (out / "output").read_text().splitlines() if (out / "output").exists() else []:
        key, _, value = line.partition("=")
        context[f"steps.{step.get('id')}.outputs.{key}"] = value
    return proc.returncode


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_actions_steps_report_the_pull_requests_changed_lines(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "pyproject.toml").write_text("[tool.benchaudit]\n")
    (repo / "old_bench.py").write_text(FLAWED)  # flawed, but not changed by the pull request
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "checkout", "-q", "-b", "feature")
    (repo / "new_bench.py").write_text(FLAWED)
    (repo / "old_bench.py").write_text(FLAWED + "# a comment\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "pull request")
    out = tmp_path / "out"
    out.mkdir()
    context = _context("main")
    for step in ("check", "render"):
        code = _run_step(STEPS[step], repo, context, out)
        assert code == 0, step
    assert context["steps.check.outputs.status"] == "1"
    findings = int(context["steps.check.outputs.findings"])
    sarif = json.loads((repo / "benchaudit.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert len(results) == findings > 0
    files = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert files == {"new_bench.py"}  # old_bench.py's flaws are on unchanged lines
    summary = (out / "summary.md").read_text()
    assert "new_bench.py" in summary and "old_bench.py" not in summary
    # the verdict step fails the job when there are findings
    verdict = STEPS["verdict"]
    assert verdict["if"] == (
        "inputs.fail-on-findings == 'true' && steps.check.outputs.status == '1'"
    )
    assert _run_step(verdict, repo, context, out) == 1


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_bad_base_revision_stops_the_action_with_the_check_error(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "bench.py").write_text(FLAWED)
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    out = tmp_path / "out"
    out.mkdir()
    context = _context("no-such-revision")
    assert _run_step(STEPS["check"], repo, context, out) == 2
