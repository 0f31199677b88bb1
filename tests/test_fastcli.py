"""The fast path into `check` behaves exactly as typer's parsing, or steps aside."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_expectations import FIXTURES, ROOT

from auditor import checkcmd, cli
from auditor.checkcmd import CHECK_PARAMS, Param
from auditor.fastcli import _Decline, parse, run_check_fast

SEED = str(FIXTURES / "seed" / "test.py")
CLEAN = str(FIXTURES / "seed" / "model_evaluator.py")
# what `check -` reads: given explicitly, never the runner's own stdin (CI's may hold anything)
STDIN_SOURCE = Path(SEED).read_text(encoding="utf-8")


def run(args: list[str], fast: bool, tmp_path: Path) -> tuple[int, str, str]:
    env = {**os.environ, "NO_COLOR": "1", "BENCHAUDIT_CACHE_DIR": str(tmp_path / "cache")}
    if not fast:
        env["BENCHAUDIT_NO_FAST_CLI"] = "1"
    res = subprocess.run(
        [sys.executable, "-m", "auditor.cli", *args],
        input=STDIN_SOURCE,
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
    ["check", SEED, "--format=json", "-j1", "--no-cache", "--exit-zero"],
    ["check", "-", "--stdin-filename", "bench.py"],
    ["check", SEED, "--isolated", "--isolated", "-f", "json", "-f", "text"],  # the last wins
    ["check", "--", "-weird.py"],  # a path that starts with a dash
]
# typer's own answers: the fast path must step aside for all of these
DECLINED = [
    ["check"],
    ["check", SEED, "--bogus"],
    ["check", SEED, "--jobs", "many"],
    ["check", SEED, "--select"],
    ["check", "--help"],
    ["check", SEED, "--no-statistics"],  # not declared: typer says so
    ["check", SEED, "--isolated=yes"],  # a flag given a value
    ["check", SEED, "-o=/nonexistent/report.txt"],  # typer would write to "=/nonexistent/..."
    ["check", SEED, "--select", "--isolated"],  # typer takes the next word as the value
    ["check", SEED, "--sel", "BA1"],  # no abbreviations
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
    parse(args[1:])  # no _Decline


@pytest.mark.parametrize("args", DECLINED, ids=ids)
def test_the_fast_path_steps_aside(args: list[str]) -> None:
    with pytest.raises(_Decline):
        parse(args[1:])


def test_parse_gives_typer_defaults_and_values() -> None:
    kwargs = parse([SEED, "-f", "json", "--select", "BA1", "--select", "BA2", "-j3"])
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
        parse(argv)


def test_other_commands_go_to_typer() -> None:
    assert run_check_fast(["rules"]) is None
    assert run_check_fast(["--version"]) is None
    assert run_check_fast([]) is None


def _typer_params(func: object) -> tuple[Param, ...]:
    """The parameters typer reads from `func`'s declarations, as `checkcmd.Param`s, with every
    setting the fast path does not reproduce (callbacks, environment variables, prompts...)
    refused."""
    import types
    import typing

    import typer.models
    import typer.utils

    plain = {
        "param_decls",
        "default",
        "help",
        "metavar",
        "hidden",
        "show_default",
        "show_choices",
        "show_envvar",
        "rich_help_panel",
        "autocompletion",
        "shell_complete",
    }
    out = []
    for name, meta in typer.utils.get_params_from_function(func).items():
        info = meta.default
        assert isinstance(info, typer.models.ParameterInfo), name
        defaults = type(info)()
        odd = {k for k, v in vars(info).items() if k not in plain and v != getattr(defaults, k, v)}
        assert not odd, f"{name}: the fast path does not reproduce {odd}"
        annotation = meta.annotation
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            (annotation,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        many = typing.get_origin(annotation) is list
        kind = typing.get_args(annotation)[0] if many else annotation
        default = None if info.default is ... else info.default
        if isinstance(info, typer.models.ArgumentInfo):
            out.append(Param(name, (), kind, default, many))
            continue
        decls = tuple(info.param_decls or ())
        on, off = decls, ()
        if any("/" in d for d in decls):
            (decl,) = decls
            first, _, second = decl.partition("/")
            on, off = (first.strip(),), (second.strip(),)
        out.append(Param(name, on, kind, default, many, off, bool(info.hidden)))
    return tuple(out)


def test_the_fast_path_declares_what_typer_declares() -> None:
    """`checkcmd.CHECK_PARAMS` (what the fast path parses) is what typer reads from
    `cli.check`, and `checkcmd.check` takes the same keywords with the same defaults."""
    import inspect

    assert _typer_params(cli.check) == CHECK_PARAMS
    signature = inspect.signature(checkcmd.check)
    assert list(signature.parameters) == [p.name for p in CHECK_PARAMS]
    for p in CHECK_PARAMS[1:]:
        assert signature.parameters[p.name].default == p.default, p.name


def test_a_drifted_declaration_is_caught() -> None:
    changed = (*CHECK_PARAMS[:-1], CHECK_PARAMS[-1]._replace(decls=("--unsafe",)))
    assert _typer_params(cli.check) != changed


def test_no_typer_on_the_fast_path(tmp_path: Path) -> None:
    """`benchaudit check` on a plain command line imports neither typer nor libcst when the
    screen drops the file (the pre-commit hook's common case)."""
    plain = tmp_path / "util.py"
    plain.write_text("def add(a, b):\n    return a + b\n")
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['benchaudit', 'check', '--no-cache', {str(plain)!r}]\n"
        "from auditor.fastcli import run_check_fast\n"
        "code = run_check_fast(sys.argv[1:])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'click', 'libcst')"
        " or m.startswith('auditor.rules.') or m.startswith('auditor.analyses'))\n"
        "print(code, heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "0 []"
