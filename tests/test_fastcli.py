"""The fast path into `check` behaves exactly as typer's parsing, or steps aside."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_expectations import FIXTURES, ROOT

from auditor import cli
from auditor.fastcli import _Decline, parse, run_check_fast

SEED = str(FIXTURES / "seed" / "test.py")
CLEAN = str(FIXTURES / "seed" / "model_evaluator.py")


def run(args: list[str], fast: bool, tmp_path: Path) -> tuple[int, str, str]:
    env = {**os.environ, "NO_COLOR": "1", "BENCHAUDIT_CACHE_DIR": str(tmp_path / "cache")}
    if not fast:
        env["BENCHAUDIT_NO_FAST_CLI"] = "1"
    res = subprocess.run(
        [sys.executable, "-m", "auditor.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    return res.returncode, res.stdout, res.stderr


HANDLED = [
    ["check", SEED],
    ["check", SEED, CLEAN, "--no-source"],
    ["check", "--no-source", SEED, "--statistics"],  # options between paths
    ["check", SEED, "-f", "json"],
    ["check", SEED, "-fjson"],
    ["check", SEED, "--format=sarif"],
    ["check", SEED, "--select", "BA1", "--select", "BA201", "--ignore", "BA102"],
    ["check", SEED, "--extend-select", "ALL", "--exit-zero"],
    ["check", SEED, "--isolated", "--jobs", "1", "--no-cache"],
    ["check", SEED, "-j", "2"],
    ["check", CLEAN],
    ["check", SEED, "--model", "base=fixtures/models/tiny/base.py"],
    ["check", SEED, "--", CLEAN],
    ["check", "missing.py"],
    ["check", SEED, "--model", "no-equals"],
    ["check", SEED, "--jobs", "-1"],
    ["check", SEED, "--format", "yaml"],  # `check` itself says: one `error:` line
    ["check", SEED, "--select", "BA1,BA201", "--ignore=BA102"],
    ["check", SEED, "--force-exclude"],
    ["check", SEED, "--no-force-exclude"],
    ["check", SEED, "--diff", "HEAD"],  # renamed: an error naming --changed-since
    ["check", SEED, "--model", "base=missing.py"],
]
# typer's own answers: the fast path must step aside for all of these
DECLINED = [
    ["check"],
    ["check", SEED, "--bogus"],
    ["check", SEED, "--jobs", "many"],
    ["check", SEED, "--select"],
    ["check", "--help"],
    ["check", SEED, "--no-statistics"],  # not declared: typer says so
]


def ids(args: list[str]) -> str:
    return " ".join(args[1:]).replace(str(FIXTURES), "F")[:60] or "none"


@pytest.mark.parametrize("args", HANDLED + DECLINED, ids=ids)
def test_fast_and_typer_paths_agree(args: list[str], tmp_path: Path) -> None:
    fast = run(args, True, tmp_path)
    slow = run(args, False, tmp_path)
    assert fast == slow


@pytest.mark.parametrize("args", HANDLED, ids=ids)
def test_the_fast_path_takes_plain_command_lines(args: list[str]) -> None:
    parse(cli.check, args[1:])  # no _Decline


@pytest.mark.parametrize("args", DECLINED, ids=ids)
def test_the_fast_path_steps_aside(args: list[str]) -> None:
    with pytest.raises(_Decline):
        parse(cli.check, args[1:])


def test_parse_gives_typer_defaults_and_values() -> None:
    kwargs = parse(cli.check, [SEED, "-f", "json", "--select", "BA1", "--select", "BA2", "-j3"])
    assert kwargs["paths"] == [Path(SEED)]
    assert kwargs["output_format"] == "json"
    assert kwargs["select"] == ["BA1", "BA2"]
    assert kwargs["jobs"] == 3
    assert (
        kwargs["ignore"] is None and kwargs["statistics"] is False and kwargs["no_cache"] is False
    )


@pytest.mark.parametrize(
    "argv",
    [["--help"], [SEED, "-h"], [], [SEED, "--what"], [SEED, "-j"]],
)
def test_parse_declines_what_typer_must_answer(argv: list[str]) -> None:
    with pytest.raises(_Decline):
        parse(cli.check, argv)


def test_other_commands_go_to_typer() -> None:
    assert run_check_fast(["rules"], cli.check) is None
    assert run_check_fast(["--version"], cli.check) is None
    assert run_check_fast([], cli.check) is None
