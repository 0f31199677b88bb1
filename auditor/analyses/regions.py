"""Timed regions: the code between two reads of a host timer, or two recorded CUDA events.

A region is found where its two ends meet: a subtraction of two timer reads (`time.perf_counter()
- t0`, `t1 - t0`, through local helpers that return a timer read), a `with` block of a local
`@contextmanager` whose body sits between two timer reads around its `yield`, or
`start.elapsed_time(end)` on CUDA events. Each region knows its scope and the source range whose
calls it times, so rules ask one question: which calls ran between the ends, in which order.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.facts import CallSite, FileFacts, Pos, Scope


class RegionKind(StrEnum):
    HOST = "host"  # two host-clock reads
    CONTEXT = "context"  # a local context manager that reads the clock around `yield`
    EVENT = "event"  # CUDA events and elapsed_time()


@dataclass(frozen=True, eq=False, slots=True)
class Region:
    kind: RegionKind
    scope: Scope
    content_start: Pos  # calls that start at or after this are inside
    content_end: Pos  # calls that end at or before this are inside
    start_node: cst.CSTNode  # the read (or record, or `with`) that opens the region
    end_node: cst.CSTNode  # the read (or elapsed_time) that closes it
    timer: str  # qualified clock name, "cuda-event", or the helper's name
    end_synced: bool = False  # the closing read synchronises itself (a helper that syncs)
    helper: Scope | None = None  # the context manager's scope, for CONTEXT regions
    helper_tail: tuple[Pos, Pos] | None = None  # in the helper: from `yield` to the end read

    def calls(self) -> list[CallSite]:
        return sorted(
            self.scope.calls_between(self.content_start, self.content_end), key=lambda c: c.end
        )

    def loops(self, facts: FileFacts) -> tuple[cst.CSTNode, ...]:
        """Loops of the scope that enclose the whole region."""
        start_call = self._anchor_call()
        return start_call.loops if start_call is not None else ()

    def _anchor_call(self) -> CallSite | None:
        for c in self.scope.calls:
            if c.node is self.start_node:
                return c
        return None


def find_regions(facts: FileFacts) -> list[Region]:
    regions: list[Region] = []
    regions += _host_regions(facts)
    regions += _context_regions(facts)
    regions += _event_regions(facts)
    regions.sort(key=lambda r: (r.content_start, r.content_end))
    return regions


def _timer_call(
    facts: FileFacts, scope: Scope, expr: cst.BaseExpression, pos: Pos
) -> CallSite | None:
    """The timer read that `expr` is, or that the name `expr` was last assigned from."""
    if isinstance(expr, cst.Name):
        b = facts.binding_before(scope, expr.value, pos)
        if b is None or b.kind != "assign" or b.scope is not scope:
            return None
        expr = b.value  # type: ignore[assignment]
    if not isinstance(expr, cst.Call):
        return None
    for c in scope.calls:
        if c.node is expr and facts.kind(c).timer:
            return c
    return None


def _host_regions(facts: FileFacts) -> list[Region]:
    out: list[Region] = []
    seen: set[tuple[int, int]] = set()
    for scope in facts.scopes:
        for sub in facts.binary_operations(scope, cst.Subtract):
            start_pos, _ = facts.pos(sub)
            end = _timer_call(facts, scope, sub.left, start_pos)
            start = _timer_call(facts, scope, sub.right, start_pos)
            if end is None or start is None or not start.end <= end.start:
                continue
            key = (id(start.node), id(end.node))
            if key in seen:
                continue
            seen.add(key)
            end_kind = facts.kind(end)
            out.append(
                Region(
                    RegionKind.HOST,
                    scope,
                    start.end,
                    end.start,
                    start.node,
                    end.node,
                    end_kind.timer or "",
                    end_synced=end_kind.timer_synced,
                )
            )
    return out


def _context_regions(facts: FileFacts) -> list[Region]:
    out: list[Region] = []
    helpers: dict[str, tuple[Scope, Region]] = {}
    for region in _host_regions_of_contextmanagers(facts):
        assert region.helper is not None
        helpers[region.helper.name] = (region.helper, region)
    if not helpers:
        return out
    for scope in facts.scopes:
        for item_call in scope.calls:
            func = item_call.node.func
            if not (isinstance(func, cst.Name) and func.value in helpers):
                continue
            with_node = _enclosing_with(facts, item_call.node)
            if with_node is None:
                continue
            helper, inner = helpers[func.value]
            body_start, body_end = facts.pos(with_node.body)
            out.append(
                Region(
                    RegionKind.CONTEXT,
                    scope,
                    body_start,
                    body_end,
                    with_node,
                    inner.end_node,
                    inner.timer,
                    end_synced=inner.end_synced,
                    helper=helper,
                    helper_tail=inner.helper_tail,
                )
            )
    return out


def _host_regions_of_contextmanagers(facts: FileFacts) -> list[Region]:
    found: list[Region] = []
    for region in _host_regions(facts):
        scope = region.scope
        if not scope.yields or not any("contextmanager" in d for d in scope.decorators):
            continue
        inside = [y for y in scope.yields if region.content_start <= y <= region.content_end]
        if not inside:
            continue
        found.append(
            Region(
                RegionKind.HOST,
                scope,
                region.content_start,
                region.content_end,
                region.start_node,
                region.end_node,
                region.timer,
                end_synced=region.end_synced,
                helper=scope,
                helper_tail=(inside[-1], region.content_end),
            )
        )
    return found


def _enclosing_with(facts: FileFacts, call: cst.Call) -> cst.With | None:
    parent = facts.parents.get(call)
    if isinstance(parent, cst.WithItem):
        grand = facts.parents.get(parent)
        if isinstance(grand, cst.With):
            return grand
    return None


def _event_regions(facts: FileFacts) -> list[Region]:
    out: list[Region] = []
    for scope in facts.scopes:
        records = [c for c in scope.calls if N.call_name(c.node) == "record" and not c.node.args]
        for call in scope.calls:
            if N.call_name(call.node) != "elapsed_time" or not call.node.args:
                continue
            before = [r for r in records if r.end <= call.start]
            if len(before) < 2:
                continue
            recv = N.receiver(call.node)
            other = call.node.args[0].value
            end_rec = _last_record_of(before, other) or before[-1]
            start_rec = _last_record_of([r for r in before if r.end <= end_rec.start], recv)
            if start_rec is None:
                earlier = [r for r in before if r.end <= end_rec.start]
                if not earlier:
                    continue
                start_rec = earlier[-1]
            out.append(
                Region(
                    RegionKind.EVENT,
                    scope,
                    start_rec.end,
                    end_rec.start,
                    start_rec.node,
                    call.node,
                    "cuda-event",
                )
            )
    return out


def _last_record_of(records: list[CallSite], event: cst.BaseExpression | None) -> CallSite | None:
    key = N.dotted(event) if event is not None else None
    if key is None:
        return None
    matching = [r for r in records if N.dotted(N.receiver(r.node)) == key]
    return matching[-1] if matching else None


def event_sync_gap(facts: FileFacts, region: Region) -> tuple[Pos, Pos] | None:
    """For an event region: the span from the closing `record()` to `elapsed_time()`."""
    if region.kind is not RegionKind.EVENT:
        return None
    end_call = next(c for c in region.scope.calls if c.node is region.end_node)
    return region.content_end, end_call.start
