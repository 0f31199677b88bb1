"""The rule catalogue: selection by code, prefix or name, and the rule classes themselves.

Selection reads `auditor.rules.CATALOGUE` (codes, names, defaults) and imports no rule: a run
that screens every file out never imports libcst. `rule_classes` imports the modules of the
rules asked for, when a file is analysed.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING

from auditor.rules import CATALOGUE, Entry

if TYPE_CHECKING:
    from auditor.engine import Rule

#: code -> its catalogue entry
BY_CODE = {e.code: e for e in CATALOGUE}


class UnknownRuleError(ValueError):
    pass


def _load(entry: Entry) -> type[Rule]:
    module = importlib.import_module(f"auditor.rules.{entry.module}")
    rule: type[Rule] = getattr(module, entry.cls)
    return rule


@cache
def _classes(codes: tuple[str, ...]) -> tuple[type[Rule], ...]:
    return tuple(_load(BY_CODE[c]) for c in codes)


def rule_classes(codes: Iterable[str]) -> tuple[type[Rule], ...]:
    """The rule classes of `codes` (catalogue codes), in the order given; imports them."""
    codes = tuple(codes)
    unknown = [c for c in codes if c not in BY_CODE]
    if unknown:
        raise UnknownRuleError(f"unknown rule `{unknown[0]}` (see `benchaudit rules`)")
    return _classes(codes)


def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class shipped in `auditor.rules`, sorted by code."""
    return rule_classes(sorted(BY_CODE))


def find_entry(selector: str) -> Entry:
    for entry in CATALOGUE:
        if selector.upper() == entry.code or selector == entry.name:
            return entry
    raise UnknownRuleError(f"unknown rule `{selector}` (see `benchaudit rules`)")


def find_rule(selector: str) -> type[Rule]:
    return rule_classes([find_entry(selector).code])[0]


def _matches(entry: Entry, selector: str) -> bool:
    if selector.upper() == "ALL":
        return True
    if selector == entry.name:
        return True
    return entry.code.startswith(selector.upper()) and selector.upper().startswith("BA")


def validate_selectors(selectors: Sequence[str]) -> None:
    for s in selectors:
        if not any(_matches(e, s) for e in CATALOGUE):
            raise UnknownRuleError(f"unknown rule selector `{s}` (see `benchaudit rules`)")


def select_codes(
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    extend_select: Sequence[str] = (),
) -> tuple[str, ...]:
    """The codes of the rules enabled by default, or by `select`, plus `extend_select`, minus
    `ignore`, in code order; imports no rule."""
    validate_selectors([*(select or ()), *ignore, *extend_select])
    entries = sorted(CATALOGUE, key=lambda e: e.code)
    if select:
        chosen = [e for e in entries if any(_matches(e, s) for s in select)]
    else:
        chosen = [e for e in entries if e.default_enabled]
    chosen += [e for e in entries if any(_matches(e, s) for s in extend_select) and e not in chosen]
    return tuple(sorted(e.code for e in chosen if not any(_matches(e, s) for s in ignore)))
