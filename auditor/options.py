"""What a check of one group of files is configured with: rule codes, their options, model
paths, per-file ignores. Rules are named by code; their classes (and libcst) are imported only
when a file is analysed (`CheckOptions.rules`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auditor.project import ProjectCache
from auditor.record import field, record

if TYPE_CHECKING:
    from auditor.engine import Rule


@record(frozen=True)
class CheckOptions:
    #: the codes of the enabled rules (`registry.select_codes`)
    codes: tuple[str, ...]
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    model_paths: dict[str, str] = field(default_factory=dict)
    # path -> codes/names to ignore for it (already matched from per-file-ignores)
    extra_ignores: dict[str, frozenset[str]] = field(default_factory=dict)
    #: sibling modules parsed for cross-module analysis, shared by the files of one run
    project_cache: ProjectCache = field(default_factory=ProjectCache, compare=False)
    #: skip files that cannot have a finding (`screen.py`); off: analyse every file
    screen: bool = True

    @property
    def rules(self) -> tuple[type[Rule], ...]:
        """The enabled rule classes (imports them)."""
        from auditor.registry import rule_classes

        return rule_classes(self.codes)
