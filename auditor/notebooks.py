"""Jupyter notebooks (.ipynb): their code cells checked as one script, findings given by cell.

The code cells are joined in order into one module, so a timer started in one cell and read in
another is seen as it runs. IPython syntax that is not Python is neutralised line for line, so
that every line keeps its number: a line magic (`%timeit ...`), a shell escape (`!pip ...`,
`files = !ls`) or a help query (`obj?`) becomes `pass` at the same indentation, and a cell magic
(`%%bash`, `%%time`, ...) blanks its whole cell. Locations are then given as the cell (1-based
among *all* cells, markdown included, as Jupyter shows them) and the line within it.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, replace

from auditor import record
from auditor.core import Edit, FileError, FileResult, Finding, Related, Span

#: A line IPython rewrites before Python sees it: `%magic`, `!shell`, `x = !cmd`, `x = %magic`,
#: `?obj`, `obj?`.
_IPYTHON_LINE = re.compile(
    r"^\s*(?:[%!?]|[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*[%!])|^[^#'\"]*[\w)\]]\?\??\s*$"
)


class NotebookError(ValueError):
    """Not a notebook this checker can read (bad JSON, not nbformat 4)."""


@dataclass(frozen=True, slots=True)
class CellSpan:
    cell: int  #: 1-based among all cells
    first_line: int  #: 1-based line of the joined source where the cell starts
    lines: int


@dataclass(frozen=True, slots=True)
class Notebook:
    source: str  # the code cells joined, IPython syntax neutralised
    cells: tuple[CellSpan, ...]  # code cells only, in order

    def locate(self, line: int) -> tuple[int, int]:
        """(cell, line within the cell) of a line of the joined source (both 1-based)."""
        if not self.cells:
            return 1, line
        starts = [c.first_line for c in self.cells]
        index = max(bisect.bisect_right(starts, line) - 1, 0)
        span = self.cells[index]
        # Past the end of the last cell (an error at end of file): the cell's last line + 1.
        return span.cell, min(line - span.first_line + 1, span.lines + 1)


def read_notebook(data: bytes) -> Notebook:
    """Parse an .ipynb file's bytes. Raises `NotebookError`."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise NotebookError(f"not a notebook: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        raise NotebookError("not a notebook: no `cells` list (only nbformat 4 is read)")
    if not _is_python(document.get("metadata")):
        return Notebook("", ())
    parts: list[str] = []
    spans: list[CellSpan] = []
    line = 1
    for number, cell in enumerate(document["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            raise NotebookError(f"cell {number}: `source` is not text")
        lines = neutralise(source.splitlines())
        spans.append(CellSpan(number, line, len(lines)))
        parts.extend(text + "\n" for text in lines)
        line += len(lines)
    return Notebook("".join(parts), tuple(spans))


def _is_python(metadata: object) -> bool:
    if not isinstance(metadata, dict):
        return True
    for key in ("language_info", "kernelspec"):
        info = metadata.get(key)
        if isinstance(info, dict) and isinstance(info.get("language"), str):
            return info["language"].lower() in ("python", "python3", "ipython")
        if isinstance(info, dict) and isinstance(info.get("name"), str) and key == "language_info":
            return info["name"].lower() in ("python", "ipython")
    return True


def neutralise(lines: list[str]) -> list[str]:
    """IPython-only lines replaced by `pass` (same indentation), a cell magic's cell blanked.
    Only a line that starts a logical line counts: not one inside brackets, a triple-quoted
    string or after a backslash (`% b` continuing `(a` is Python)."""
    first = next((text for text in lines if text.strip()), "")
    if first.lstrip().startswith("%%"):
        return [""] * len(lines)
    out: list[str] = []
    state = _Scan()
    magic_continues = False  # the previous IPython line ended with a backslash
    for text in lines:
        if magic_continues:
            out.append("")
            magic_continues = text.rstrip().endswith("\\")
            continue
        if state.at_line_start() and _IPYTHON_LINE.match(text):
            indent = text[: len(text) - len(text.lstrip())]
            out.append(indent + "pass")
            magic_continues = text.rstrip().endswith("\\")
            continue
        out.append(text)
        state.feed(text)
    return out


class _Scan:
    """Just enough of Python's tokenizer to know whether a line starts a logical line."""

    def __init__(self) -> None:
        self.quote: str | None = None  # an open triple quote
        self.depth = 0  # open brackets
        self.backslash = False

    def at_line_start(self) -> bool:
        return self.quote is None and self.depth == 0 and not self.backslash

    def feed(self, text: str) -> None:
        i, n = 0, len(text)
        self.backslash = False
        while i < n:
            if self.quote is not None:
                end = text.find(self.quote, i)
                if end < 0:
                    return
                i, self.quote = end + 3, None
                continue
            char = text[i]
            if char == "#":
                return
            if text.startswith(('"""', "'''"), i):
                self.quote = text[i : i + 3]
                i += 3
            elif char in "'\"":
                end = text.find(char, i + 1)
                while end > 0 and text[end - 1] == "\\":
                    end = text.find(char, end + 1)
                i = n if end < 0 else end + 1
            else:
                if char in "([{":
                    self.depth += 1
                elif char in ")]}" and self.depth:
                    self.depth -= 1
                elif char == "\\" and i == n - 1:
                    self.backslash = True
                i += 1


def to_cells(result: FileResult, notebook: Notebook) -> FileResult:
    """A result on the joined source, with every location given by cell and line."""
    findings = tuple(_finding(f, notebook) for f in result.findings)
    error = result.error
    if error is not None and error.line is not None:
        cell, line = notebook.locate(error.line)
        error = record.replace(error, line=line, cell=cell)
    return record.replace(result, findings=findings, error=error)


def _span(span: Span, notebook: Notebook) -> tuple[int, Span]:
    cell, line = notebook.locate(span.line)
    end_cell, end_line = notebook.locate(span.end_line)
    if end_cell != cell:  # a span running into the next cell stops at the end of its own
        end_line, end_column = line, span.column + 1
        return cell, Span(line, span.column, end_line, end_column)
    return cell, Span(line, span.column, end_line, span.end_column)


def _finding(finding: Finding, notebook: Notebook) -> Finding:
    cell, span = _span(finding.span, notebook)
    related = tuple(
        Related(s, r.message, c) for r in finding.related for c, s in [_span(r.span, notebook)]
    )
    fix = finding.fix
    if fix is not None:
        edits = [(_span(e.span, notebook), e.content) for e in fix.edits]
        if all(c == cell for (c, _), _ in edits):
            fix = replace(fix, edits=tuple(Edit(s, content) for (_, s), content in edits))
        else:  # a fix that edits several cells cannot be expressed per cell
            fix = None
    return replace(finding, span=span, related=related, fix=fix, cell=cell)


def error_at(path: str, exc: NotebookError) -> FileError:
    return FileError(path, "parse-error", str(exc))
