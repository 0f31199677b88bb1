"""Benchmark harnesses: `timeit`, `torch.utils.benchmark.Timer` and `triton.testing.do_bench`.

Each harness call says how many samples it takes (`number`/`repeat`, `min_run_time`, `rep`) and
what it times: a callable (a local function, a lambda) or a statement string, parsed (never run)
with its names looked up in the `globals=` mapping or the calling function. A timed statement is
*long* when it calls a diffusers pipeline, a transformers `pipeline(...)` or `generate()`: such a
call takes seconds, far beyond the budgets the harnesses were designed for (0.2 s for
`blocked_autorange`, 25 ms + 100 ms for `do_bench`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.facts import CallSite, FileFacts, Scope
from auditor.vocabulary import DO_BENCH, TIMEIT_FUNCS, TIMER_CLASSES

#: a `blocked_autorange` budget shorter than this gives a multi-second call one or two samples
MIN_RUN_TIME_FOR_LONG_CALLS = 10.0
#: a `do_bench` repetition budget (ms) shorter than this does the same
DO_BENCH_REP_FOR_LONG_CALLS = 10_000.0


class HarnessKind(StrEnum):
    TIMEIT = "timeit"  # timeit.timeit / repeat, Timer.timeit / repeat
    AUTORANGE = "blocked_autorange"  # torch.utils.benchmark's blocked/adaptive autorange
    DO_BENCH = "do_bench"


@dataclass(frozen=True, slots=True)
class Harness:
    kind: HarnessKind
    call: CallSite
    number: int | None = None  # timeit: calls per sample
    repeat: int | None = None  # timeit.repeat: samples
    budget: float | None = None  # min_run_time (s) or rep (ms); None: the default
    long: bool = False  # the timed statement runs a multi-second pipeline or generate()
    number_source: str = ""  # where a `number` that is not a literal comes from


def harnesses(facts: FileFacts) -> list[Harness]:
    out: list[Harness] = []
    for scope in facts.scopes:
        for call in scope.calls:
            h = _harness(facts, call)
            if h is not None:
                out.append(h)
    return out


def _number(node: cst.Call, name: str) -> float | None:
    arg = N.keyword(node, name)
    if arg is None:
        return None
    value = arg.value
    if isinstance(value, cst.Integer | cst.Float):
        return float(value.value.replace("_", ""))
    return None


def _harness(facts: FileFacts, call: CallSite) -> Harness | None:
    node, qn = call.node, call.qnames
    name = N.call_name(node)
    if qn & TIMEIT_FUNCS:
        number, repeat = _number(node, "number"), _number(node, "repeat")
        stmt = N.keyword(node, "stmt") or N.positional(node, 0)
        globals_ = N.keyword(node, "globals")
        long = stmt is not None and _long(facts, call, stmt.value, globals_)
        return Harness(
            HarnessKind.TIMEIT,
            call,
            _int(number),
            _int(repeat) or (5 if "repeat" in (name or "") else None),
            None,
            long,
        )
    if qn & DO_BENCH:
        fn = N.keyword(node, "fn") or N.positional(node, 0)
        long = fn is not None and _long(facts, call, fn.value, None)
        return Harness(HarnessKind.DO_BENCH, call, budget=_number(node, "rep"), long=long)
    if isinstance(node.func, cst.Attribute) and name in (
        "blocked_autorange",
        "adaptive_autorange",
        "timeit",
        "repeat",
        "autorange",
    ):
        timer = _timer_construction(facts, call)
        if timer is None:
            return None
        stmt = N.keyword(timer, "stmt") or N.positional(timer, 0)
        long = stmt is not None and _long(facts, call, stmt.value, N.keyword(timer, "globals"))
        if name in ("blocked_autorange", "adaptive_autorange"):
            return Harness(
                HarnessKind.AUTORANGE, call, budget=_number(node, "min_run_time"), long=long
            )
        if name == "autorange":
            return None
        number = _number(node, "number") or (
            float(node.args[0].value.value)
            if node.args and isinstance(node.args[0].value, cst.Integer)
            else None
        )
        source = ""
        arg = N.keyword(node, "number") or N.positional(node, 0)
        if number is None and arg is not None:
            found = facts.int_of(call.scope, arg.value, call.start)
            if found is not None:
                number, source = float(found[0]), found[1]
        return Harness(
            HarnessKind.TIMEIT,
            call,
            _int(number),
            _int(_number(node, "repeat")),
            long=long,
            number_source=source,
        )
    return None


def _int(value: float | None) -> int | None:
    return int(value) if value is not None else None


def _timer_construction(facts: FileFacts, call: CallSite) -> cst.Call | None:
    func = call.node.func
    assert isinstance(func, cst.Attribute)
    value, _, _ = facts.resolve(call.scope, func.value, call.start)
    if isinstance(value, cst.Call) and facts.qnames_of(value.func) & TIMER_CLASSES:
        return value
    return None


def _long(
    facts: FileFacts, call: CallSite, stmt: cst.BaseExpression, globals_: cst.Arg | None
) -> bool:
    """Does the timed statement or callable run a multi-second model call?"""
    text = N.string_value(stmt)
    if text is not None:
        try:
            parsed = cst.parse_module(text)
        except cst.ParserSyntaxError:
            return False
        mapping = _globals(globals_.value) if globals_ is not None else {}
        return any(
            _long_name(facts, call.scope, mapping.get(name, cst.Name(name)), call)
            for name in _called_names(parsed)
        )
    if isinstance(stmt, cst.Lambda):
        return any(
            _long_name(facts, call.scope, cst.Name(n), call) for n in _called_names(stmt.body)
        )
    return _long_name(facts, call.scope, stmt, call)


def timed_functions(facts: FileFacts, h: Harness) -> list[Scope]:
    """The functions of this file a harness times: those its statement string calls (names
    looked up in `globals=`), a lambda calls, or the callable it is handed."""
    node = h.call.node
    if h.call.qnames & TIMEIT_FUNCS or h.kind is HarnessKind.DO_BENCH:
        arg = N.keyword(node, "stmt") or N.keyword(node, "fn") or N.positional(node, 0)
        globals_ = N.keyword(node, "globals")
    else:
        timer = _timer_construction(facts, h.call)
        if timer is None:
            return []
        arg = N.keyword(timer, "stmt") or N.positional(timer, 0)
        globals_ = N.keyword(timer, "globals")
    if arg is None:
        return []
    stmt = arg.value
    names: list[cst.BaseExpression]
    text = N.string_value(stmt)
    if text is not None:
        try:
            parsed = cst.parse_module(text)
        except cst.ParserSyntaxError:
            return []
        mapping = _globals(globals_.value) if globals_ is not None else {}
        names = [mapping.get(n, cst.Name(n)) for n in _called_names(parsed)]
    elif isinstance(stmt, cst.Lambda):
        names = [cst.Name(n) for n in _called_names(stmt.body)]
    else:
        names = [stmt]
    out: list[Scope] = []
    for name in names:
        target = facts.callee(h.call.scope, name, h.call.start)
        if target is not None and target[0] is facts and target[1] not in out:
            out.append(target[1])
    return out


def _globals(expr: cst.BaseExpression) -> dict[str, cst.BaseExpression]:
    out: dict[str, cst.BaseExpression] = {}
    if isinstance(expr, cst.Dict):
        for el in expr.elements:
            if isinstance(el, cst.DictElement):
                key = N.string_value(el.key)
                if key is not None:
                    out[key] = el.value
    return out


def _called_names(node: cst.CSTNode) -> list[str]:
    found: list[str] = []

    class V(cst.CSTVisitor):
        def visit_Call(self, n: cst.Call) -> None:
            base = n.func
            while isinstance(base, cst.Attribute):
                base = base.value
            if isinstance(base, cst.Name):
                found.append(base.value)

    node.visit(V())
    return found


def _long_name(facts: FileFacts, scope: Scope, expr: cst.BaseExpression, call: CallSite) -> bool:
    info = facts.model_info(scope, expr, call.start)
    if info is not None and (info.pipeline or _hf_pipeline_value(facts, scope, expr, call)):
        return True
    target = facts.callee(scope, expr, call.start)
    if target is None:
        return False
    owner, fn = target
    for inner in fn.calls:
        kind = owner.kind(inner)
        if not kind.pipeline_call:
            continue
        if N.call_name(inner.node) == "generate":
            return True
        func = inner.node.func
        if isinstance(func, cst.Name | cst.Attribute):
            inner_info = owner.model_info(inner.scope, func, inner.start)
            if inner_info is not None and (inner_info.pipeline or _hf_pipeline(owner, inner)):
                return True
    return False


def _hf_pipeline(facts: FileFacts, call: CallSite) -> bool:
    """`asr = transformers.pipeline("automatic-speech-recognition", ...)`, then `asr(...)`."""
    return _hf_pipeline_value(facts, call.scope, call.node.func, call)


def _hf_pipeline_value(
    facts: FileFacts, scope: Scope, expr: cst.BaseExpression, call: CallSite
) -> bool:
    value, _, _ = facts.resolve(scope, expr, call.start)
    return isinstance(value, cst.Call) and "transformers.pipeline" in facts.qnames_of(value.func)


def stdlib_timeit(facts: FileFacts, h: Harness) -> cst.Call | None:
    """The call that holds the statement of a standard-library `timeit` harness (which neither
    warms up nor synchronises): `timeit.timeit(...)` itself or the `timeit.Timer(...)` whose
    method runs; None for `torch.utils.benchmark` and the other harnesses."""
    if h.kind is not HarnessKind.TIMEIT or h.call.qnames & TIMER_CLASSES:
        return None
    if h.call.qnames & TIMEIT_FUNCS:
        return h.call.node
    timer = _timer_construction(facts, h.call)
    if timer is None or facts.qnames_of(timer.func) & {"torch.utils.benchmark.Timer"}:
        return None
    return timer


def unsynced_work(facts: FileFacts, h: Harness) -> str | None:
    """For the standard library's `timeit`, which never synchronises: the device work its
    statement queues after the statement's last synchronisation, if any (as written)."""
    node = stdlib_timeit(facts, h)
    if node is None:
        return None
    stmt = N.keyword(node, "stmt") or N.positional(node, 0)
    if stmt is None:
        return None
    globals_ = N.keyword(node, "globals")
    mapping = _globals(globals_.value) if globals_ is not None else {}
    text = N.string_value(stmt.value)
    body: cst.CSTNode | None = None
    if text is not None:
        try:
            body = cst.parse_module(text)
        except cst.ParserSyntaxError:
            return None
    elif isinstance(stmt.value, cst.Lambda):
        body = stmt.value.body
    else:
        target = facts.callee(h.call.scope, stmt.value, h.call.start)
        if target is None:
            return None
        summary = target[0].summary_of(target[1])
        return N.code(stmt.value) if summary.does_work and not summary.ends_synced else None
    last: str | None = None
    for call in _calls(body):
        func = mapping.get(N.dotted(call.func) or "", call.func)
        site = CallSite(
            call.with_changes(func=func),
            h.call.scope,
            h.call.start,
            h.call.start,
            (),
            facts.qnames_of(func),
            None,
        )
        kind = facts.call_kind(site)
        if kind.sync is not None or (N.call_name(call) == "synchronize"):
            last = None
        elif kind.work:
            last = N.code(call.func)
    return last


def _calls(node: cst.CSTNode) -> list[cst.Call]:
    """Calls in evaluation order (a call's arguments before the call itself)."""
    found: list[cst.Call] = []

    class V(cst.CSTVisitor):
        def leave_Call(self, original_node: cst.Call) -> None:
            found.append(original_node)

    node.visit(V())
    return found


# ------------------------------------------------------- harness helpers given a callable
@dataclass(frozen=True, slots=True)
class HelperHarness:
    """A call of a timing helper (`benchmark_fn(run_inference, pipe, args)`, in this file or a
    sibling module) whose harness times the callable the call hands it."""

    call: CallSite  # the call in this file, where the user chose what to time
    harness: Harness  # in the helper
    helper: str  # the helper's name


def helper_harnesses(facts: FileFacts) -> list[HelperHarness]:
    """Calls that hand a multi-second callable (a function running a pipeline or `generate`)
    to a helper whose `Timer(stmt="f(...)", globals={"f": f})` harness times its parameter."""
    out: list[HelperHarness] = []
    for scope in facts.scopes:
        for call in scope.calls:
            target = facts.callee(scope, call.node.func, call.start)
            if target is None:
                continue
            owner, fn = target
            for h in _param_harnesses(owner, fn):
                index, param = h[1], fn.params[h[1]]
                arg = facts.argument(call.node, param, index)
                if arg is not None and _long(facts, call, arg, None):
                    out.append(HelperHarness(call, h[0], fn.name))
    return out


def _param_harnesses(owner: FileFacts, fn: Scope) -> list[tuple[Harness, int]]:
    """The harnesses in `fn` whose timed statement calls one of `fn`'s parameters, with the
    parameter's index (methods: `self` is not counted)."""
    memo_key = f"param_harnesses:{id(fn)}"
    memo = owner.memo.get(memo_key)
    if memo is not None:
        found: list[tuple[Harness, int]] = memo
        return found
    found = []
    params = [p for p in fn.params if p != "self"]
    for call in fn.calls:
        h = _harness(owner, call)
        if h is None or h.kind is not HarnessKind.AUTORANGE:
            continue
        timer = _timer_construction(owner, call)
        stmt = N.keyword(timer, "stmt") or N.positional(timer, 0) if timer else None
        text = N.string_value(stmt.value) if stmt is not None else None
        if timer is None or text is None:
            continue
        try:
            parsed = cst.parse_module(text)
        except cst.ParserSyntaxError:
            continue
        globals_ = N.keyword(timer, "globals")
        mapping = _globals(globals_.value) if globals_ is not None else {}
        for name in _called_names(parsed):
            value = mapping.get(name, cst.Name(name))
            if isinstance(value, cst.Name) and value.value in params:
                found.append((h, fn.params.index(value.value)))
                break
    owner.memo[memo_key] = found
    return found
