"""Core value types shared by the engine, the rules, the reporters and the verifier.

Everything here is plain data: no libcst nodes, no torch objects, so findings serialise, cache
and cross process boundaries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from auditor.kinds import Applicability as Applicability
from auditor.kinds import Category as Category
from auditor.kinds import Severity as Severity
from auditor.record import field, record

if TYPE_CHECKING:  # re-exported: `from auditor.core import Finding` as before
    from auditor.findings import Edit as Edit
    from auditor.findings import Finding as Finding
    from auditor.findings import Fix as Fix
    from auditor.findings import Related as Related
    from auditor.findings import Span as Span

#: Names defined in `auditor.findings`, imported from there on first use (`from auditor.core
#: import Finding` works as before; a run that reports nothing never loads them).
_FINDINGS = frozenset({"Span", "Edit", "Fix", "Related", "Finding"})


def __getattr__(name: str) -> Any:
    if name in _FINDINGS:
        from auditor import findings

        return getattr(findings, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: The code of the rule that reports suppression comments that suppress nothing.
UNUSED_SUPPRESSION = "BA001"


@record(frozen=True)
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


@record(frozen=True)
class FileResult:
    path: str
    findings: tuple[Finding, ...] = ()
    error: FileError | None = None


@record
class CheckReport:
    """The result of one `benchaudit check` run."""

    files: list[FileResult] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return sorted((f for r in self.files for f in r.findings), key=lambda f: f.sort_key)

    @property
    def errors(self) -> list[FileError]:
        return sorted((r.error for r in self.files if r.error), key=lambda e: e.path)
