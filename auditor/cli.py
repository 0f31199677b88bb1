"""The `benchaudit` command line. Exit codes: 0 clean, 1 findings, 2 usage/config/internal error.

Only what a command needs is imported: `check` never loads torch, the verifier or the heavier
reporters.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from auditor import __version__

app = typer.Typer(
    name="benchaudit",
    help="Find and price methodology flaws in GPU inference benchmark scripts.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class CheckFormat(StrEnum):
    text = "text"
    json = "json"


class ListFormat(StrEnum):
    text = "text"
    json = "json"


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def parse_models(values: list[str] | None) -> dict[str, str]:
    models: dict[str, str] = {}
    for value in values or []:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            fail(f"--model expects NAME=PATH, got `{value}`")
        models[name.strip()] = path.strip()
    return models


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


@app.command()
def check(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to check.")],
    select: Annotated[
        list[str] | None,
        typer.Option("--select", help="Rules to run (code, prefix such as BA1, name, or ALL)."),
    ] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Rules to skip.")] = None,
    extend_select: Annotated[
        list[str] | None,
        typer.Option("--extend-select", help="Rules to run in addition to the selection."),
    ] = None,
    output_format: Annotated[
        CheckFormat, typer.Option("--format", "-f", help="Output format.")
    ] = CheckFormat.text,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the report to this file (atomically) instead of stdout."
        ),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            help="NAME=PATH of a model module the script loads; its declared "
            "`num_inference_steps` is read (never run) for step-source messages.",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="pyproject.toml (or a TOML file of the [tool.benchaudit] table)."
        ),
    ] = None,
    isolated: Annotated[
        bool, typer.Option("--isolated", help="Ignore configuration files.")
    ] = False,
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
) -> None:
    """Check benchmark scripts for methodology flaws (static: never imports or runs them)."""
    from auditor.config import Config, ConfigError, load_config
    from auditor.discovery import PathError, discover
    from auditor.engine import CheckOptions, check_files
    from auditor.registry import UnknownRuleError, select_rules

    try:
        cfg = Config() if isolated else load_config(config)
    except ConfigError as exc:
        fail(str(exc))
    try:
        rules = select_rules(
            select=select if select else cfg.select,
            ignore=[*cfg.ignore, *(ignore or [])],
            extend_select=[*cfg.extend_select, *(extend_select or [])],
        )
    except UnknownRuleError as exc:
        fail(str(exc))
    models = {**cfg.models, **parse_models(model)}
    try:
        files = list(discover(paths, exclude=cfg.exclude))
    except PathError as exc:
        fail(str(exc))
    opts = CheckOptions(
        tuple(rules),
        options=cfg.rule_options,
        model_paths=models,
        extra_ignores={disp: cfg.ignores_for(disp) for _, disp in files if cfg.per_file_ignores},
    )
    report = check_files(files, opts)

    if output_format is CheckFormat.json:
        import json

        from auditor.reporters.json_report import build_check_payload, validate_report

        payload = build_check_payload(report, [r.META for r in rules])
        validate_report(payload)
        text = json.dumps(payload, indent=2, sort_keys=False) + "\n"
    else:
        from auditor.reporters.text import render_check, use_color

        color = output is None and use_color(sys.stdout.isatty())
        text = render_check(report, color=color, show_source=not no_source, statistics=statistics)
    emit(text, output)
    if any(e.kind == "read-error" for e in report.errors):
        raise typer.Exit(2)
    if (report.findings or report.errors) and not exit_zero:
        raise typer.Exit(1)


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


@app.command("rules")
def list_rules(
    output_format: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.text,
) -> None:
    """List the rules."""
    from auditor.registry import all_rules
    from auditor.reporters.json_report import rule_entry

    metas = [r.META for r in all_rules()]
    if output_format is ListFormat.json:
        import json

        typer.echo(json.dumps([rule_entry(m) for m in metas], indent=2))
        return
    width = max(len(m.name) for m in metas)
    for m in metas:
        flag = "" if m.default_enabled else "  (off by default)"
        typer.echo(f"{m.code}  {m.name:<{width}}  {m.severity:<7}  {m.summary}{flag}")


@app.command("rule")
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


def _register_verify() -> None:
    try:
        from auditor.verify.cli import verify
    except ImportError:  # pragma: no cover - the verifier ships with the package
        return
    app.command("verify")(verify)


_register_verify()


def main() -> None:
    try:
        app(prog_name="benchaudit")
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        sys.exit(2)
    except SystemExit:
        raise
    except Exception as exc:  # never a traceback for the user
        typer.echo(f"error: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
