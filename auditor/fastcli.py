"""A fast path into `benchaudit check` for plain command lines, with typer's semantics.

typer coerces every parameter through pydantic: importing it and building the adapters costs
more than checking a short script. For `check` (the pre-commit hook's command, run on every
commit) this module reads the same parameter declarations from the `check` function's
signature, parses the command line with argparse and calls the function directly. Anything it
does not reproduce exactly (help, an unknown or malformed option, a parameter with callbacks,
environment variables, prompts, validation) makes it step aside, and typer parses as usual,
with its own messages. `tests/test_fastcli.py` runs both paths on the same command lines.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import types
import typing
from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import Any, NoReturn

#: Parameter settings the fast path understands; any other setting that differs from typer's
#: default sends the command line to typer.
_PLAIN_SETTINGS = frozenset(
    {
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
)
_SCALARS: dict[type, Callable[[str], Any]] = {str: str, Path: Path, int: int, float: float}


class _Decline(Exception):
    """The fast path cannot reproduce typer exactly for this command line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> typing.NoReturn:
        raise _Decline(message)


def _unwrap_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
        raise _Decline(f"union {annotation}")
    return annotation


def _converter(annotation: Any) -> Callable[[str], Any]:
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        enum = annotation
        values = {str(member.value): member for member in enum}

        def convert(text: str) -> Any:
            if text not in values:
                raise _Decline(f"{text!r} is not a {enum.__name__}")
            return values[text]

        return convert
    raise _Decline(f"type {annotation}")


def _check_plain(info: Any) -> None:
    defaults = type(info)()
    for name, value in vars(info).items():
        if name not in _PLAIN_SETTINGS and value != getattr(defaults, name, value):
            raise _Decline(f"setting {name}")


def build_parser(func: Callable[..., Any]) -> tuple[_Parser, dict[str, Any]]:
    """An argparse parser equivalent to typer's for `func`, and the defaults to call it with.

    The declarations are read with typer's own `get_params_from_function`, which settles what
    `Annotated[..., typer.Option("--jobs", "-j")]` means (the first name arrives as the
    option's `default`) exactly as typer's parser will."""
    import typer.models
    import typer.utils

    try:
        params = typer.utils.get_params_from_function(func)
    except Exception as exc:  # another typer: let it parse
        raise _Decline(f"typer cannot be read: {exc}") from None
    parser = _Parser(add_help=False, allow_abbrev=False, exit_on_error=False)
    defaults: dict[str, Any] = {}
    for name, meta in params.items():
        info = meta.default
        if not isinstance(info, typer.models.ParameterInfo):
            raise _Decline(f"{name}: no typer parameter")
        _check_plain(info)
        required = info.default is ...
        default = None if required else info.default
        defaults[name] = default
        annotation = _unwrap_optional(meta.annotation)
        is_list = typing.get_origin(annotation) is list
        item = typing.get_args(annotation)[0] if is_list else annotation
        if isinstance(info, typer.models.ArgumentInfo):
            if not required:
                raise _Decline(f"optional argument {name}")
            parser.add_argument(name, nargs="+" if is_list else None, type=_converter(item))
            continue
        if not isinstance(info, typer.models.OptionInfo):
            raise _Decline(f"{name}: unknown parameter kind")
        decls = list(info.param_decls or ())
        if item is bool and not is_list:
            on, off = _bool_flags(name, decls)
            parser.add_argument(*on, dest=name, action="store_true", default=default)
            if off:
                parser.add_argument(*off, dest=name, action="store_false")
            continue
        names = decls or ["--" + name.replace("_", "-")]
        if any("/" in d for d in names):
            raise _Decline(f"{name}: secondary names on a non-flag")
        parser.add_argument(
            *names,
            dest=name,
            type=_converter(item),
            action="append" if is_list else "store",
            default=None if is_list else default,
        )
    return parser, defaults


def _bool_flags(name: str, decls: list[str]) -> tuple[list[str], list[str]]:
    if not decls:
        flag = name.replace("_", "-")
        return [f"--{flag}"], [f"--no-{flag}"]
    on: list[str] = []
    off: list[str] = []
    for decl in decls:
        first, sep, second = decl.partition("/")
        on += [n.strip() for n in first.split(",") if n.strip()] if sep else [decl]
        if sep:
            off += [n.strip() for n in second.split(",") if n.strip()]
    return on, off


def parse(func: Callable[..., Any], argv: Sequence[str]) -> dict[str, Any]:
    """Keyword arguments for `func` from `argv`, as typer would pass them; raises `_Decline`."""
    if any(a in ("-h", "--help") for a in argv):
        raise _Decline("help")
    parser, defaults = build_parser(func)
    try:
        namespace = parser.parse_intermixed_args(list(argv))
    except (argparse.ArgumentError, TypeError, ValueError) as exc:
        raise _Decline(str(exc)) from None
    kwargs = dict(defaults)
    kwargs.update({k: v for k, v in vars(namespace).items() if v is not None})
    return kwargs


def run_check_fast(argv: Sequence[str], check: Callable[..., None]) -> int | None:
    """Run `benchaudit check ARGS...` without typer's parser: `check` is the CLI's `check`
    command (passed in, so this module never imports the CLI); the exit code, or None when the
    command line must go through typer.

    A short-lived command: the cyclic garbage collector is off while it runs (it would scan
    libcst's tens of thousands of objects again and again; `auditor.parallel` collects between
    files of a long run instead)."""
    if not argv or argv[0] != "check" or os.environ.get("BENCHAUDIT_NO_FAST_CLI"):
        return None
    try:
        kwargs = parse(check, argv[1:])
    except _Decline:
        return None
    from typer import Exit

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        check(**kwargs)
    except Exit as exc:
        return int(exc.exit_code)
    finally:
        if was_enabled:
            gc.enable()
    return 0


def exit_now(code: int) -> NoReturn:
    """End the `benchaudit` process with `code`: flush the output, then skip the interpreter's
    teardown (freeing every module's objects one by one costs a one-file check ~30 ms). Only
    when `benchaudit` is the program; a caller that imported `main` gets `SystemExit`."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None) or ""
    if Path(main_file).stem not in ("benchaudit", "cli"):
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): nothing more to say
            pass
    os._exit(code)
