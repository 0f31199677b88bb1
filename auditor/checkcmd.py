"""`benchaudit check` without typer: the command's parameters as data, its body, and the helpers
the other commands share (`--model`, `--format`, `--output`, review filters, fixes).

The pre-commit hook runs `check` on every commit, mostly on files with nothing to check: this
module imports nothing beyond the standard library and `auditor.api`, so such a run costs little
more than the interpreter's start (`auditor.fastcli` parses the command line from `CHECK_PARAMS`).
`auditor.cli` declares the same command for typer (help, completion, errors in typer's words);
`tests/test_fastcli.py` checks that the two declarations agree.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

if TYPE_CHECKING:
    from auditor.api import PreparedRun
    from auditor.core import CheckReport
    from auditor.review import Changes

CHECK_FORMATS = ("text", "json", "sarif", "markdown", "github", "html")
LIST_FORMATS = ("text", "json")

#: One meaning per flag across subcommands: old spellings that now mean something else here.
RENAMED = {
    ("check", "--diff"): "--changed-since REV (changed lines since a git revision; `benchaudit fix "
    "--diff` previews fixes)",
}


class CommandExit(Exception):
    """End the command with `code`, saying `message` (one line, as `error: ...`) if given."""

    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message or f"exit {code}")
        self.code = code
        self.message = message


def fail(message: str, code: int = 2) -> NoReturn:
    raise CommandExit(code, message)


def say(message: str) -> None:
    """A line on standard error (progress, counts): not part of the report."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


class Param(NamedTuple):
    """One parameter of `check` as its command line spells it."""

    name: str  # the keyword `check` takes
    decls: tuple[str, ...]  # option names; () for the positional paths
    kind: type  # str, Path, int or bool
    default: Any = None
    many: bool = False  # repeatable (a list)
    off: tuple[str, ...] = ()  # a flag's names that turn it off (`--no-force-exclude`)
    hidden: bool = False


#: `check`'s parameters, in declaration order; `auditor.cli.check` declares the same for typer.
CHECK_PARAMS: tuple[Param, ...] = (
    Param("paths", (), Path, many=True),
    Param("select", ("--select",), str, many=True),
    Param("ignore", ("--ignore",), str, many=True),
    Param("extend_select", ("--extend-select",), str, many=True),
    Param("output_format", ("--format", "-f"), str, "text"),
    Param("output", ("--output", "-o"), Path),
    Param("model", ("--model",), str, many=True),
    Param("config", ("--config",), Path),
    Param("isolated", ("--isolated",), bool, False),
    Param("force_exclude", ("--force-exclude",), bool, None, off=("--no-force-exclude",)),
    Param("stdin_filename", ("--stdin-filename",), str),
    Param("statistics", ("--statistics",), bool, False),
    Param("exit_zero", ("--exit-zero",), bool, False),
    Param("no_source", ("--no-source",), bool, False),
    Param("changed_since", ("--changed-since",), str),
    Param("old_diff", ("--diff",), str, hidden=True),
    Param("baseline", ("--baseline",), Path),
    Param("write_baseline", ("--write-baseline",), Path),
    Param("jobs", ("--jobs", "-j"), int, 0),
    Param("no_cache", ("--no-cache",), bool, False),
    Param("fix", ("--fix",), bool, False),
    Param("unsafe_fixes", ("--unsafe-fixes",), bool, False),
)


def run_check(kwargs: dict[str, Any]) -> int:
    """Run `check` with keyword arguments as the command line gives them; the exit code (an
    error is said on stderr as one `error:` line)."""
    try:
        check(**kwargs)
    except CommandExit as exc:
        if exc.message is not None:
            say(f"error: {exc.message}")
        return exc.code
    return 0


def check(
    paths: list[Path],
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    extend_select: list[str] | None = None,
    output_format: str = "text",
    output: Path | None = None,
    model: list[str] | None = None,
    config: Path | None = None,
    isolated: bool = False,
    force_exclude: bool | None = None,
    stdin_filename: str | None = None,
    statistics: bool = False,
    exit_zero: bool = False,
    no_source: bool = False,
    changed_since: str | None = None,
    old_diff: str | None = None,
    baseline: Path | None = None,
    write_baseline: Path | None = None,
    jobs: int = 0,
    no_cache: bool = False,
    fix: bool = False,
    unsafe_fixes: bool = False,
) -> None:
    """The `check` command; raises `CommandExit` for any exit code but 0."""
    from auditor.api import RunRequest, SetupError, prepare

    if old_diff is not None:
        renamed("check", "--diff")
    fmt = check_format(output_format, CHECK_FORMATS)
    if jobs < 0:
        fail(f"--jobs must be 0 (one per core) or more, got {jobs}")
    if stdin_filename is not None and not any(str(p) == "-" for p in paths):
        fail("--stdin-filename needs - among the paths (the source read from standard input)")
    request = RunRequest(
        paths=tuple(paths),
        select=select,
        ignore=ignore or (),
        extend_select=extend_select or (),
        models=parse_models(model),
        config=config,
        isolated=isolated,
        force_exclude=force_exclude,
        stdin_filename=stdin_filename,
    )
    try:
        run = prepare(request)
    except SetupError as exc:
        fail(str(exc))
    changes = None
    if changed_since is not None:
        from auditor.review import ReviewError, changed_lines

        try:
            changes = changed_lines({disp: path for path, disp in run.files}, changed_since)
        except ReviewError as exc:
            fail(str(exc))
        run = run.only(changes.changed)
    if fix or unsafe_fixes:
        if run.stdin is not None:
            fail("--fix writes files: standard input cannot be fixed")
        run_fixes(run, unsafe=unsafe_fixes, show_diff=False)
    report = run.check(jobs=jobs, use_cache=not no_cache, progress=True)
    if changes is not None or baseline is not None or write_baseline is not None:
        report = review_filter(report, changes, baseline, write_baseline)

    if fmt != "text":
        from auditor.reporters.json_report import build_check_payload, validate_report
        from auditor.review import render_payload

        payload = build_check_payload(report, [r.META for r in run.rules])
        validate_report(payload)
        text = render_payload(payload, fmt)
    else:
        from auditor.reporters.text import render_check, use_color

        color = output is None and use_color(sys.stdout.isatty())
        text = render_check(report, color=color, show_source=not no_source, statistics=statistics)
    emit(text, output)
    if any(e.kind == "read-error" for e in report.errors):
        raise CommandExit(2)
    if (report.findings or report.errors) and not exit_zero:
        raise CommandExit(1)


def renamed(command: str, flag: str) -> NoReturn:
    fail(f"`{command} {flag}` was renamed: use {RENAMED[(command, flag)]}")


def check_format(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        fail(f"--format must be one of {', '.join(allowed)}; got `{value}`")
    return value


def parse_models(values: list[str] | None) -> dict[str, str]:
    models: dict[str, str] = {}
    for value in values or []:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            fail(f"--model expects NAME=PATH, got `{value}`")
        models[name.strip()] = path.strip()
    return models


def emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from auditor.resources import write_atomic

    try:
        write_atomic(output, text)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")


def run_fixes(run: PreparedRun, *, unsafe: bool, show_diff: bool) -> tuple[int, int]:
    """Fix the files (or print the diffs), say what was fixed on stderr; (fixes, errors)."""
    from collections import Counter

    codes: Counter[str] = Counter()
    changed = errors = 0
    notebooks = 0
    results = run.fix(unsafe=unsafe, write=not show_diff)
    for result in results:
        if result.error is not None:
            errors += 1
            say(f"{result.path}: {result.error.message}")
        if result.notebook:
            notebooks += 1
        if result.changed and result.error is None:
            changed += 1
            codes.update(f.code for f in result.applied)
            if show_diff:
                sys.stdout.write(result.diff())
    total = sum(codes.values())
    verb = "Would fix" if show_diff else "Fixed"
    detail = ", ".join(f"{c}: {n}" for c, n in sorted(codes.items()))
    say(
        f"{verb} {total} finding(s)"
        + (f" ({detail})" if detail else "")
        + f" in {changed} of {len(results)} file(s)."
    )
    if notebooks:
        say(
            f"{notebooks} notebook(s) not fixed: notebooks are checked, never rewritten "
            "(apply their fixes by hand)"
        )
    return total, errors


def review_filter(
    report: CheckReport,
    changes: Changes | None,
    baseline: Path | None,
    write_baseline: Path | None,
) -> CheckReport:
    """Apply --changed-since and --baseline to a report; --write-baseline records it and ends
    the command."""
    from auditor import review

    if changes is not None:
        report = review.only_changed(report, changes)
    try:
        if write_baseline is not None:
            if baseline is not None:
                fail("--baseline and --write-baseline cannot be combined")
            n = review.write_baseline(write_baseline, report.findings)
            say(f"benchaudit: wrote a baseline of {n} finding(s) to {write_baseline}")
            raise CommandExit(2 if any(e.kind == "read-error" for e in report.errors) else 0)
        if baseline is not None:
            report, dropped = review.without_baseline(report, review.load_baseline(baseline))
            if dropped:
                say(f"benchaudit: {dropped} finding(s) in the baseline {baseline} not shown")
    except review.ReviewError as exc:
        fail(str(exc))
    return report
