"""The `benchaudit` command line. Exit codes: 0 clean, 1 findings, 2 usage/config/internal error.

Only what a command needs is imported: `check` never loads torch, the verifier or the heavier
reporters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from auditor import __version__, checkcmd
from auditor.checkcmd import (
    CHECK_FORMATS,
    LIST_FORMATS,
    CommandExit,
    check_format,
    emit,
    fail,
    run_fixes,
)

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="benchaudit",
    help="Find and price methodology flaws in GPU inference benchmark scripts.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def command(name: str | None = None) -> Callable[[F], F]:
    """`app.command`, with `checkcmd.CommandExit` (the commands' shared helpers end a command
    with it) turned into typer's exit: the message as one `error:` line, then the code."""

    def register(func: F) -> F:
        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except CommandExit as exc:
                if exc.message is not None:
                    typer.echo(f"error: {exc.message}", err=True)
                raise typer.Exit(exc.code) from None

        app.command(name)(run)
        return func

    return register


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"benchaudit {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Find and price methodology flaws in GPU inference benchmark scripts."""


@command()
def check(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...", help="Files or directories to check; - reads standard input."
        ),
    ],
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            metavar="RULES",
            help="Rules to run, comma-separated or repeated (code, prefix such as BA1, name, "
            "or ALL).",
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", metavar="RULES", help="Rules to skip (comma-separated)."),
    ] = None,
    extend_select: Annotated[
        list[str] | None,
        typer.Option(
            "--extend-select",
            metavar="RULES",
            help="Rules to run in addition to the selection (comma-separated).",
        ),
    ] = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format", "-f", metavar="FORMAT", help="text, json, sarif, markdown, github or html."
        ),
    ] = "text",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the report to this file (atomically) instead of stdout.",
        ),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            metavar="NAME=PATH",
            help="A model module the script loads; its declared `num_inference_steps` is read "
            "(never run) for step-source messages. The file must exist.",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="One configuration for every file: pyproject.toml or a TOML file of the "
            "[tool.benchaudit] table (default: the nearest pyproject.toml above each file).",
        ),
    ] = None,
    isolated: Annotated[
        bool, typer.Option("--isolated", help="Ignore configuration files.")
    ] = False,
    force_exclude: Annotated[
        bool | None,
        typer.Option(
            "--force-exclude/--no-force-exclude",
            help="Apply `exclude` to files named on the command line too (the pre-commit hook "
            "does). Default: the configuration's force-exclude, else off.",
        ),
    ] = None,
    stdin_filename: Annotated[
        str | None,
        typer.Option(
            "--stdin-filename",
            metavar="PATH",
            help="With -, the file name to report and to find the configuration from.",
        ),
    ] = None,
    statistics: Annotated[
        bool, typer.Option("--statistics", help="Print counts per rule.")
    ] = False,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even when there are findings.")
    ] = False,
    no_source: Annotated[
        bool,
        typer.Option(
            "--no-source", help="Text format: omit the source line and help under each finding."
        ),
    ] = False,
    changed_since: Annotated[
        str | None,
        typer.Option(
            "--changed-since",
            metavar="REV",
            help="Report only findings on lines added or changed since git revision REV.",
        ),
    ] = None,
    old_diff: Annotated[
        str | None, typer.Option("--diff", hidden=True, help="Renamed --changed-since.")
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            metavar="FILE",
            help="Report only findings not recorded in this baseline file.",
        ),
    ] = None,
    write_baseline: Annotated[
        Path | None,
        typer.Option(
            "--write-baseline",
            metavar="FILE",
            help="Record the current findings as a baseline file and exit.",
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            help="Processes to check files with (0: one per core; 1: no workers).",
        ),
    ] = 0,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Neither read nor write the result cache (.benchaudit_cache/ at the project "
            "root, or $BENCHAUDIT_CACHE_DIR).",
        ),
    ] = False,
    fix: Annotated[
        bool,
        typer.Option("--fix", help="Apply safe fixes to the files, then report what remains."),
    ] = False,
    unsafe_fixes: Annotated[
        bool,
        typer.Option(
            "--unsafe-fixes", help="With --fix, also apply fixes that change the script's meaning."
        ),
    ] = False,
) -> None:
    """Check benchmark scripts for methodology flaws (static: never imports or runs them)."""
    checkcmd.check(
        paths,
        select,
        ignore,
        extend_select,
        output_format,
        output,
        model,
        config,
        isolated,
        force_exclude,
        stdin_filename,
        statistics,
        exit_zero,
        no_source,
        changed_since,
        old_diff,
        baseline,
        write_baseline,
        jobs,
        no_cache,
        fix,
        unsafe_fixes,
    )


@command("fix")
def fix_command(
    paths: Annotated[
        list[Path], typer.Argument(metavar="PATH...", help="Files or directories to fix.")
    ],
    unsafe_fixes: Annotated[
        bool, typer.Option("--unsafe-fixes", help="Also apply fixes that change the meaning.")
    ] = False,
    show_diff: Annotated[
        bool, typer.Option("--diff", help="Print a unified diff of the fixes; write nothing.")
    ] = False,
    select: Annotated[
        list[str] | None,
        typer.Option("--select", metavar="RULES", help="Rules whose fixes to apply."),
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", metavar="RULES", help="Rules to skip.")
    ] = None,
    extend_select: Annotated[
        list[str] | None,
        typer.Option(
            "--extend-select",
            metavar="RULES",
            help="Rules whose fixes to apply in addition to the selection (e.g. BA103).",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="One configuration for every file (default: the nearest pyproject.toml above "
            "each file).",
        ),
    ] = None,
    isolated: Annotated[
        bool, typer.Option("--isolated", help="Ignore configuration files.")
    ] = False,
    force_exclude: Annotated[
        bool | None,
        typer.Option(
            "--force-exclude/--no-force-exclude",
            help="Apply `exclude` to files named on the command line too.",
        ),
    ] = None,
) -> None:
    """Apply the safe fixes of findings (libcst rewrites that keep formatting and comments).

    Exit codes: 0 done (or, with --diff, nothing to fix), 1 with --diff when there are fixes to
    apply, 2 usage or read errors."""
    from auditor.api import RunRequest, SetupError, prepare

    if any(str(p) == "-" for p in paths):
        fail("fix writes files: standard input cannot be fixed (use `check -`)")
    request = RunRequest(
        paths=tuple(paths),
        select=select,
        ignore=ignore or (),
        extend_select=extend_select or (),
        config=config,
        isolated=isolated,
        force_exclude=force_exclude,
    )
    try:
        run = prepare(request)
    except SetupError as exc:
        fail(str(exc))
    total, errors = run_fixes(run, unsafe=unsafe_fixes, show_diff=show_diff)
    if errors:
        raise typer.Exit(2)
    if show_diff and total:
        raise typer.Exit(1)


@command("report")
def report_command(
    report_file: Annotated[
        Path, typer.Argument(metavar="REPORT.json", help="A saved `--format json` report.")
    ],
    output_format: Annotated[
        str,
        typer.Option(
            "--format", "-f", metavar="FORMAT", help="text, json, sarif, markdown, github or html."
        ),
    ] = "text",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the report to this file (atomically) instead of stdout.",
        ),
    ] = None,
    chart: Annotated[
        Path | None,
        typer.Option(
            "--chart",
            metavar="PATH.png",
            help="Also draw the speedup chart of a verify report as a PNG (needs matplotlib).",
        ),
    ] = None,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even when the report has findings.")
    ] = False,
) -> None:
    """Render a saved JSON report (check or verify) in any format, without re-running anything."""
    import json

    import jsonschema

    from auditor.reporters.json_report import validate_report
    from auditor.review import render_payload

    fmt = check_format(output_format, CHECK_FORMATS)
    try:
        payload = json.loads(report_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"report not found: {report_file}")
    except OSError as exc:
        fail(f"cannot read {report_file}: {exc.strerror or exc}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        fail(f"{report_file} is not valid JSON: {exc}")
    try:
        validate_report(payload)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "the top level"
        fail(f"{report_file} is not a benchaudit report ({where}: {exc.message[:200]})")
    emit(render_payload(payload, fmt), output)
    if chart is not None:
        write_chart(payload, chart)
    if (payload["findings"] or payload["errors"]) and not exit_zero:
        raise typer.Exit(1)


def write_chart(payload: dict[str, object], path: Path) -> None:
    from auditor.reporters.chart import ChartError, write_speedup_png

    try:
        write_speedup_png(payload, path)
    except ChartError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")


@command("rules")
def list_rules(
    output_format: Annotated[
        str, typer.Option("--format", "-f", metavar="FORMAT", help="text or json.")
    ] = "text",
) -> None:
    """List the rules."""
    from auditor.registry import all_rules
    from auditor.reporters.json_report import rule_entry

    fmt = check_format(output_format, LIST_FORMATS)
    metas = [r.META for r in all_rules()]
    if fmt == "json":
        import json

        typer.echo(json.dumps([rule_entry(m) for m in metas], indent=2))
        return
    width = max(len(m.name) for m in metas)
    for m in metas:
        flag = "" if m.default_enabled else "  (off by default)"
        typer.echo(f"{m.code}  {m.name:<{width}}  {m.severity:<7}  {m.summary}{flag}")


@command("rule")
def show_rule(
    selector: Annotated[str, typer.Argument(help="A rule code (BA101) or name.")],
) -> None:
    """Print one rule's documentation."""
    from auditor.docs import rule_markdown
    from auditor.registry import UnknownRuleError, find_rule

    try:
        rule = find_rule(selector)
    except UnknownRuleError as exc:
        fail(str(exc))
    typer.echo(rule_markdown(rule.META), nl=False)


@command("server")
def server_command() -> None:
    """Run the language server over standard input and output, for editors (pip install
    'benchaudit[server]')."""
    import importlib.util

    if importlib.util.find_spec("pygls") is None or importlib.util.find_spec("lsprotocol") is None:
        fail("`benchaudit server` needs pygls: pip install 'benchaudit[server]'")
    from auditor.server import main as serve

    serve()


def _register_verify() -> None:
    try:
        from auditor.verify.cli import verify
    except ImportError:  # pragma: no cover - the verifier ships with the package
        return
    app.command("verify")(verify)


_register_verify()


def main() -> None:
    """The typer app, after the fast path for `check` (`auditor.__main__` is the installed
    entry point; this one serves `python -m auditor.cli`)."""
    from auditor.fastcli import run_main

    run_main(lambda: app(prog_name="benchaudit"))


if __name__ == "__main__":
    main()
