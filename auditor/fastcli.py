"""A fast path into `benchaudit check` for plain command lines, with typer's semantics.

typer (with click and its type coercion) costs more to import than checking a short script, and
the pre-commit hook runs `check` on every commit. For `check`, this module parses the command
line from `checkcmd.CHECK_PARAMS` (the same declarations typer reads from
`auditor.cli.check`; `tests/test_fastcli.py` checks that they agree) and runs the typer-free
`checkcmd.check`. Anything it does not reproduce exactly (help, an unknown or malformed option, a
missing path) makes it step aside, and typer parses as usual, with its own messages.
`tests/test_fastcli.py` runs both paths on the same command lines.
"""

from __future__ import annotations

import gc
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from auditor.checkcmd import CHECK_PARAMS, Param, run_check


class _Decline(Exception):
    """The fast path cannot reproduce typer exactly for this command line."""


_NEGATIVE = re.compile(r"-\d+(\.\d*)?")


def _options(params: Sequence[Param]) -> dict[str, tuple[Param, Any]]:
    """Each option name -> (its parameter, the value a flag sets; None for a valued option)."""
    names: dict[str, tuple[Param, Any]] = {}
    for p in params:
        for decl in p.decls:
            names[decl] = (p, True if p.kind is bool else None)
        for decl in p.off:
            names[decl] = (p, False)
    return names


def _value(param: Param, text: str) -> Any:
    if text.startswith("-") and text != "-" and not _NEGATIVE.fullmatch(text):
        raise _Decline(f"{param.name}: {text!r} looks like an option")
    try:
        return param.kind(text)
    except ValueError:
        raise _Decline(f"{param.name}: {text!r} is not a {param.kind.__name__}") from None


def parse(argv: Sequence[str], params: Sequence[Param] = CHECK_PARAMS) -> dict[str, Any]:
    """Keyword arguments for `checkcmd.check` from `argv`, as typer would pass them (options
    and paths in any order, `--opt=value`, `-fvalue`, `--` before paths that start with a dash,
    repeated options collected, the last of a single-valued one kept); raises `_Decline` for
    anything else (help, an unknown option, a missing or malformed value, no path)."""
    options = _options(params)
    positional = [p for p in params if not p.decls]
    kwargs: dict[str, Any] = {p.name: p.default for p in params}
    values: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            values += args[i:]
            break
        if not arg.startswith("-") or arg == "-":
            values.append(arg)
            continue
        if arg in ("-h", "--help"):
            raise _Decline("help")
        if arg.startswith("--"):
            name, eq, attached = arg.partition("=")
            explicit = attached if eq else None
        else:  # a short option: `-j 2` or `-j2`
            name, explicit = arg[:2], (arg[2:] or None)
            if explicit is not None and explicit.startswith("="):
                raise _Decline(f"{arg}: short option with =")
        if name not in options:
            raise _Decline(f"unknown option {name}")
        param, flag = options[name]
        if flag is not None:
            if explicit is not None:
                raise _Decline(f"{name} takes no value")
            kwargs[param.name] = flag
            continue
        if explicit is None:
            if i >= len(args):
                raise _Decline(f"{name} needs a value")
            explicit = args[i]
            i += 1
        value = _value(param, explicit)
        if param.many:
            kwargs[param.name] = [*(kwargs[param.name] or ()), value]
        else:
            kwargs[param.name] = value
    if len(positional) != 1 or not positional[0].many:
        raise _Decline("one list of paths expected")
    if not values:
        raise _Decline("no paths")
    paths = positional[0]
    kwargs[paths.name] = [paths.kind(v) for v in values]
    return kwargs


def run_check_fast(argv: Sequence[str]) -> int | None:
    """Run `benchaudit check ARGS...` without typer: the exit code, or None when the command
    line must go through typer.

    A short-lived command: the cyclic garbage collector is off while it runs (it would scan
    libcst's tens of thousands of objects again and again; `auditor.parallel` collects between
    files of a long run instead)."""
    if not argv or argv[0] != "check" or os.environ.get("BENCHAUDIT_NO_FAST_CLI"):
        return None
    try:
        kwargs = parse(argv[1:])
    except _Decline:
        return None
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return run_check(kwargs)
    finally:
        if was_enabled:
            gc.enable()


def run_main(typer_app: Callable[[], object]) -> None:
    """The `benchaudit` program: `check` on a plain command line through the fast path, any
    other through `typer_app`. Never a traceback: an interrupt or an internal error is one
    `error:` line and exit code 2."""
    try:
        code = run_check_fast(sys.argv[1:])
        if code is not None:
            exit_now(code)
        typer_app()
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.exit(2)
    except SystemExit:
        raise
    except Exception as exc:  # never a traceback for the user
        sys.stderr.write(f"error: internal error: {type(exc).__name__}: {exc}\n")
        sys.exit(2)


def exit_now(code: int) -> NoReturn:
    """End the `benchaudit` process with `code`: flush the output, then skip the interpreter's
    teardown (freeing every module's objects one by one costs a one-file check ~30 ms). Only
    when `benchaudit` is the program; a caller that imported `main` gets `SystemExit`."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None) or ""
    if Path(main_file).stem not in ("benchaudit", "cli", "__main__"):
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): nothing more to say
            pass
    os._exit(code)
