"""Intervals read from the wall clock (`time.time()`), and when they can move to a monotonic one.

An interval is read from the wall clock when the closing read of a timed region (a subtraction
of two reads, a timing helper's closing read, or a read whose start another method stored) is
`time.time()` or `time.time_ns()` under any alias. Rewriting both reads to
`time.perf_counter()` is safe when each read is only ever used in such subtractions: a start
value also logged as a timestamp would change meaning, so then no rewrite is offered.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.facts import CallSite, FileFacts, Scope
from auditor.analyses.regions import Region, RegionKind

WALL_CLOCKS = {"time.time": "time.perf_counter", "time.time_ns": "time.perf_counter_ns"}


@dataclass(frozen=True, slots=True)
class Rewrite:
    """Replace `node` (a Name or an Attribute's attribute name) with `text`."""

    node: cst.CSTNode
    text: str


def wall_clock_regions(facts: FileFacts, regions: list[Region]) -> list[Region]:
    """Regions whose closing read, in this file, is a wall-clock read (one per closing read)."""
    seen: set[int] = set()
    out: list[Region] = []
    for region in regions:
        if region.foreign or region.clock not in WALL_CLOCKS:
            continue
        if region.kind in (RegionKind.EVENT, RegionKind.PAIR) or id(region.end_node) in seen:
            continue
        seen.add(id(region.end_node))
        out.append(region)
    return out


def perf_counter_rewrites(facts: FileFacts, region: Region) -> list[Rewrite] | None:
    """The rewrites that move both reads of a host region to the monotonic clock, or None when
    that is not known to be safe."""
    if region.kind is not RegionKind.HOST:
        return None
    reads = [facts.site_of(region.start_node), facts.site_of(region.end_node)]
    out: list[Rewrite] = []
    for read in reads:
        if read is None or read.scope is not region.scope or not _only_subtracted(facts, read):
            return None
        rewrite = _rewrite(facts, read)
        if rewrite is None:
            return None
        out.append(rewrite)
    return out


def _rewrite(facts: FileFacts, read: CallSite) -> Rewrite | None:
    qn = read.qnames & set(WALL_CLOCKS)
    if len(qn) != 1:
        return None
    target = WALL_CLOCKS[next(iter(qn))].split(".")[1]
    func = read.node.func
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        if facts.qnames_of(func) and func.attr.value in ("time", "time_ns"):
            return Rewrite(func.attr, target)
    return None  # `from time import time`: the name would need a new import


def _only_subtracted(facts: FileFacts, read: CallSite) -> bool:
    """The read is an operand of a subtraction, or assigned to a name whose every use is."""
    parent = facts.parents.get(read.node)
    if isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Subtract):
        return True
    if not isinstance(parent, cst.Assign) or len(parent.targets) != 1:
        return False
    target = parent.targets[0].target
    if not isinstance(target, cst.Name):
        return False
    uses = _loads(read.scope, target.value)
    return bool(uses) and all(
        isinstance(p := facts.parents.get(u), cst.BinaryOperation)
        and isinstance(p.operator, cst.Subtract)
        for u in uses
    )


def _loads(scope: Scope, name: str) -> list[cst.Name]:
    """Reads of `name` in the scope's own code (assignment targets excluded)."""
    found: list[cst.Name] = []
    targets: set[int] = set()

    class V(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is scope.node

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            if isinstance(node.target, cst.Name):
                targets.add(id(node.target))

        def visit_Name(self, node: cst.Name) -> None:
            if node.value == name and id(node) not in targets:
                found.append(node)

    scope.node.visit(V())
    return [n for n in found if id(n) not in targets and N.dotted(n) == name]
