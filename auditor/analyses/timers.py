"""Timing contexts: helpers whose `with` block is the timed region.

A context timer is a `@contextmanager` function that reads a clock (or records a CUDA event)
before its `yield` and again after it, or a class whose `__enter__` stores a clock read on `self`
(or records an event) and whose `__exit__` reads the clock again and subtracts. Either may be
defined in the checked file or in a sibling module of the audited project
(`from timing_utils import Timer`), which is parsed, never run. Each timer says which clock it
reads and whether it synchronises between leaving the block and its closing read.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.facts import CallSite, FileFacts, Pos, Scope

EVENT_CLOCK = "cuda-event"


@dataclass(frozen=True, eq=False, slots=True)
class ContextTimer:
    name: str  # "timer", "CudaTimer", "Bench.timer"
    facts: FileFacts  # the module that defines it
    clock: str  # qualified host clock, or "cuda-event"
    start_node: cst.CSTNode  # the opening read or record, in the helper
    end_node: cst.CSTNode  # the closing read (or elapsed_time), in the helper
    end_synced: bool  # synchronises between leaving the block and the closing read
    helper: Scope  # the generator function, or `__exit__`
    tail: tuple[Pos, Pos]  # in the helper: from leaving the block to the closing read


def context_timers(facts: FileFacts) -> dict[str, ContextTimer]:
    """The context timers a module defines, by the name a `with` statement calls."""
    memo = facts.memo.get("context_timers")
    if memo is None:
        memo = {}
        facts.memo["context_timers"] = memo
        for scope in facts.scopes:
            if scope.yields and any("contextmanager" in d for d in scope.decorators):
                timer = _generator_timer(facts, scope)
                if timer is not None:
                    key = f"{scope.cls}.{scope.name}" if scope.cls else scope.name
                    memo[key] = timer
        for name, info in facts.classes.items():
            enter, exit_ = info.methods.get("__enter__"), info.methods.get("__exit__")
            if enter is not None and exit_ is not None:
                timer = _class_timer(facts, name, enter, exit_)
                if timer is not None:
                    memo[name] = timer
    result: dict[str, ContextTimer] = memo
    return result


def timer_of_with_item(
    facts: FileFacts, scope: Scope, item: cst.WithItem, pos: Pos
) -> ContextTimer | None:
    """The context timer a `with` item enters: `timer(...)`, `Timer(...)`, `self.timer(...)`, or
    a name bound to a timer instance."""
    expr = item.item
    if isinstance(expr, cst.Call):
        target = facts.callee(scope, expr.func, pos)
        if target is not None:
            owner, fn = target
            key = f"{fn.cls}.{fn.name}" if fn.cls else fn.name
            return context_timers(owner).get(key)
        cls = facts.class_named(expr.func)
        if cls is not None:
            return context_timers(cls[0]).get(cls[1].name)
        return None
    cls_of = facts.class_of(scope, expr, pos)
    if cls_of is not None:
        return context_timers(cls_of[0]).get(cls_of[1].name)
    return None


def _synced(facts: FileFacts, calls: list[CallSite], after: Pos, before: Pos) -> bool:
    return any(facts.kind(c).sync is not None and after < c.end <= before for c in calls)


def timer_read(
    facts: FileFacts,
    scope: Scope,
    expr: cst.BaseExpression,
    pos: Pos,
    attributes: bool = True,
) -> CallSite | None:
    """The clock read `expr` is, or that the name `expr` (or, with `attributes`, the attribute
    `self.t0`) was last assigned from in `scope`."""
    if isinstance(expr, cst.Name) or (attributes and isinstance(expr, cst.Attribute)):
        b = facts.binding_before(scope, N.dotted(expr) or "", pos)
        if b is None or b.kind != "assign" or b.value is None or b.scope is not scope:
            return None
        expr = b.value
    site = facts.site_of(expr) if isinstance(expr, cst.Call) else None
    return site if site is not None and site.scope is scope and facts.kind(site).timer else None


def _generator_timer(facts: FileFacts, scope: Scope) -> ContextTimer | None:
    first_yield, last_yield = min(scope.yields), max(scope.yields)
    for sub in facts.binary_operations(scope, cst.Subtract):
        pos, _ = facts.pos(sub)
        end = timer_read(facts, scope, sub.left, pos)
        start = timer_read(facts, scope, sub.right, pos)
        if end is None or start is None or not start.end <= first_yield <= end.start:
            continue
        clock = facts.kind(end).timer or ""
        synced = facts.kind(end).timer_synced or _synced(facts, scope.calls, last_yield, end.start)
        return ContextTimer(
            scope.name, facts, clock, start.node, end.node, synced, scope, (last_yield, end.start)
        )
    return _event_timer(facts, scope, scope, scope, first_yield, last_yield)


def _event_timer(
    facts: FileFacts, name_scope: Scope, start_scope: Scope, end_scope: Scope, first: Pos, last: Pos
) -> ContextTimer | None:
    """`start.record()` before the block, `end.record()` and `elapsed_time` after it."""
    starts = [c for c in start_scope.calls if N.call_name(c.node) == "record" and c.end <= first]
    ends = [c for c in end_scope.calls if N.call_name(c.node) == "record" and c.start >= last]
    reads = [c for c in end_scope.calls if N.call_name(c.node) == "elapsed_time"]
    if not starts or not ends or not reads:
        return None
    end_rec = ends[0]
    read = next((r for r in reads if r.start >= end_rec.end), None)
    if read is None:
        return None
    synced = _synced(facts, end_scope.calls, end_rec.end, read.start)
    name = f"{name_scope.cls}" if name_scope.name == "__exit__" else name_scope.name
    return ContextTimer(
        name,
        facts,
        EVENT_CLOCK,
        starts[-1].node,
        read.node,
        synced,
        end_scope,
        (end_rec.end, read.start),
    )


def _class_timer(facts: FileFacts, name: str, enter: Scope, exit_: Scope) -> ContextTimer | None:
    for sub in facts.binary_operations(exit_, cst.Subtract):
        pos, _ = facts.pos(sub)
        end = timer_read(facts, exit_, sub.left, pos)
        key = N.dotted(sub.right)
        if end is None or key is None or not key.startswith("self."):
            continue
        stored = [b for b in enter.bindings if b.target == key and b.kind == "assign"]
        start = (
            timer_read(facts, enter, stored[-1].value, stored[-1].end)
            if stored and stored[-1].value is not None
            else None
        )
        if start is None:
            continue
        body_start = _body_start(facts, exit_)
        synced = facts.kind(end).timer_synced or _synced(facts, exit_.calls, body_start, end.start)
        return ContextTimer(
            name,
            facts,
            facts.kind(end).timer or "",
            start.node,
            end.node,
            synced,
            exit_,
            (body_start, end.start),
        )
    enter_end = facts.pos(enter.node)[1]
    exit_start = _body_start(facts, exit_)
    return _event_timer(facts, exit_, enter, exit_, enter_end, exit_start)


def _body_start(facts: FileFacts, scope: Scope) -> Pos:
    node = scope.node
    return facts.pos(node.body if isinstance(node, cst.FunctionDef) else node)[0]
