"""Synchronisation points, explicit and implicit, and what work they cover.

A call synchronises when it is `torch.cuda.synchronize()` (any alias), `event.synchronize()` or
`stream.synchronize()`, a host copy (`.cpu()`, `.item()`, `.numpy()`, `.tolist()`), a pipeline call
that returns PIL images or numpy arrays, `generate()`, or a local function that ends with one of
these after its last device work. Order is source order by where a call *ends*, so
`model(x).cpu()` counts as work followed by a sync.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.analyses.facts import CallSite, FileFacts, Pos
from auditor.analyses.regions import Region, RegionKind


@dataclass(frozen=True, slots=True)
class SyncVerdict:
    work: CallSite | None  # the last device work in the region (None: no device work)
    synced: bool  # that work is covered by a sync before the region closes


def synced_between(facts: FileFacts, calls: list[CallSite], after: Pos, before: Pos) -> bool:
    return any(facts.kind(c).sync is not None and c.end > after and c.end <= before for c in calls)


def region_sync(facts: FileFacts, region: Region) -> SyncVerdict:
    """Is the device work a region times finished when the region's closing read happens?"""
    calls = region.calls()
    work = [c for c in calls if facts.kind(c).work]
    if not work:
        return SyncVerdict(None, True)
    last = max(work, key=lambda c: c.end)
    if region.end_synced or region.kind is RegionKind.EVENT:
        # Events need a sync between the closing record() and elapsed_time(); checked apart.
        return SyncVerdict(last, True)
    uncovered = [w for w in work if not _covered(facts, region, calls, w)]
    if not uncovered:
        return SyncVerdict(last, True)
    last = max(uncovered, key=lambda c: c.end)
    if region.kind is RegionKind.CONTEXT and region.helper is not None and region.helper_tail:
        tail_start, tail_end = region.helper_tail
        if synced_between(facts, region.helper.calls, tail_start, tail_end):
            return SyncVerdict(last, True)
    return SyncVerdict(last, False)


def _covered(facts: FileFacts, region: Region, calls: list[CallSite], work: CallSite) -> bool:
    """Work is covered when it syncs itself, or a later sync in the region runs on every path
    that runs the work (a sync in the other branch of an `if` does not count)."""
    if facts.kind(work).sync is not None:
        return True
    branches = facts.branches(work.node, region.scope)
    return any(
        facts.kind(c).sync is not None
        and work.end < c.end <= region.content_end
        and facts.branches(c.node, region.scope) <= branches
        for c in calls
    )


def event_read_synced(facts: FileFacts, region: Region) -> bool:
    """For CUDA events: is there a sync between the closing `record()` and `elapsed_time()`?"""
    end_call = next(c for c in region.scope.calls if c.node is region.end_node)
    return synced_between(facts, region.scope.calls, region.content_end, end_call.start)
