"""The `benchaudit` command (and `python -m auditor`): `check` on a plain command line runs
without importing typer (`auditor.fastcli`); anything else goes to the typer app in
`auditor.cli`. Never a traceback: an interrupt or an internal error is one `error:` line."""

from __future__ import annotations


def main() -> None:
    from auditor.fastcli import run_main

    run_main(_typer_app)


def _typer_app() -> None:
    from auditor.cli import app

    app(prog_name="benchaudit")


if __name__ == "__main__":
    main()
