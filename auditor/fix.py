"""Apply the fixes rules attach to findings: `benchaudit fix` and `benchaudit check --fix`.

A fix is a set of edits to the file's text at positions libcst reported, with replacement code
that rules build from libcst nodes, so everything around an edit (formatting, comments) is kept
byte for byte. Fixes are applied in passes: check, apply every fix whose edits do not overlap an
edit already taken in this pass, re-parse, check again, until no fix applies (a fix that makes
another possible, or two fixes that touched the same line, are taken in a later pass). A pass
whose result does not parse is discarded and the file keeps its last good text. The result is
written atomically and only when it differs; `--diff` prints a unified diff instead of writing.
Safe fixes keep the script's meaning; unsafe ones (`--unsafe-fixes`) change it on purpose.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from auditor.checkfile import SourceDecodeError, check_source, decode_source
from auditor.core import Applicability, Edit, FileError, FileResult, Finding, Fix
from auditor.options import CheckOptions
from auditor.parallel import read_file
from auditor.resources import write_atomic

MAX_PASSES = 8


@dataclass(slots=True)
class FileFix:
    path: str  # as displayed
    original: str
    fixed: str
    applied: list[Finding] = field(default_factory=list)  # findings whose fix was applied
    error: FileError | None = None
    notebook: bool = False  # notebooks are checked, never rewritten

    @property
    def changed(self) -> bool:
        return self.fixed != self.original

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                self.fixed.splitlines(keepends=True),
                fromfile=f"a/{self.path}",
                tofile=f"b/{self.path}",
            )
        )


def wanted(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (fix.applicability is Applicability.SAFE or unsafe)


def fix_source(
    source: str,
    path: str,
    opts: CheckOptions,
    *,
    unsafe: bool = False,
    file_path: Path | None = None,
) -> FileFix:
    """Fix one file's text in passes until nothing more applies."""
    result = FileFix(path, source, source)
    current = source
    for _ in range(MAX_PASSES):
        checked = check_source(current, path, opts, file_path=file_path)
        if checked.error is not None:
            result.error = checked.error if current == source else None
            break
        fixes = [f for f in checked.findings if wanted(f.fix, unsafe)]
        if not fixes:
            break
        new, taken = apply_fixes(current, fixes)
        if new == current or not _parses(new):
            break
        current = new
        result.applied += taken
    result.fixed = current
    return result


def apply_fixes(source: str, findings: Iterable[Finding]) -> tuple[str, list[Finding]]:
    """Apply the fixes of `findings` whose edits neither overlap each other nor an edit taken
    before them; identical edits (two findings fixing the same read) are made once."""
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    taken: list[Finding] = []
    chosen: dict[tuple[int, int, str], None] = {}
    ranges: list[tuple[int, int]] = []
    for finding in sorted(findings, key=lambda f: f.sort_key):
        assert finding.fix is not None
        edits = [(*_offsets(e, starts, lines), e.content) for e in finding.fix.edits]
        new = [e for e in edits if e not in chosen]
        if any(_overlaps(a, b, ranges) for a, b, _ in new):
            continue
        for a, b, text in new:
            chosen[(a, b, text)] = None
            ranges.append((a, b))
        taken.append(finding)
    out = source
    for a, b, text in sorted(chosen, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:a] + text + out[b:]
    return out, taken


def _offsets(edit: Edit, starts: list[int], lines: list[str]) -> tuple[int, int]:
    def offset(line: int, column: int) -> int:
        index = min(max(line - 1, 0), len(lines))
        return starts[index] + column - 1

    return offset(edit.span.line, edit.span.column), offset(
        edit.span.end_line, edit.span.end_column
    )


def _overlaps(a: int, b: int, ranges: list[tuple[int, int]]) -> bool:
    """Two replacements overlap when they share a character; two insertions at one point
    conflict (their order would be arbitrary)."""
    for c, d in ranges:
        if a == b and c == d and a == c:
            return True
        if a < d and c < b:
            return True
        if (a == b and c < a < d) or (c == d and a < c < b):
            return True
    return False


def _parses(source: str) -> bool:
    try:
        cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError):
        return False
    return True


def fix_file(
    path: Path, display: str, opts: CheckOptions, *, unsafe: bool = False, write: bool = True
) -> FileFix:
    """Fix one file on disk; write it atomically (keeping its mode) unless `write` is False.
    A failed write keeps the original and becomes an error for this file, not for the run."""
    if path.suffix == ".ipynb":
        return FileFix(display, "", "", notebook=True)
    read = read_file(path, display)  # the checker's reader: a FIFO or device is never opened
    if isinstance(read, FileResult):
        return FileFix(display, "", "", error=read.error)
    try:
        source = decode_source(read)
    except SourceDecodeError as exc:
        return FileFix(display, "", "", error=FileError(display, "parse-error", str(exc)))
    result = fix_source(source, display, opts, unsafe=unsafe, file_path=path)
    if write and result.changed and result.error is None:
        raw = read
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            result.error = FileError(display, "read-error", "not UTF-8: fixes are not written")
            return result
        text = result.fixed
        if b"\r\n" in raw:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        if raw.startswith(b"\xef\xbb\xbf"):
            text = "\ufeff" + text
        try:
            write_atomic(path, text)
        except OSError as exc:
            result.error = FileError(
                display, "read-error", f"cannot write fixes: {exc.strerror or exc}"
            )
    return result
