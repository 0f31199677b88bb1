"""Timed regions: the code between two reads of a host timer, or two recorded CUDA events.

A region is found where its two ends meet: a subtraction of two timer reads (`time.perf_counter()
- t0`, `t1 - t0`, through local helpers that return a timer read), a `with` block of a timing
context (a `@contextmanager` function or a class with `__enter__`/`__exit__`, defined here or in a
sibling module, see `timers.py`), or `start.elapsed_time(end)` on CUDA events (recorded on the
current stream or on one passed to `record()`). A subtraction whose start was stored by another
function (`self._t0` set in `__enter__`, a global set by `tic()`) is a *split* region: it has no
body of its own, but its clock is known. Each region knows its scope and the source range whose
calls it times, so rules ask one question: which calls ran between the ends, in which order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.facts import (
    CallSite,
    FileFacts,
    Pos,
    Scope,
    module_facts,
    subtracted_param,
)
from auditor.analyses.timers import EVENT_CLOCK, ContextTimer, timer_of_with_item, timer_read
from auditor.vocabulary import LIBRARY_CONTEXT_TIMERS


class RegionKind(StrEnum):
    HOST = "host"  # two host-clock reads
    CONTEXT = "context"  # a timing context manager's `with` block
    EVENT = "event"  # CUDA events and elapsed_time()
    SPLIT = "split"  # a closing read whose start another function stored
    PAIR = "pair"  # between calls of a starting and a stopping function (`t.start()`, `t.stop()`)


@dataclass(frozen=True, eq=False, slots=True)
class Region:
    kind: RegionKind
    scope: Scope
    content_start: Pos  # calls that start at or after this are inside
    content_end: Pos  # calls that end at or before this are inside
    start_node: cst.CSTNode  # the read (or record, or `with`) that opens the region
    end_node: cst.CSTNode  # the read (or elapsed_time) that closes it; the `with` if foreign
    timer: str  # qualified clock name, "cuda-event", or the helper's name
    end_synced: bool = False  # the closing read synchronises itself (a helper that syncs)
    helper: Scope | None = None  # the context manager's scope, when it is in this file
    helper_tail: tuple[Pos, Pos] | None = None  # in the helper: from `yield` to the end read
    clock: str = ""  # the underlying clock: "time.time", "time.perf_counter", "cuda-event"
    context: ContextTimer | None = None  # for CONTEXT regions: the timer entered
    start_record: CallSite | None = None  # for EVENT regions: the opening and closing records
    end_record: CallSite | None = None
    subtraction: cst.BinaryOperation | None = None  # HOST: the `end - start` that reads it

    @property
    def foreign(self) -> bool:
        """The closing read is in another module (a timing helper imported from a sibling)."""
        return self.context is not None and self.helper is None

    def calls(self) -> list[CallSite]:
        return sorted(
            self.scope.calls_between(self.content_start, self.content_end), key=lambda c: c.end
        )

    def loops(self, facts: FileFacts) -> tuple[cst.CSTNode, ...]:
        """Loops of the scope that enclose the whole region."""
        start_call = facts.site_of(self.start_node)
        if start_call is not None and start_call.scope is self.scope:
            return start_call.loops
        if isinstance(self.start_node, cst.With):
            return _loops_around(facts, self.scope, self.start_node)
        return ()


def find_regions(facts: FileFacts) -> list[Region]:
    memo: list[Region] | None = facts.memo.get("regions")
    if memo is not None:
        return memo
    regions: list[Region] = []
    regions += _host_regions(facts)
    splits = _split_regions(facts)
    regions += splits
    regions += _pair_regions(facts, splits)
    regions += _handed_regions(facts)
    regions += _context_regions(facts)
    regions += _event_regions(facts)
    regions.sort(key=lambda r: (r.content_start, r.content_end))
    facts.memo["regions"] = regions
    return regions


#: An identifier of the source, for counting where a name is used.
_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def never_read(facts: FileFacts, region: Region) -> bool:
    """The closing read stores the time in a name the file never mentions again
    (`t_generate_span = time.time() - t_generate_start`, then nothing): a time nobody prints,
    returns or compares is reported nowhere, so no reported number rests on it."""
    if region.kind is not RegionKind.HOST or not isinstance(region.end_node, cst.Call):
        return False
    stmt = facts.enclosing_statement(region.end_node)
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    assign = stmt.body[0]
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return False
    target = assign.targets[0].target
    if not isinstance(target, cst.Name):
        return False
    counts: dict[str, int] | None = facts.memo.get("word-counts")
    if counts is None:
        counts = {}
        for word in _WORD_RE.findall(facts.source):
            counts[word] = counts.get(word, 0) + 1
        facts.memo["word-counts"] = counts
    return counts.get(target.value, 0) == 1


#: Words in the statement that reads a region's time which declare it a set-up measurement:
#: `print(f"Compilation time: {time.perf_counter() - t0:.2f} s")`, `load_s = time.time() - t0`.
#: (`compiled_s`, the time of the compiled model, is not one.)
SETUP_LABEL_RE = re.compile(
    r"(?<![a-z])(?:compil(?:e|ation|ing)|load(?:ing|ed in)?|build(?:ing)?|quantiz(?:e|ation|ing)"
    r"|warm[_ -]?up|set[_ -]?up|initiali[sz](?:e|ation|ing)|instantiat(?:e|ion|ing)"
    r"|train(?:ing)?|fine[_ -]?tun(?:e|ing))"
    r"(?![a-z])",
    re.IGNORECASE,
)


#: A function named for a set-up step (`warmup`, `load_model`, `build_engine`), and not for a
#: measurement as well (`compile_and_benchmark`, `warmup_then_time`).
SETUP_FUNCTION_RE = re.compile(
    r"^_?(?:warm_?up|load|setup|set_up|build|compile|quantize|init|initiali[sz]e|prepare"
    r"|calibrate|convert|transform|prune)(?:_|$)"
    r"(?!.*(?:bench|infer|run|generat|predict|time|latenc|speed|measure|profil))",
    re.IGNORECASE,
)


def declares_setup(facts: FileFacts, region: Region) -> bool:
    """The statement that reads the region's closing timer says it measures set-up
    (compilation, loading, an engine build, a warm-up), or the region runs a training step
    (`loss.backward()`): an inference verdict does not apply.
    For a timer entered with `with`, its arguments are the label (`with Timer("load_lora"):`).
    Answered once per region: five analyses ask."""
    memo: dict[int, tuple[Region, bool]] = facts.memo.setdefault("declares-setup", {})
    if id(region) not in memo:  # (the region is kept with its answer: its id stays its own)
        memo[id(region)] = (region, _declares_setup(facts, region))
    return memo[id(region)][1]


def _whole_run(facts: FileFacts, region: Region) -> bool:
    """A region around a whole experiment: it loads the model from its checkpoint and hands it
    to a function that times the model work itself (`duration = end - start` around loading,
    preparing and `measure_inference_time(model, ...)`), or it starts before the command line
    is parsed (`t0 = perf_counter(); args = parser.parse_args(); ...; total = t3 - t0`): the
    inner regions are the benchmark, the envelope is bookkeeping of the run."""
    calls = region.calls()
    if any(N.call_name(c.node) == "parse_args" for c in calls):
        return True  # it parses the command line: the script's whole run, set-up and all
    if not any(N.call_name(c.node) in N.LOAD_METHODS for c in calls):
        return False
    for c in calls:
        if not facts.kind(c).work:
            continue
        for owner, fn in facts.possible_callees(c):
            if any(r.scope is fn for r in find_regions(owner)):
                return True
    return False


def _declares_setup(facts: FileFacts, region: Region) -> bool:
    if any(N.call_name(c.node) == "backward" for c in region.calls()):
        return True  # a training step (`loss.backward()`): a training measurement
    if _whole_run(facts, region):
        return True
    if region.scope.parent is not None and SETUP_FUNCTION_RE.match(region.scope.name):
        return True  # a function that times its own set-up (`def warmup(self, ...)`, `load_model`)
    entered = next(
        (n for n in (region.start_node, region.end_node) if isinstance(n, cst.With)), None
    )
    if entered is not None:
        label = " ".join(N.code(item.item) for item in entered.items)
        return SETUP_LABEL_RE.search(label) is not None
    if not isinstance(region.end_node, cst.Call):
        return False
    stmt = facts.enclosing_statement(region.end_node)
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    if SETUP_LABEL_RE.search(N.code(stmt)) is not None:
        return True
    if _returns_the_time(region, stmt) and _callers_store_setup(facts, region):
        return True
    report = _report_of_stored_time(facts, region, stmt)
    if report is None:
        return False
    # the label names the set-up as what took the time ("Time for quantization", "Loading
    # took"), not a setting shown beside the value (`f"compile={args.compile}: "`) or a run
    # of the compiled model ("compile run: ...")
    text = PLACEHOLDER_RE.sub(" ", N.code(report))
    return SETUP_TIME_RE.search(text) is not None


def _time_label(facts: FileFacts, region: Region) -> str:
    """The source that names a region's time where it is read: the key it is stored under
    (`Metrics.LATENCY_DECODE: t3 - t2`), else the statement that reads it
    (`decode_s = time.perf_counter() - t0`, `print(f"decode: {...}")`)."""
    node = region.subtraction if region.subtraction is not None else region.end_node
    parent = facts.parents.get(node)
    if isinstance(parent, cst.DictElement) and parent.value is node:
        return N.code(parent.key)
    stmt = facts.enclosing_statement(node)
    return N.code(stmt) if isinstance(stmt, cst.SimpleStatementLine) else ""


#: Words in a region's label that declare it times the handling itself: decoding, tokenizing,
#: pre- or post-processing, saving, or the whole request end to end.
DECLARED_HANDLING_RE = re.compile(
    r"(?<![a-z])(?:decod(?:e|ing)|detokeni[sz](?:e|ation|ing)|tokeni[sz](?:e|ation|ing)"
    r"|pre[-_ ]?process(?:ing)?|post[-_ ]?process(?:ing)?|e2e|end[-_ ]?to[-_ ]?end|sav(?:e|ing))"
    r"(?![a-z])",
    re.IGNORECASE,
)


def declares_handling(facts: FileFacts, region: Region) -> bool:
    """The region's time is named for the handling it times (`LATENCY_DECODE: t3 - t2`,
    `e2e_s = ...`): the decoding or saving inside it is the point, not a flaw. Answered once
    per region."""
    memo: dict[int, tuple[Region, bool]] = facts.memo.setdefault("declares-handling", {})
    if id(region) not in memo:
        memo[id(region)] = (
            region,
            DECLARED_HANDLING_RE.search(_time_label(facts, region)) is not None,
        )
    return memo[id(region)][1]


#: An f-string's placeholder (`{elapsed:.2f}`).
PLACEHOLDER_RE = re.compile(r"\{[^{}]*\}")
#: A set-up step named as what the reported time measured.
SETUP_TIME_RE = re.compile(
    rf"(?:time|took|duration)\W+(?:(?:for|of|to|spent)\W+)?(?:{SETUP_LABEL_RE.pattern})"
    rf"|(?:{SETUP_LABEL_RE.pattern})\W+(?:time|took|takes|duration|done|finished|completed)",
    re.IGNORECASE,
)


def _returns_the_time(region: Region, stmt: cst.SimpleStatementLine) -> bool:
    """The closing read is returned (`return start.elapsed_time(end)`), or stored in a name
    the function returns (`t1 = time.perf_counter()`, then `return (t1 - t0) * 1e3`)."""
    if any(isinstance(small, cst.Return) for small in stmt.body):
        return True
    small = stmt.body[0] if len(stmt.body) == 1 else None
    if not isinstance(small, cst.Assign) or len(small.targets) != 1:
        return False
    target = small.targets[0].target
    if not isinstance(target, cst.Name):
        return False
    return any(
        r.value is not None and target.value in N.names_in(r.value) for r in region.scope.returns
    )


def _callers_store_setup(facts: FileFacts, region: Region) -> bool:
    """The function returns the time it read, and every call of it in this file stores the
    time under a set-up name (`compile_first_ms = first_call_time(model_compiled, ...)`)."""
    if region.scope.parent is None or region.scope.cls is not None:
        return False
    sites = facts.calls_to_function(region.scope.name)
    if not sites:
        return False
    for site in sites:
        stmt = facts.enclosing_statement(site.node)
        small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
        if (
            not isinstance(small, cst.Assign)
            or SETUP_LABEL_RE.search(" ".join(N.code(t.target) for t in small.targets)) is None
        ):
            return False
    return True


def reported_time(facts: FileFacts, region: Region) -> cst.CSTNode | None:
    """The print or log that shows the region's time to the reader: the closing read inside
    it (`print(f"latency: {time.time() - start:.2f}s")`), or the first report of the name it
    is stored in (`_report_of_stored_time`)."""
    if not isinstance(region.end_node, cst.Call):
        return None
    for anc in facts.ancestors(region.end_node):
        if isinstance(anc, cst.BaseStatement):
            break
        if isinstance(anc, cst.Call) and N.call_name(anc) in N.REPORT_CALLS:
            return anc
    stmt = facts.enclosing_statement(region.end_node)
    if not isinstance(stmt, cst.SimpleStatementLine):
        return None
    report = _report_of_stored_time(facts, region, stmt)
    if report is not None:
        return report
    # appended to a list of samples (`runs.append(time.perf_counter() - t0)`), then a summary
    # of the list printed after the loop
    lists = {
        N.dotted(c.node.func.value) or ""
        for c in facts.appends_of(region.scope, region.end_node)
        if isinstance(c.node.func, cst.Attribute)
    } - {""}
    return _first_report_after(region, lists)


def _report_of_stored_time(
    facts: FileFacts, region: Region, stmt: cst.SimpleStatementLine
) -> cst.CSTNode | None:
    """Where a time the closing read stores is reported: `t = time.perf_counter() - t0`, then
    `print(f"Time for quantization: {t:.02f} sec")` (the first print or log of the stored
    name after the read, in the same function)."""
    if len(stmt.body) != 1 or not isinstance(stmt.body[0], cst.Assign):
        return None
    targets = stmt.body[0].targets
    if len(targets) != 1 or not isinstance(targets[0].target, cst.Name):
        return None
    return _first_report_after(region, {targets[0].target.value})


def _first_report_after(region: Region, names: set[str]) -> cst.CSTNode | None:
    """The first print or log after the region, in its function, that shows one of `names`."""
    for c in sorted(region.scope.calls, key=lambda c: c.start):
        if c.start <= region.content_end or N.call_name(c.node) not in N.REPORT_CALLS:
            continue
        if names & N.names_in(c.node):
            return c.node
    return None


@dataclass(frozen=True, slots=True)
class HelperTiming:
    """A call in this file of a module-level function of another project module whose first
    timed region runs one of the function's parameters, handed a model here
    (`benchmark_inference(model, x)`, with `t0 = perf_counter(); model(inputs); ...` in
    `benchmark_utils.py`): the caller chose what is timed, so what the region lacks for that
    model is reported at the call as well as in the helper's own file."""

    call: CallSite  # in this file
    owner: FileFacts  # the helper's module
    region: Region  # in the helper
    param: str  # the helper's parameter the region runs
    arg: cst.BaseExpression  # what this call hands it


#: A function that changes the model it is handed (patches, converts, calibrates, searches a
#: plan for it) and times that: a set-up step, not inference (`transform_model_...`,
#: `quantize_model`, `calibrate`).
MODEL_CHANGER_RE = re.compile(
    r"transform|convert|quantiz|calibrat|prune|patch|compile|export|optimi[sz]e|search|build",
    re.IGNORECASE,
)


def helper_timings(facts: FileFacts) -> list[HelperTiming]:
    memo: list[HelperTiming] | None = facts.memo.get("helper-timings")
    if memo is not None:
        return memo
    out: list[HelperTiming] = []
    for scope in facts.scopes if facts.project is not None else ():
        for call in scope.calls:
            found = _helper_timing(facts, scope, call)
            if found is not None:
                out.append(found)
    facts.memo["helper-timings"] = out
    return out


def result_dropped(facts: FileFacts, call: CallSite) -> bool:
    """The call's result is thrown away: a statement of its own (awaited or not), or assigned
    to `_`."""
    parent = facts.parents.get(call.node)
    if isinstance(parent, cst.Await):  # `await ask(client, i)`: the awaited result
        parent = facts.parents.get(parent)
    if isinstance(parent, cst.Expr):
        return True
    return (
        isinstance(parent, cst.Assign)
        and len(parent.targets) == 1
        and isinstance(parent.targets[0].target, cst.Name)
        and parent.targets[0].target.value == "_"
    )


def _helper_timing(facts: FileFacts, scope: Scope, call: CallSite) -> HelperTiming | None:
    if not isinstance(call.node.func, cst.Name) or result_dropped(facts, call):
        return None  # (a call whose time is thrown away is a warm-up)
    if MODEL_CHANGER_RE.search(call.node.func.value):
        return None  # `transform_model_fast_attention(pipe, ...)`: it times a set-up step
    # (only a name imported from another project module can run another module's function)
    if call.node.func.value in facts.functions or call.node.func.value not in facts.imports:
        return None
    target = facts.sibling(call.node.func.value)
    if target is None or target[0] is facts or target[1] not in target[0].functions:
        return None
    owner, fn = target[0], target[0].functions[target[1]]
    if fn.cls is not None or fn.parent is None or not isinstance(fn.parent.node, cst.Module):
        return None
    regions = [
        r
        for r in find_regions(owner)
        if r.scope is fn and r.kind in (RegionKind.HOST, RegionKind.PAIR) and not r.foreign
    ]
    if not regions:
        return None
    region = regions[0]
    for run in region.calls():
        root = N.dotted(run.node.func) or ""
        param = root.split(".", 1)[0]
        if param not in fn.params or param == "self":
            continue
        arg = facts.argument(call.node, param, fn.params.index(param))
        if not isinstance(arg, cst.Name | cst.Attribute):
            continue
        if facts.model_info(scope, arg, call.start) is not None:
            return HelperTiming(call, owner, region, param, arg)
    return None


def importer_uses(facts: FileFacts, timer: ContextTimer) -> list[tuple[FileFacts, Region]]:
    """The `with` blocks of sibling modules that enter a context timer this file defines."""
    project = facts.project
    if project is None or project.file_path is None:
        return []
    out: list[tuple[FileFacts, Region]] = []
    # (a module that enters it names it: `Bench.timer` is named by `Bench`)
    for module in project.importers_naming(timer.name.split(".")[0]):
        user = module_facts(project, module)
        if user is None:
            continue
        for region in find_regions(user):
            ctx = region.context
            if (
                ctx is not None
                and ctx.name == timer.name
                and ctx.facts.project is not None
                and ctx.facts.project.file_path == project.file_path
            ):
                out.append((user, region))
    return out


def _loops_around(facts: FileFacts, scope: Scope, node: cst.CSTNode) -> tuple[cst.CSTNode, ...]:
    found: list[cst.CSTNode] = []
    for anc in facts.ancestors(node):
        if anc is scope.node:
            break
        if isinstance(anc, cst.For | cst.While):
            found.append(anc)
    return tuple(reversed(found))


def _timer_call(
    facts: FileFacts, scope: Scope, expr: cst.BaseExpression, pos: Pos
) -> CallSite | None:
    """The timer read that `expr` is, or that the name `expr` was last assigned from."""
    return timer_read(facts, scope, expr, pos, attributes=False)


def clock_of(facts: FileFacts, call: CallSite) -> str:
    """The qualified clock a timer read uses, through a local helper that returns one."""
    kind = facts.kind(call)
    if kind.timer in N.HOST_TIMERS:
        return kind.timer
    target = facts.callee(call.scope, call.node.func, call.start)
    if target is not None:
        return target[0].summary_of(target[1]).returns_timer or ""
    return kind.timer or ""


def _host_regions(facts: FileFacts) -> list[Region]:
    memo = facts.memo.get("host_regions")
    if memo is not None:
        return list(memo)
    out: list[Region] = []
    seen: set[tuple[int, int]] = set()
    for scope in facts.scopes:
        for sub in facts.binary_operations(scope, cst.Subtract):
            start_pos, _ = facts.pos(sub)
            end = _timer_call(facts, scope, sub.left, start_pos)
            start = _timer_call(facts, scope, sub.right, start_pos)
            if end is None or start is None or not start.end <= end.start:
                continue
            if isinstance(facts.parents.get(sub), cst.Comparison | cst.ComparisonTarget):
                continue  # `if now - last_print >= 2:`: a throttle or a timeout, no measurement
            if _checked_against_a_timeout(facts, scope, sub):
                continue  # `elapsed = time.time() - t0`, then `if elapsed > timeout:`
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
                    clock=clock_of(facts, end),
                    subtraction=sub,
                )
            )
    facts.memo["host_regions"] = out
    return list(out)


#: Names of a limit a waiting loop's elapsed time is checked against.
TIMEOUT_RE = re.compile(r"timeout|deadline|max_wait|wait_s|time_?limit", re.IGNORECASE)


def _checked_against_a_timeout(facts: FileFacts, scope: Scope, sub: cst.BinaryOperation) -> bool:
    """The time read is stored (`elapsed_time = time.time() - start_time`) and compared with a
    timeout in the same function (`if elapsed_time > timeout:`): a readiness poll or a
    deadline, not a measurement."""
    if TIMEOUT_RE.search(facts.source) is None:
        return False
    stored = facts.assigned_by(sub)
    return bool(stored) and bool(stored & _compared_with_timeouts(facts, scope))


def _compared_with_timeouts(facts: FileFacts, scope: Scope) -> set[str]:
    """The names compared with a timeout somewhere in `scope` (once per scope)."""
    memo: dict[int, tuple[Scope, set[str]]] = facts.memo.setdefault("timeout-checks", {})
    if id(scope) not in memo:
        names: set[str] = set()

        class V(cst.CSTVisitor):
            def visit_Comparison(self, node: cst.Comparison) -> None:
                if TIMEOUT_RE.search(N.code(node)):
                    names.update(N.names_in(node))

        scope.node.visit(V())
        memo[id(scope)] = (scope, names)
    return memo[id(scope)][1]


def _split_regions(facts: FileFacts) -> list[Region]:
    """`time.time() - self._t0` where `self._t0` was stored by another method of the class, or
    `time.time() - _t0` where a function stored the global `_t0`."""
    out: list[Region] = []
    for scope in facts.scopes:
        if scope.parent is None:
            continue
        for sub in facts.binary_operations(scope, cst.Subtract):
            pos, _ = facts.pos(sub)
            end = _timer_call(facts, scope, sub.left, pos)
            key = N.dotted(sub.right)
            if end is None or key is None or _timer_call(facts, scope, sub.right, pos):
                continue
            start = _stored_timer_read(facts, scope, key)
            if start is None:
                continue
            out.append(
                Region(
                    RegionKind.SPLIT,
                    scope,
                    end.start,
                    end.start,
                    start.node,
                    end.node,
                    facts.kind(end).timer or "",
                    end_synced=facts.kind(end).timer_synced,
                    clock=clock_of(facts, end),
                )
            )
    return out


def _pair_regions(facts: FileFacts, splits: list[Region]) -> list[Region]:
    """`timer.start()` ... `timer.stop()` (or `tic()` ... `toc()`) in one function, where the
    first stores a clock read and the second subtracts it: the code between the two calls."""
    out: list[Region] = []
    for split in splits:
        start_site = facts.site_of(split.start_node)
        starter = start_site.scope if start_site is not None else None
        stopper = split.scope
        if starter is None or starter.parent is None or starter.name == "__enter__":
            continue
        synced = split.end_synced or any(
            facts.kind(c).sync is not None and c.end <= split.content_end for c in stopper.calls
        )
        for scope in facts.scopes:
            opens = [c for c in scope.calls if _runs(facts, c, starter)]
            closes = [c for c in scope.calls if _runs(facts, c, stopper)]
            for first in opens:
                recv = N.dotted(N.receiver(first.node))
                close = next(
                    (
                        c
                        for c in closes
                        if c.start >= first.end and N.dotted(N.receiver(c.node)) == recv
                    ),
                    None,
                )
                if close is None:
                    continue
                out.append(
                    Region(
                        RegionKind.PAIR,
                        scope,
                        first.end,
                        close.start,
                        first.node,
                        close.node,
                        split.timer,
                        end_synced=synced,
                        clock=split.clock,
                    )
                )
    return out


def _handed_regions(facts: FileFacts) -> list[Region]:
    """A start time handed to a function that closes the interval: `t0 = time.time()` ...
    `report(t0)`, or `start = start_measure()` (a helper called without arguments that
    returns a clock read, alone or in a dict) ... `end_measure(start)`, where the closing
    function subtracts the parameter from its own clock read, in this file or an imported
    module: the code between the two calls. Syntactic tests come first (a name bound to a
    clock read or an argument-less call, handed on as a bare argument), so that no call's
    kind is worked out, and no module parsed, for the calls of ordinary code."""
    out: list[Region] = []
    for scope in facts.scopes:
        starts = {
            b.target: b
            for b in scope.bindings
            if b.kind == "assign"
            and isinstance(b.value, cst.Call)
            and (
                bool(facts.qnames_of(b.value.func) & N.HOST_TIMERS)
                or (not b.value.args and not _library_call(facts, b.value))
            )
        }
        if not starts:
            continue
        for call in scope.calls:
            args = [
                a
                for a in call.node.args
                if isinstance(a.value, cst.Name) and a.value.value in starts
            ]
            if not args or call.qnames & N.HOST_TIMERS or _library_call(facts, call.node):
                continue
            target = facts.callee(scope, call.node.func, call.start)
            if target is None or not _subtracts_a_param(target[0], target[1]):
                continue
            owner, fn = target
            summary = owner.summary_of(fn)
            if summary.closes_param is None:
                continue
            param = fn.params[summary.closes_param]
            offset = 1 if fn.cls is not None and fn.params[:1] == ["self"] else 0
            handed = facts.argument(call.node, param, summary.closes_param - offset)
            arg = next((a for a in args if a.value is handed), None)
            if arg is None:
                continue
            start = _timer_call(facts, scope, arg.value, call.start)
            if start is None or not start.end <= call.start:
                continue
            out.append(
                Region(
                    RegionKind.PAIR,
                    scope,
                    start.end,
                    call.start,
                    start.node,
                    call.node,
                    N.dotted(call.node.func) or fn.name,
                    end_synced=summary.closes_synced,
                    clock=summary.closes_clock,
                )
            )
    return out


def _library_call(facts: FileFacts, node: cst.Call) -> bool:
    """A call of an installed library's function (`torch.randn`, `np.mean`): no project
    helper to follow."""
    return any("." in q and q.split(".")[0] in LIBRARY_ROOTS for q in facts.qnames_of(node.func))


#: Top-level packages whose functions are never a project's timing helpers.
LIBRARY_ROOTS = frozenset(
    {
        "torch",
        "numpy",
        "transformers",
        "diffusers",
        "time",
        "os",
        "sys",
        "json",
        "math",
        "random",
        "logging",
        "statistics",
        "builtins",
        "collections",
        "itertools",
        "functools",
    }
)


def _subtracts_a_param(owner: FileFacts, fn: Scope) -> bool:
    """Whether `fn` subtracts something read from one of its parameters (`x - start`,
    `x - record["time"]`): the syntactic precondition of closing a handed-in interval."""
    return any(
        subtracted_param(fn, sub) is not None for sub in owner.binary_operations(fn, cst.Subtract)
    )


def _runs(facts: FileFacts, call: CallSite, fn: Scope) -> bool:
    target = facts.callee(call.scope, call.node.func, call.start)
    return target is not None and target[0] is facts and target[1] is fn


def _stored_timer_read(facts: FileFacts, scope: Scope, key: str) -> CallSite | None:
    if key.startswith("self.") and scope.cls in facts.classes:
        others = [m for m in facts.classes[scope.cls].methods.values() if m is not scope]
    elif "." not in key:
        others = [s for s in facts.scopes if s is not scope and s.parent is not None]
        others.append(facts.module_scope)
    else:
        return None
    for other in others:
        for b in other.bindings:
            if b.target == key and b.kind == "assign" and isinstance(b.value, cst.Call):
                read = _timer_call(facts, other, b.value, b.end)
                if read is not None:
                    return read
    return None


def library_context_timer(facts: FileFacts, item: cst.WithItem) -> str | None:
    """The qualified name of a library timer a `with` item enters (`with Timer() as t:`)."""
    expr = item.item
    if not isinstance(expr, cst.Call):
        return None
    found = facts.qnames_of(expr.func) & LIBRARY_CONTEXT_TIMERS.keys()
    return sorted(found)[0] if found else None


def _context_regions(facts: FileFacts) -> list[Region]:
    out: list[Region] = []
    for scope in facts.scopes:
        for with_node, item, pos in _with_items(facts, scope):
            timer = timer_of_with_item(facts, scope, item, pos)
            if timer is None:
                library = library_context_timer(facts, item)
                if library is not None:  # read when the block ends, never synchronised
                    body_start, body_end = facts.pos(with_node.body)
                    clock = LIBRARY_CONTEXT_TIMERS[library]
                    out.append(
                        Region(
                            RegionKind.CONTEXT,
                            scope,
                            body_start,
                            body_end,
                            with_node,
                            with_node,
                            library,
                            clock=clock,
                        )
                    )
                continue
            local = timer.facts is facts
            body_start, body_end = facts.pos(with_node.body)
            out.append(
                Region(
                    RegionKind.CONTEXT,
                    scope,
                    body_start,
                    body_end,
                    with_node,
                    timer.end_node if local else with_node,
                    timer.clock if not local else timer.name,
                    end_synced=timer.end_synced,
                    helper=timer.helper if local else None,
                    helper_tail=timer.tail if local else None,
                    clock=timer.clock,
                    context=timer,
                )
            )
    return out


def _with_items(facts: FileFacts, scope: Scope) -> list[tuple[cst.With, cst.WithItem, Pos]]:
    """The `with` items of a scope's own code whose context could be a timer."""
    return [(w, item, facts.pos(item)[0]) for w in scope.withs for item in w.items]


def enclosing_with_item(facts: FileFacts, call: cst.Call) -> cst.With | None:
    parent = facts.parents.get(call)
    if isinstance(parent, cst.WithItem):
        grand = facts.parents.get(parent)
        if isinstance(grand, cst.With):
            return grand
    return None


def _event_regions(facts: FileFacts) -> list[Region]:
    out: list[Region] = []
    for scope in facts.scopes:
        records = [
            c for c in scope.calls if N.call_name(c.node) == "record" and len(c.node.args) <= 1
        ]
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
                    EVENT_CLOCK,
                    clock=EVENT_CLOCK,
                    start_record=start_rec,
                    end_record=end_rec,
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
    end_call = facts.site_of(region.end_node)
    return (region.content_end, end_call.start) if end_call is not None else None
