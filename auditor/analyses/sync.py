"""Synchronisation points, explicit and implicit, and what work they cover.

A call synchronises when it is `torch.cuda.synchronize()` (any alias), `event.synchronize()` or
`stream.synchronize()`, a host copy (`.cpu()`, `.item()`, `.numpy()`, `.tolist()`), a pipeline call
that returns PIL images or numpy arrays, `generate()`, a model call whose result is read as
generated text (`out[0]["generated_text"]`), or a local function that ends with one of
these after its last device work. Order is source order by where a call *ends*, so
`model(x).cpu()` counts as work followed by a sync.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.facts import CallSite, FileFacts, Pos, Scope, is_cuda_guard
from auditor.analyses.regions import Region, RegionKind, importer_uses
from auditor.analyses.timers import ContextTimer, context_timers


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
    if _on_the_host_path(facts, region):
        return SyncVerdict(last, True)  # `if device == "cuda": ... else: t0 = ...`: the CPU path
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


def _on_the_host_path(facts: FileFacts, region: Region) -> bool:
    """The region sits in the `else` of a CUDA check (`if device == "cuda": <events> else:
    <host timer>`), or in a function every call of which in this file does
    (`_ms_per_iter_cpu(run_once, ...)` in the `else` of `if device.type == "cuda":`): it runs
    only where there is no CUDA work to wait for."""
    if _host_path(facts, region.start_node, region.scope):
        return True
    if region.scope.parent is None or region.scope.cls is not None:
        return False
    sites = facts.calls_to_function(region.scope.name)
    return bool(sites) and all(_host_path(facts, s.node, s.scope) for s in sites)


def _host_path(facts: FileFacts, node: cst.CSTNode, scope: Scope) -> bool:
    """`node` runs only in the `else` of a CUDA check of `scope`, or after one that returns."""
    child: cst.CSTNode = node
    for anc in facts.ancestors(node):
        if anc is scope.node:
            break
        if isinstance(anc, cst.If) and child is anc.orelse and is_cuda_guard(anc.test):
            return True
        if isinstance(anc, cst.IndentedBlock | cst.Module) and _after_cuda_return(anc, child):
            return True  # `if device == "cuda": ...; return ms` then the host timer
        child = anc
    return False


def _after_cuda_return(block: cst.IndentedBlock | cst.Module, stmt: cst.CSTNode) -> bool:
    """An earlier statement of `block` is `if <CUDA check>:` whose body ends in `return`."""
    for earlier in block.body:
        if earlier is stmt:
            return False
        if (
            isinstance(earlier, cst.If)
            and earlier.orelse is None
            and is_cuda_guard(earlier.test)
            and isinstance(earlier.body, cst.IndentedBlock)
            and earlier.body.body
            and isinstance(earlier.body.body[-1], cst.SimpleStatementLine)
            and any(isinstance(s, cst.Return) for s in earlier.body.body[-1].body)
        ):
            return True
    return False


def _covered(facts: FileFacts, region: Region, calls: list[CallSite], work: CallSite) -> bool:
    """Work is covered when it syncs itself, or a later sync in the region runs on every path
    that runs the work (a sync in the other branch of an `if` does not count)."""
    if facts.kind(work).sync is not None or facts.on_cpu(work):
        return True
    # a sync under the same `if` as the closing read runs whenever the read does
    # (`if step % 10 == 0: log(loss.item()); t1 = time.perf_counter()`)
    branches = facts.branches(work.node, region.scope) | facts.branches(
        region.end_node, region.scope
    )
    syncs = [
        c
        for c in calls
        if facts.kind(c).sync is not None and work.end < c.end <= region.content_end
    ]
    # an `if`/`elif`/`else` chain that syncs in every branch syncs whichever runs
    # (`wave = vocoder.decode(mel).cpu()` / `else: wave = vocoder(mel).cpu()`)
    # (the same for every work call followed by the same syncs: worked out once for them)
    memo: dict[tuple[int, ...], set[int]] = facts.memo.setdefault("sync-chains", {})
    key = (id(region.scope), *(id(c) for c in syncs))
    if key not in memo:
        memo[key] = _chains_syncing_every_branch(facts, region, syncs)
    whole = memo[key]
    return any(
        {b for b in facts.branches(c.node, region.scope, cuda_guards=False) if b[0] not in whole}
        <= branches
        for c in syncs
    )


def _chains_syncing_every_branch(
    facts: FileFacts, region: Region, syncs: list[CallSite]
) -> set[int]:
    """The ids of the `if` statements (with their `elif`s) among the syncs' ancestors whose
    every branch, `else` included, runs one of `syncs` outside any further `if`."""
    heads: dict[int, cst.If] = {}
    for c in syncs:
        for anc in facts.ancestors(c.node):
            if anc is region.scope.node:
                break
            if isinstance(anc, cst.If):
                heads.setdefault(id(anc), anc)

    def syncs_in(block: cst.CSTNode) -> bool:
        for c in syncs:
            if not N.contains(block, c.node):
                continue
            nested = False
            for anc in facts.ancestors(c.node):
                if anc is block:
                    break
                if isinstance(anc, cst.If):
                    nested = True
                    break
            if not nested:
                return True
        return False

    whole: set[int] = set()
    for head in heads.values():
        chain, node, ok = [], head, True
        while True:
            chain.append(id(node))
            if not syncs_in(node.body):
                ok = False
                break
            orelse = node.orelse
            if isinstance(orelse, cst.If):
                node = orelse
                continue
            ok = orelse is not None and syncs_in(orelse.body)
            break
        if ok:
            whole.update(chain)
    return whole


def event_read_synced(facts: FileFacts, region: Region) -> bool:
    """For CUDA events: is there a sync between the closing `record()` and `elapsed_time()`?"""
    end_call = facts.site_of(region.end_node)
    assert end_call is not None
    return synced_between(facts, region.scope.calls, region.content_end, end_call.start)


@dataclass(frozen=True, slots=True)
class ImporterUse:
    """A sibling module times unsynchronised CUDA work with a context timer defined here."""

    timer: ContextTimer
    user: str  # the sibling module's file name
    work: str  # the work's callee, as written
    line: int  #: 1-based, in the sibling module


def unsynced_importer_uses(facts: FileFacts) -> list[ImporterUse]:
    """Context timers of this file that never synchronise before their closing read, used by a
    sibling module (in the same folder) around device work nothing else synchronises."""
    out: list[ImporterUse] = []
    for timer in context_timers(facts).values():
        if timer.facts is not facts or timer.end_synced:
            continue
        for user, region in importer_uses(facts, timer):
            verdict = region_sync(user, region)
            if not user.uses_gpu or verdict.synced or verdict.work is None:
                continue
            path = user.project.file_path if user.project is not None else None
            name = path.name if path is not None else "?"
            work = N.code(verdict.work.node.func)
            out.append(ImporterUse(timer, name, work, verdict.work.start[0]))
            break
    return out


STEP_CALLBACK_KWARGS = ("callback_on_step_end", "callback")


def unsynced_step_callback_reads(facts: FileFacts) -> list[CallSite]:
    """Clock reads in a step callback a pipeline calls after each denoising step
    (`pipe(..., callback_on_step_end=on_step)`), with no synchronisation before them in the
    callback: the step's kernels may still be queued when the clock is read."""
    out: list[CallSite] = []
    seen: set[int] = set()
    if "callback" not in facts.source:  # both keywords name one
        return out
    for scope in facts.scopes:
        for call in scope.calls:
            if not facts.kind(call).pipeline_call:
                continue
            for name in STEP_CALLBACK_KWARGS:
                arg = N.keyword(call.node, name)
                target = facts.callee(call.scope, arg.value, call.start) if arg else None
                if target is None or target[0] is not facts or id(target[1]) in seen:
                    continue
                seen.add(id(target[1]))
                fn = target[1]
                for read in fn.calls:
                    if facts.kind(read).timer and not synced_between(
                        facts, fn.calls, (0, 0), read.start
                    ):
                        out.append(read)
    return out


# ------------------------------------------------- lazy results the region never consumes
#: Library calls that return a lazy generator and do their main work while it is iterated:
#: (the qualified name of the class whose method it is, the method).
LAZY_RESULT_METHODS = frozenset({("faster_whisper.WhisperModel", "transcribe")})


@dataclass(frozen=True, slots=True)
class UnconsumedLazy:
    """`segments, info = model.transcribe(audio)` timed, and `segments` (a generator whose
    iteration runs the decoding) not iterated before the closing read."""

    region: Region
    call: CallSite
    result: str | None  # the generator's name (None: the result is dropped)


def unconsumed_lazy_results(facts: FileFacts, regions: list[Region]) -> list[UnconsumedLazy]:
    out: list[UnconsumedLazy] = []
    for region in regions:
        if region.kind not in (RegionKind.HOST, RegionKind.PAIR):
            continue
        calls = region.calls()
        for call in calls:
            if not _lazy_call(facts, call):
                continue
            result = _first_target(facts, call)
            if result is not None and any(
                result in N.names_in(c.node) for c in calls if c.start > call.start
            ):
                continue  # consumed: `list(segments)`, `" ".join(s.text for s in segments)`
            if result is not None and _iterated_in(facts, region, result, call.end):
                continue  # `for segment in segments:` inside the region
            out.append(UnconsumedLazy(region, call, result))
    return out


def _lazy_call(facts: FileFacts, call: CallSite) -> bool:
    func = call.node.func
    if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name | cst.Attribute):
        return False
    method = func.attr.value
    built, _, _ = facts.resolve(call.scope, func.value, call.start)
    if not isinstance(built, cst.Call):
        return False
    classes = facts.qnames_of(built.func)
    return any((cls, method) in LAZY_RESULT_METHODS for cls in classes)


def _first_target(facts: FileFacts, call: CallSite) -> str | None:
    """The name the call's (first) result is bound to: `segments, info = model.transcribe(a)`."""
    stmt = facts.enclosing_statement(call.node)
    if not isinstance(stmt, cst.SimpleStatementLine):
        return None
    for small in stmt.body:
        if isinstance(small, cst.Assign) and small.value is call.node and small.targets:
            target: cst.BaseExpression = small.targets[0].target
            if isinstance(target, cst.Tuple | cst.List) and target.elements:
                target = target.elements[0].value
            return target.value if isinstance(target, cst.Name) else None
    return None


def _iterated_in(facts: FileFacts, region: Region, name: str, after: Pos) -> bool:
    """A `for` loop over `name` (or an expression of it) between `after` and the region's end."""
    for b in region.scope.bindings:
        if b.kind == "for" and isinstance(b.loop, cst.For) and after <= b.start:
            if b.start <= region.content_end and name in N.names_in(b.loop.iter):
                return True
    return False
