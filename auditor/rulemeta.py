"""A rule's catalogue entry: its code, name, message, documentation and options.

Apart from `auditor.core` so that a run that analyses nothing never builds these classes; the
rules, the reporters and the documentation import them from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.core import Category, Severity


@dataclass(frozen=True, slots=True)
class RuleDocs:
    what_it_does: str
    why_is_this_bad: str
    example: str  # flagged code; the catalogue test checks that it is flagged
    use_instead: str  # clean code; the catalogue test checks that it is not flagged
    known_problems: str = ""
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleMeta:
    code: str
    name: str  # kebab-case, names the pattern
    summary: str
    category: Category
    severity: Severity
    message: str  # the template, with {placeholders}
    fix_title: str  # the remedy shown as help
    docs: RuleDocs
    default_enabled: bool = True
    # Per-rule options a user may set under [tool.benchaudit.rules.<name>], with defaults.
    options: tuple[tuple[str, Any], ...] = ()
