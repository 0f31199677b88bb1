"""One file's text to its result: decode, the limits (`limits.py`), the screen (`screen.py`),
and only then libcst and the rules (`engine.analyse`). A file the screen drops costs CPython's
own parser and never imports libcst or a rule."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

from auditor.core import UNUSED_SUPPRESSION, FileError, FileResult
from auditor.limits import checked_tree, run_deep
from auditor.options import CheckOptions
from auditor.project import ProjectModules
from auditor.registry import BY_CODE, rule_classes


class SourceDecodeError(ValueError):
    """The bytes are not Python source text; the message says why, in one line."""


def decode_source(data: bytes) -> str:
    """Decode Python source bytes as the interpreter would (coding cookie, BOM). Raises
    `SourceDecodeError` for binary content, a bad coding declaration or undecodable bytes."""
    nul = data.find(b"\0", 0, 8192)
    if nul >= 0:
        raise SourceDecodeError(f"not Python source: binary content (a NUL byte at offset {nul})")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except LookupError as exc:
        raise SourceDecodeError(f"bad encoding declaration: {exc}") from None
    except SyntaxError as exc:  # no usable declaration, and the first lines are not UTF-8
        _decode(data, "utf-8")
        raise SourceDecodeError(f"bad encoding declaration: {exc}") from None
    return _decode(data, encoding).removeprefix("\ufeff")


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start : exc.start + 1].hex()
        raise SourceDecodeError(
            f"not valid {encoding}: byte 0x{bad} at offset {exc.start} ({exc.reason})"
        ) from None


def check_source(
    source: str,
    path: str,
    opts: CheckOptions,
    *,
    file_path: Path | None = None,
    modules: ProjectModules | None = None,
) -> FileResult:
    """Check one file's text. Never raises for bad input: errors become a `FileError`.
    `modules` (optional) records the sibling modules the analyses read, for a result cache."""
    checked = checked_tree(source, path)  # too large or too deep for libcst: say so
    if isinstance(checked, FileError):
        return FileResult(path, error=checked)
    if modules is None:
        modules = ProjectModules(file_path, opts.project_cache)
    if checked is not None and opts.screen:
        from auditor.screen import may_have_findings

        tree, tree_levels = checked
        if not may_have_findings(source, tree, modules, tree_levels):
            return FileResult(path)  # nothing a rule could speak about: not parsed
    ignored = opts.extra_ignores.get(path, frozenset())
    codes = [c for c in opts.codes if c not in ignored and BY_CODE[c].name not in ignored]
    from auditor.engine import analyse

    try:  # in a thread with a deep stack: a deep but valid file is analysed, not a crash
        return run_deep(
            analyse,
            source,
            path,
            rule_classes(codes),
            modules=modules,
            options=opts.options,
            model_paths=opts.model_paths,
            report_unused=UNUSED_SUPPRESSION not in ignored,
        )
    except MemoryError:
        return FileResult(path, error=FileError(path, "internal-error", "out of memory"))
