"""Findings and file errors: what a check reports, as plain data.

Kept apart from `auditor.core` (which re-exports every name here) so that a run with nothing
to report never builds these dataclasses: a file with no timing code is screened out before
any of them is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auditor.kinds import Applicability, Severity

if TYPE_CHECKING:
    from auditor.evidence import Evidence


@dataclass(frozen=True, slots=True)
class Span:
    line: int  #: 1-based
    column: int  #: 1-based
    end_line: int  #: 1-based
    end_column: int  #: 1-based, exclusive


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text in `span` with `content` (an empty span inserts)."""

    span: Span
    content: str


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    applicability: Applicability
    edits: tuple[Edit, ...]


@dataclass(frozen=True, slots=True)
class Related:
    """A second location that explains a finding (the timer start, the other arm)."""

    span: Span
    message: str
    cell: int | None = None  #: notebook cell of `span`, 1-based among all cells; None in a .py


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    name: str
    path: str  # as given on the command line, with forward slashes
    span: Span
    severity: Severity
    message: str
    help: str  # the remedy, one line
    source_line: str = ""  # the first offending line, for reports
    fix: Fix | None = None
    related: tuple[Related, ...] = ()
    #: The rule's facts as data (the loop, the step sources, the units): what the verifier
    #: prices. None where the rule records none.
    evidence: Evidence | None = None
    #: In a notebook (.ipynb): the cell, 1-based among all cells (markdown ones included, as
    #: Jupyter numbers them), and `span` is relative to that cell. None in a .py file.
    cell: int | None = None

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    @property
    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.path, self.cell or 0, self.span.line, self.span.column, self.code)

    def fingerprint(self) -> str:
        """Stable across unrelated line shifts: rule, file, and the offending line's text."""
        import hashlib

        basis = f"{self.code}\0{self.path}\0{self.source_line.strip()}"
        # surrogateescape: a file name that is not UTF-8 holds lone surrogates
        return hashlib.sha256(basis.encode("utf-8", "surrogateescape")).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "path": self.path,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "severity": str(self.severity),
            "message": self.message,
            "help": self.help,
            "source_line": self.source_line,
            "fingerprint": self.fingerprint(),
            "fix": None,
            "related": [_related_dict(r) for r in self.related],
            "evidence": self.evidence.to_dict() if self.evidence is not None else None,
        }
        if self.cell is not None:
            data["cell"] = self.cell
        if self.fix is not None:
            data["fix"] = {
                "title": self.fix.title,
                "applicability": str(self.fix.applicability),
                "edits": [
                    {
                        "line": e.span.line,
                        "column": e.span.column,
                        "end_line": e.span.end_line,
                        "end_column": e.span.end_column,
                        "content": e.content,
                    }
                    for e in self.fix.edits
                ],
            }
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """The inverse of `to_dict` (the fingerprint is derived, so it is not read back)."""
        from auditor.evidence import evidence_from_dict

        fix = data.get("fix")
        return cls(
            code=data["code"],
            name=data["name"],
            path=data["path"],
            span=_span(data),
            severity=Severity(data["severity"]),
            message=data["message"],
            help=data["help"],
            source_line=data.get("source_line", ""),
            fix=None
            if fix is None
            else Fix(
                title=fix["title"],
                applicability=Applicability(fix["applicability"]),
                edits=tuple(Edit(_span(e), e["content"]) for e in fix["edits"]),
            ),
            related=tuple(
                Related(_span(r), r["message"], r.get("cell")) for r in data.get("related", ())
            ),
            evidence=evidence_from_dict(data.get("evidence")),
            cell=data.get("cell"),
        )


def _span(data: Mapping[str, Any]) -> Span:
    line, column = data["line"], data["column"]
    return Span(line, column, data.get("end_line", line), data.get("end_column", column))


def _related_dict(related: Related) -> dict[str, Any]:
    data: dict[str, Any] = {
        "line": related.span.line,
        "column": related.span.column,
        "end_line": related.span.end_line,
        "end_column": related.span.end_column,
        "message": related.message,
    }
    if related.cell is not None:
        data["cell"] = related.cell
    return data
