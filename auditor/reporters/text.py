"""The terminal report: `path:line:col: CODE [name] message`, the source line, a help line.

In a notebook the location names the cell: `nb.ipynb:cell 3:5:1: CODE ...` (line 5 of cell 3).
Text from the audited files (paths, messages quoting code, source lines) is printed with its
control characters escaped, so a file name or string literal cannot move the cursor, recolour
the terminal or forge lines of the report.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.core import CheckReport, Finding

# C0 and C1 controls (tab aside), DEL, and the bidirectional overrides of "Trojan source".
_UNSAFE = {
    c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"
    for c in [
        *range(0x20),
        0x7F,
        *range(0x80, 0xA0),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
    if c != 0x09
}


def clean(text: str) -> str:
    """`text` safe to print on a terminal: control characters escaped (`\\x1b`), and lone
    surrogates (a file name that is not UTF-8) written as `\\udcff`."""
    if text.isprintable():
        return text
    return text.translate(_UNSAFE).encode("utf-8", "backslashreplace").decode("utf-8")


def location(path: str, line: int | None, column: int | None, cell: int | None = None) -> str:
    where = clean(path)
    if cell is not None:
        where += f":cell {cell}"
    if line is not None:
        where += f":{line}:{column or 1}"
    return where


class Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def red(self, text: str) -> str:
        return self._wrap("31", text)

    def yellow(self, text: str) -> str:
        return self._wrap("33", text)

    def cyan(self, text: str) -> str:
        return self._wrap("36", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)


def use_color(stream_isatty: bool) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream_isatty and os.environ.get("TERM") != "dumb"


def render_finding(f: Finding, style: Style, show_source: bool = True) -> str:
    sev = style.red if f.severity == "error" else style.yellow
    head = (
        f"{style.bold(location(f.path, f.span.line, f.span.column, f.cell))}: "
        f"{sev(style.bold(f.code))} {style.dim('[' + f.name + ']')} {clean(f.message)}"
    )
    lines = [head]
    if show_source and f.source_line:
        gutter = str(f.span.line)
        pad = " " * len(gutter)
        raw = f.source_line.expandtabs(4)
        src = clean(raw)
        start = len(clean(raw[: max(f.span.column - 1, 0)]))
        width = (
            (f.span.end_column - f.span.column)
            if f.span.end_line == f.span.line
            else (len(src.rstrip()) - start)
        )
        width = max(1, min(width, max(len(src.rstrip()) - start, 1)))
        lines.append(f"{pad} {style.cyan('|')}")
        lines.append(f"{style.cyan(gutter)} {style.cyan('|')} {src}")
        lines.append(f"{pad} {style.cyan('|')} {' ' * start}{sev('^' * width)}")
        lines.append(f"{pad} {style.cyan('=')} {style.bold('help')}: {clean(f.help)}")
    else:
        lines.append(f"  = help: {clean(f.help)}")
    return "\n".join(lines)


def render_check(
    report: CheckReport, *, color: bool = False, show_source: bool = True, statistics: bool = False
) -> str:
    style = Style(color)
    out: list[str] = []
    for err in report.errors:
        where = location(err.path, err.line, err.column, err.cell)
        out.append(f"{style.bold(where)}: {style.red('error')}: {clean(err.message)}")
    findings = report.findings
    for f in findings:
        out.append(render_finding(f, style, show_source))
        if show_source:
            out.append("")
    if statistics and findings:
        counts = Counter((f.code, f.name) for f in findings)
        width = max(len(str(n)) for n in counts.values())
        for (code, name), n in sorted(counts.items()):
            out.append(f"{n:>{width}}  {code}  {name}")
        out.append("")
    out.append(summary_line(report))
    return "\n".join(out) + "\n"


def summary_line(report: CheckReport) -> str:
    """The last line: findings in the files that were checked, then the files that were not
    (a file that could not be read or parsed is not counted among those without findings)."""
    findings = report.findings
    errors = report.errors
    checked = len(report.files) - len(errors)
    files = f"{checked} {'checked ' if errors else ''}file" + ("" if checked == 1 else "s")
    err = (
        f"; {len(errors)} file" + (" " if len(errors) == 1 else "s ") + "not checked"
        if errors
        else ""
    )
    if not findings:
        return f"No findings in {files}{err}."
    by_code = Counter(f.code for f in findings)
    detail = ", ".join(f"{code}: {n}" for code, n in sorted(by_code.items()))
    flagged = len({f.path for f in findings})
    noun = "finding" if len(findings) == 1 else "findings"
    return f"Found {len(findings)} {noun} ({detail}) in {flagged} of {files}{err}."
