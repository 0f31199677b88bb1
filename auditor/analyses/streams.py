"""CUDA streams: which stream an event is recorded on and which stream timed work runs on.

A call runs on the stream of the innermost enclosing `with torch.cuda.stream(s):` of its
function, else on the stream its caller was on (the current stream, `None` here). A call of a
function defined in this file or a sibling module runs its work on the streams that function
names, with its own unnamed stream replaced by the caller's. `event.record()` records on the
current stream, `event.record(s)` on `s`. Streams are compared by their spelling (`side`,
`self.stream`); `torch.cuda.current_stream()` and `default_stream()` are the current stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.facts import CallSite, FileFacts, Pos, Scope

STREAM_CONTEXTS = frozenset({"torch.cuda.stream", "torch.cuda.StreamContext", "torch.cuda.Stream"})
CURRENT = frozenset({"torch.cuda.current_stream", "torch.cuda.default_stream"})
Stream = str | None  #: a stream's spelling; None is the current (by default the default) stream


@dataclass(frozen=True, slots=True)
class StreamMismatch:
    work: CallSite  # timed work issued on another stream than the events
    work_stream: str
    event_stream: Stream


def stream_of(facts: FileFacts, call: CallSite) -> Stream:
    """The stream named by the innermost `with torch.cuda.stream(...)` around a call."""
    for anc in facts.ancestors(call.node):
        if anc is call.scope.node:
            break
        if isinstance(anc, cst.With):
            for item in anc.items:
                if isinstance(item.item, cst.Call) and facts.qnames_of(item.item.func) & (
                    STREAM_CONTEXTS
                ):
                    return _spelling(facts, item.item.args[0].value if item.item.args else None)
    return None


def record_stream(facts: FileFacts, record: CallSite) -> Stream:
    if record.node.args:
        return _spelling(facts, record.node.args[0].value)
    return stream_of(facts, record)


def _spelling(facts: FileFacts, expr: cst.BaseExpression | None) -> Stream:
    if expr is None:
        return None
    if isinstance(expr, cst.Call) and facts.qnames_of(expr.func) & CURRENT:
        return None
    return N.dotted(expr) or N.code(expr)


def work_streams(facts: FileFacts, call: CallSite, depth: int = 0) -> list[tuple[CallSite, Stream]]:
    """The device work a call issues, each with its stream (following local functions)."""
    here = stream_of(facts, call)
    kind = facts.kind(call)
    target = facts.callee(call.scope, call.node.func, call.start)
    if target is not None and depth < 4:
        owner, scope = target
        out: list[tuple[CallSite, Stream]] = []
        for inner in scope.calls:
            for _work, stream in work_streams(owner, inner, depth + 1):
                out.append((call, stream if stream is not None else here))
        return out
    return [(call, here)] if kind.work else []


def mismatched_streams(
    facts: FileFacts, calls: list[CallSite], start: CallSite, end: CallSite
) -> StreamMismatch | None:
    """Work between two records that runs on a stream the end event does not wait for."""
    event_stream = record_stream(facts, end)
    if record_stream(facts, start) != event_stream:
        first = next((c for c in calls if facts.kind(c).work), None)
        if first is not None:
            return StreamMismatch(
                first, record_stream(facts, start) or "the current stream", event_stream
            )
    for call in calls:
        for work, stream in work_streams(facts, call):
            if stream == event_stream:
                continue
            if _joined(facts, call.scope, stream, event_stream, work.end, end.start):
                continue
            return StreamMismatch(work, stream or "the current stream", event_stream)
    return None


def _joined(
    facts: FileFacts, scope: Scope, stream: Stream, event_stream: Stream, after: Pos, before: Pos
) -> bool:
    """The event's stream waits for the work's stream, or the host synchronises, in between."""
    for c in scope.calls:
        if not (after <= c.start and c.end <= before):
            continue
        name = N.call_name(c.node)
        if name == "synchronize" and (
            facts.qnames_of(c.node.func) & N.EXPLICIT_SYNCS
            or N.dotted(N.receiver(c.node)) == stream
        ):
            return True
        if name in ("wait_stream", "wait_event") and c.node.args:
            waiter = N.receiver(c.node)
            waiter_stream = _spelling(facts, waiter)
            if waiter_stream == event_stream and _spelling(facts, c.node.args[0].value) == stream:
                return True
    return False
