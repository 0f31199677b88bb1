"""The `benchaudit` command (and `python -m auditor`): `check` on a plain command line runs
without importing typer (`auditor.fastcli`); anything else goes to the typer app in
`auditor.cli`. Never a traceback: an interrupt or an internal error is one `error:` line."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from auditor.fastcli import exit_now, run_check_fast

        code = run_check_fast(sys.argv[1:])
        if code is not None:
            exit_now(code)
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.exit(2)
    except SystemExit:
        raise
    except Exception as exc:  # never a traceback for the user
        sys.stderr.write(f"error: internal error: {type(exc).__name__}: {exc}\n")
        sys.exit(2)
    from auditor.cli import main as typer_main

    typer_main()


if __name__ == "__main__":
    main()
