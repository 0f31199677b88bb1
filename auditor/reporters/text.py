"""The terminal report: `path:line:col: CODE [name] message`, the source line, a help line."""

from __future__ import annotations

import os
from collections import Counter

from auditor.core import CheckReport, Finding


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
        f"{style.bold(f.path)}:{f.span.line}:{f.span.column}: "
        f"{sev(style.bold(f.code))} {style.dim('[' + f.name + ']')} {f.message}"
    )
    lines = [head]
    if show_source and f.source_line:
        gutter = str(f.span.line)
        pad = " " * len(gutter)
        src = f.source_line.expandtabs(4)
        start = max(f.span.column - 1, 0)
        width = (
            (f.span.end_column - f.span.column)
            if f.span.end_line == f.span.line
            else (len(src.rstrip()) - start)
        )
        width = max(1, min(width, max(len(src.rstrip()) - start, 1)))
        lines.append(f"{pad} {style.cyan('|')}")
        lines.append(f"{style.cyan(gutter)} {style.cyan('|')} {src}")
        lines.append(f"{pad} {style.cyan('|')} {' ' * start}{sev('^' * width)}")
        lines.append(f"{pad} {style.cyan('=')} {style.bold('help')}: {f.help}")
    else:
        lines.append(f"  = help: {f.help}")
    return "\n".join(lines)


def render_check(
    report: CheckReport, *, color: bool = False, show_source: bool = True, statistics: bool = False
) -> str:
    style = Style(color)
    out: list[str] = []
    for err in report.errors:
        where = err.path
        if err.line is not None:
            where += f":{err.line}:{err.column or 1}"
        out.append(f"{style.bold(where)}: {style.red('error')}: {err.message}")
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
    findings = report.findings
    nfiles = len(report.files)
    files = f"{nfiles} file" + ("" if nfiles == 1 else "s")
    errors = report.errors
    err = (
        f", {len(errors)} file" + (" " if len(errors) == 1 else "s ") + "not checked"
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
