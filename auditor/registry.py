"""The rule catalogue: discovery of rule classes and selection by code, prefix or name."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from functools import cache

from auditor.engine import Rule


class UnknownRuleError(ValueError):
    pass


@cache
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class shipped in `auditor.rules`, sorted by code."""
    package = importlib.import_module("auditor.rules")
    found: dict[str, type[Rule]] = {}
    for info in pkgutil.walk_packages(package.__path__, prefix="auditor.rules."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and getattr(value, "META", None) is not None
                and value.__module__ == module.__name__
            ):
                found[value.META.code] = value
    return tuple(found[c] for c in sorted(found))


def find_rule(selector: str) -> type[Rule]:
    for rule in all_rules():
        if selector.upper() == rule.META.code or selector == rule.META.name:
            return rule
    raise UnknownRuleError(f"unknown rule `{selector}` (see `benchaudit rules`)")


def _matches(rule: type[Rule], selector: str) -> bool:
    if selector.upper() == "ALL":
        return True
    if selector == rule.META.name:
        return True
    return rule.META.code.startswith(selector.upper()) and selector.upper().startswith("BA")


def validate_selectors(selectors: Sequence[str]) -> None:
    for s in selectors:
        if not any(_matches(r, s) for r in all_rules()):
            raise UnknownRuleError(f"unknown rule selector `{s}` (see `benchaudit rules`)")


def select_rules(
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    extend_select: Sequence[str] = (),
) -> list[type[Rule]]:
    """Rules enabled by default, or by `select`, plus `extend_select`, minus `ignore`."""
    validate_selectors([*(select or ()), *ignore, *extend_select])
    rules = all_rules()
    if select:
        chosen = [r for r in rules if any(_matches(r, s) for s in select)]
    else:
        chosen = [r for r in rules if r.META.default_enabled]
    chosen += [r for r in rules if any(_matches(r, s) for s in extend_select) and r not in chosen]
    return [r for r in chosen if not any(_matches(r, s) for s in ignore)]
