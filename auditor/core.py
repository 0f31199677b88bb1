"""Core value types shared by the engine, the rules, the reporters and the verifier.

Everything here is plain data: no libcst nodes, no torch objects, so findings serialise, cache
and cross process boundaries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.evidence import Evidence

#: The code of the rule that reports suppression comments that suppress nothing.
UNUSED_SUPPRESSION = "BA001"


class Severity(StrEnum):
    """How far a flaw can move a reported number."""

    ERROR = "error"  # can move a speedup by 2x or more
    WARNING = "warning"  # distorts absolute numbers or a ratio by a few percent to tens
    INFO = "info"


class Category(StrEnum):
    META = "meta"  # BA0xx: the checker's own diagnostics
    TIMING = "timing"  # BA1xx: how time is read
    WORKLOAD = "workload"  # BA2xx: what work is timed
    STATISTICS = "statistics"  # BA3xx: how numbers are combined


class Applicability(StrEnum):
    SAFE = "safe"
    UNSAFE = "unsafe"


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


@dataclass(frozen=True, slots=True)
class FileError:
    """A file that could not be audited (unreadable, not UTF-8, syntax error)."""

    path: str
    kind: str  # "parse-error" | "read-error" | "internal-error"
    message: str
    line: int | None = None  #: 1-based
    column: int | None = None  #: 1-based
    cell: int | None = None  #: in a notebook, the cell `line` counts in (as `Finding.cell`)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "kind": self.kind,
            "message": self.message,
            "line": self.line,
            "column": self.column,
        }
        if self.cell is not None:
            data["cell"] = self.cell
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FileError:
        return cls(
            data["path"],
            data["kind"],
            data["message"],
            data.get("line"),
            data.get("column"),
            data.get("cell"),
        )


@dataclass(frozen=True, slots=True)
class FileResult:
    path: str
    findings: tuple[Finding, ...] = ()
    error: FileError | None = None


@dataclass(slots=True)
class CheckReport:
    """The result of one `benchaudit check` run."""

    files: list[FileResult] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return sorted((f for r in self.files for f in r.findings), key=lambda f: f.sort_key)

    @property
    def errors(self) -> list[FileError]:
        return sorted((r.error for r in self.files if r.error), key=lambda e: e.path)
