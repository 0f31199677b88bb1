"""Warm-up before the first timed region: how many calls, at which shape, synchronised or not.

The warm-up of a timed model is every call of that model (or of a local helper given it) that
runs before the region opens, in the same function, or, when the model is a parameter, before the
first call of that function in its caller. Calls are counted on the statement tree: alternatives
of an `if` count once, a loop over `range(k)` counts k times, a loop of unknown length counts as
several.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.batching import Shape, prompt_arg, shape
from auditor.analyses.facts import CallSite, ClassInfo, FileFacts, Pos, Scope
from auditor.analyses.harness import harnesses, stdlib_timeit, timed_functions
from auditor.analyses.regions import Region, RegionKind, declares_setup, result_dropped
from auditor.analyses.sync import synced_between

MANY = 1000  # a loop of unknown length: counts as "several"


class WarmupReason(StrEnum):
    NONE = "none"
    COMPILE = "compile"
    SINGLE_CALL = "single-call"
    BATCH_SHAPE = "batch-shape"
    RESOLUTION = "resolution"
    NO_SYNC = "no-sync"
    RECONFIGURED = "reconfigured"
    PREFILL_ONLY = "prefill-only"
    DECODING = "decoding"
    HANDED_COLD = "handed-cold"


REASON_TEXT = {
    WarmupReason.NONE: "no warm-up before it",
    WarmupReason.COMPILE: "a model compiled with `torch.compile` warmed up only {count} time(s)",
    WarmupReason.SINGLE_CALL: "only {count} warm-up call(s) before it",
    WarmupReason.BATCH_SHAPE: "a warm-up at another batch shape ({warm}) than its timed calls"
    " ({timed})",
    WarmupReason.RESOLUTION: "a warm-up at another resolution ({warm}) than its timed calls"
    " ({timed}): new shapes mean new kernels, autotuning or a recompile",
    WarmupReason.PREFILL_ONLY: "a warm-up that generates {warm} where its timed calls generate"
    " {timed}: one new token runs the prefill alone, so the decoding path starts cold",
    WarmupReason.DECODING: "a warm-up that runs {warm} where its timed calls search with"
    " {timed} (beam search runs other batch shapes and kernels)",
    WarmupReason.NO_SYNC: "no synchronisation between the warm-up and the timer start",
    WarmupReason.HANDED_COLD: "a warm-up of `{model}` without `{warm}`, which its timed calls "
    "hand it ({timed}), a model that never ran before",
    WarmupReason.RECONFIGURED: "no call of `{model}` between `{warm}` changing it and the timer "
    "start (the changed model runs cold)",
}


@dataclass(frozen=True, slots=True)
class WarmupVerdict:
    region: Region
    model: str
    count: int
    reasons: tuple[WarmupReason, ...]
    warmups: tuple[CallSite, ...]
    detail: dict[str, str]

    def describe(self) -> str:
        parts = [
            REASON_TEXT[r].format(
                model=self.model,
                count=self.count,
                warm=self.detail.get("warm_shape", self.detail.get("changed_by", "?")),
                timed=self.detail.get("timed_shape", "?"),
            )
            for r in self.reasons
        ]
        driven = self.detail.get("driven_from")
        if driven:
            parts[0] += f" ({driven}, with no run before it)"
        caller = self.detail.get("caller")
        if caller:
            parts[0] += f" (nor before the call at {caller} that passes the model in)"
        first_only = self.detail.get("first_only")
        if first_only:
            parts[0] += f" (it is kept only when {first_only}: the loop's first, cold iteration)"
        idle = self.detail.get("idle")
        if idle:
            parts[0] += f"; {idle} is handed the model but never runs it"
        only_when = self.detail.get("only_when")
        if only_when:
            parts[0] += f" when {only_when}"
        return "; ".join(parts)


def first_timed_regions(facts: FileFacts, regions: Sequence[Region]) -> list[Region]:
    """The first region of each scope that times model work (inside a loop or not), or the
    work of a function handed in as a parameter (`benchmark(fn, ...)`), past regions that
    declare a set-up measurement (`print(f"Compilation time: ...")`)."""
    firsts: dict[int, Region] = {}
    kernels = _kernel_file(facts)
    for region in regions:
        calls = region.calls()
        if not any(
            facts.kind(c).model or (kernels and facts.kind(c).work) or _callable_param(c)
            for c in calls
        ):
            continue
        if declares_setup(facts, region):
            continue  # "Compilation time": its calls warm up the regions after it
        if id(region.scope) not in firsts:
            firsts[id(region.scope)] = region
    return list(firsts.values())


#: A timing loop that sets its first iterations aside: `if i == 0: continue`, `if i <
#: args.warmup`, `times[1:]`, `times.pop(0)`, `del times[0]`, `[warmup:]`.
DISCARD_IN_LOOP_RE = re.compile(
    # an `if` statement (not a conditional expression, `x / n if n > 0 else 0`)
    r"^\s*(?:el)?if\b[^\n:]*(?:==|<=?|>=?)\s*(?:\d+|[\w.]*warm[\w.]*)|\bcontinue\b|warm",
    re.IGNORECASE | re.MULTILINE,
)
DISCARD_AFTER_RE = re.compile(r"\[\s*[\w.]+\s*:\s*\]|\.pop\(\s*0\s*\)|del\s+\w+\[\s*0\s*\]")


def _sets_first_aside(facts: FileFacts, loop: cst.CSTNode) -> bool:
    """The timing loop discards its first iterations (in the loop, or from the samples after
    it, or by reading only a later sample or the last ones after it: `times[1]`,
    `times[-10:]`): those iterations are its warm-up."""
    code = N.code(loop)
    if DISCARD_IN_LOOP_RE.search(code) or DISCARD_AFTER_RE.search(facts.source):
        return True
    after = "\n".join(facts.source.splitlines()[facts.pos(loop)[1][0] :])
    for name in set(APPENDED_RE.findall(code)):
        if re.search(rf"\b{re.escape(name)}\[\s*[1-9]\d*\s*\]", after):
            return True  # after the loop, only a later sample is read (`times[1]`)
        if re.search(rf"\b{re.escape(name)}\[\s*-\s*[\w.]+\s*:\s*\]", after):
            return True  # only the last samples are kept (`np.mean(times[-10:])`)
    return False


#: A list a loop appends its samples to (`times.append(...)`).
APPENDED_RE = re.compile(r"\b(\w+)\.append\(")


def _assess_loop(
    facts: FileFacts, region: Region, model: str, loop: cst.CSTNode
) -> WarmupVerdict | None:
    """A region inside a loop: its first iteration is cold unless the model ran before the
    loop (or earlier in the same iteration) or the loop sets its first iterations aside. Only a
    missing warm-up is reported (the loop's later iterations make a count or shape argument
    uncertain)."""
    scope = region.scope
    start, _ = facts.pos(loop)
    warmups = _warmups_in(facts, scope, model, start) or [
        # calls earlier in the same iteration warm each iteration's timed calls up (a model
        # built and warmed inside a loop over checkpoints)
        c
        for c in _warmups_in(facts, scope, model, region.content_start)
        if c.start >= start and any(lp is loop for lp in c.loops)
    ]
    if warmups:
        timed = [c for c in region.calls() if facts.kind(c).model == model]
        # warmed at another configuration: the first timed iteration is cold
        mismatch = _configuration_mismatch(facts, scope, warmups, timed, start)
        if mismatch is not None:
            reason, (warm, tim) = mismatch
            detail = {"warmup_calls": str(len(warmups)), "warm_shape": warm, "timed_shape": tim}
            return WarmupVerdict(
                region, model, len(warmups), (reason,), tuple(warmups[-1:]), detail
            )
        # warmed before the loop: the first timed iteration still pays for the warm-up's
        # queued device work unless something waits for it
        last = max(warmups, key=lambda c: c.end)
        if (
            facts.uses_gpu
            and region.kind is not RegionKind.EVENT  # (its start event waits in the stream)
            and _device_output(facts, last)
            and facts.kind(last).sync is None
            and not facts.on_cpu(last)
            and not synced_between(facts, scope.calls, last.end, region.content_start)
        ):
            return WarmupVerdict(
                region,
                model,
                len(warmups),
                (WarmupReason.NO_SYNC,),
                (last,),
                {"warmup_calls": str(len(warmups))},
            )
        return None
    at_caller: CallerWarmups | None = None
    if any(c.end <= start and _runs_a_model(facts, c) for c in scope.calls):
        return None  # some model ran first: the arms may be warmed through a collection
    if scope.parent is not None:
        at_caller = _warmups_at_caller(facts, scope, model)
        if model in scope.params and at_caller is None:
            return None  # the model comes from a caller we cannot see
        if (at_caller and at_caller.warmups) or _warmups_before_first_call(facts, scope, model):
            return None
    detail = {"warmup_calls": "0"}
    first_only = _first_iteration_only(facts, region, loop)
    if first_only is not None:
        detail["first_only"] = first_only
    elif _sets_first_aside(facts, loop):
        only_when = _set_aside_only_when(facts, scope, loop)
        if only_when is None:
            return None
        detail["only_when"] = only_when
    if at_caller is not None and at_caller.facts is not facts:
        detail["caller"] = at_caller.where(facts)
    idle = _idle_warmup(facts, scope, model, start)
    if idle is None and at_caller is not None and at_caller.facts is facts:
        idle = _idle_warmup(facts, at_caller.scope, None, at_caller.pos)
    if idle is not None:
        detail["idle"] = idle
    return WarmupVerdict(region, model, 0, (WarmupReason.NONE,), (), detail)


def _idle_warmup(facts: FileFacts, scope: Scope, model: str | None, before: Pos) -> str | None:
    """A call before `before` that hands the model to a local function that never runs it
    (`warmup(model)` whose body reads only `model.parameters()`): it looks like a warm-up and
    is none. Its text and line, or None."""
    for c in scope.calls:
        if c.end > before:
            break
        callee = facts.callee(c.scope, c.node.func, c.start)
        if callee is None or callee[0] is not facts:
            continue
        for i, arg in enumerate(c.node.args):
            info = facts.model_info(c.scope, arg.value, c.start)
            if info is None or (model is not None and info.name != model):
                continue
            if facts.only_inspected(c, callee, i):
                return f"`{N.code(c.node)}` (line {c.start[0]})"
    return None


def _device_output(facts: FileFacts, call: CallSite) -> bool:
    """A model call whose output stays on the device, so nothing in the call waits for the
    GPU: a pipeline that asks for latents or tensors (`output_type="latent"` or `"pt"`), or a
    torch module's forward (`model(input_ids)`, not a pipeline, a generator or a session)."""
    arg = N.keyword(call.node, "output_type")
    if arg is not None:
        return N.string_value(arg.value) in ("latent", "pt")
    func = call.node.func
    if not isinstance(func, cst.Name | cst.Attribute):
        return False
    if isinstance(func, cst.Attribute) and func.attr.value != "forward":
        return False  # a method of the model (`predict`, `generate`): what it returns is unknown
    info = facts.model_info(call.scope, func, call.start)
    if isinstance(func, cst.Attribute) and info is None:
        info = facts.model_info(call.scope, func.value, call.start)
    if info is None or info.pipeline or info.session or info.dynamic:
        return False
    if any(q.startswith(OTHER_RUNTIMES) for q in info.origin):
        return False  # an engine of another runtime: what its call returns is its own
    # a torch module (`BertModel(config)`, `net = get_model(cfg)`, `Net().cuda()`) called
    # directly, unless only its name says it is a generating engine (`llm(...)`)
    return bool(info.origin) or info.compiled or not info.generator


#: Libraries whose models are not torch modules run eagerly (engines of other runtimes).
OTHER_RUNTIMES = (
    *N.EXPORTED_RUNTIMES,
    "vllm.",
    "tensorrt_llm.",
    "onnxruntime",
    "openvino",
    "ctranslate2",
    "llama_cpp",
    "tensorflow",
    "keras",
    "jax",
    "flax",
)


#: Words that say a first-iteration measurement is the cold start, on purpose.
DECLARED_COLD_RE = re.compile(r"cold|start_?up", re.IGNORECASE)


def _first_iteration_only(facts: FileFacts, region: Region, loop: cst.CSTNode) -> str | None:
    """The region's closing read sits under `if i == 0:` for the loop's own counter
    (`for i in range(n)`): what it measures is the first iteration alone (a prefill timed on
    the first pass of a decode loop), however the later iterations warm the model. The
    condition's text, or None."""
    if not isinstance(loop, cst.For) or not isinstance(loop.target, cst.Name):
        return None
    it = loop.iter
    if not (isinstance(it, cst.Call) and N.code(it.func) == "range" and it.args):
        return None
    first = 0 if len(it.args) == 1 else N.int_value(it.args[0].value)
    if first is None:
        return None
    counter = loop.target.value
    child: cst.CSTNode = region.end_node
    node = facts.parents.get(child)
    while node is not None and node is not loop:
        if isinstance(node, cst.If) and child is node.body:
            test = node.test
            if (
                isinstance(test, cst.Comparison)
                and len(test.comparisons) == 1
                and isinstance(test.comparisons[0].operator, cst.Equal)
                and isinstance(test.left, cst.Name)
                and test.left.value == counter
                and N.int_value(test.comparisons[0].comparator) == first
            ):
                if DECLARED_COLD_RE.search(N.code(node.body)):
                    return None  # a cold start measured on purpose (`cold_s = ...`)
                return f"`{N.code(test)}`"
        child, node = node, facts.parents.get(node)
    return None


def _set_aside_only_when(facts: FileFacts, scope: Scope, loop: cst.CSTNode) -> str | None:
    """`for i in range(start, n)` with `start = -1 if compile else 0`: the iterations the loop
    sets aside (negative `i`) exist only when the condition holds; otherwise the first timed
    iteration is cold. The condition's text, or None."""
    if not isinstance(loop, cst.For) or not isinstance(loop.iter, cst.Call):
        return None
    it = loop.iter
    if N.code(it.func) != "range" or len(it.args) < 2:
        return None
    first = it.args[0].value
    if not isinstance(first, cst.Name):
        return None
    value, _, _ = facts.resolve(scope, first, facts.pos(loop)[0])
    if not isinstance(value, cst.IfExp):
        return None
    starts = [_int_literal(value.body), _int_literal(value.orelse)]
    if None in starts or not any(v is not None and v < 0 for v in starts):
        return None
    if all(v is not None and v < 0 for v in starts):
        return None
    return (
        f"`{N.code(value.test)}` is false (`{first.value} = {N.code(value)}` sets an "
        "iteration aside only when it is true)"
    )


def _int_literal(node: cst.BaseExpression) -> int | None:
    """An integer literal, negative ones (`-1`) included."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        value = N.int_value(node.expression)
        return -value if value is not None else None
    return N.int_value(node)


#: Calls that create tensors (inputs set up in the region), not the kernels being timed.
TENSOR_FACTORIES = frozenset(
    {
        "randn",
        "rand",
        "randint",
        "randn_like",
        "rand_like",
        "zeros",
        "ones",
        "empty",
        "full",
        "zeros_like",
        "ones_like",
        "empty_like",
        "tensor",
        "arange",
        "manual_seed",
        "synchronize",
    }
)


#: Loading a model, recognised or not (`EaModel.from_pretrained`, a state dict).
MODEL_LOAD_RE = re.compile(r"\.from_pretrained\(|\.load_state_dict\(|\btorch\.load\(")


def _callable_param(call: CallSite) -> str | None:
    """`fn(...)` where `fn` is a parameter of the calling function: its name."""
    func = call.node.func
    if isinstance(func, cst.Name) and func.value in call.scope.params:
        return func.value
    return None


def _assess_callable(facts: FileFacts, region: Region) -> WarmupVerdict | None:
    """A timing helper that times a function its caller hands in (`benchmark(fn, info,
    *args)`): the warm-up is looked for in the helper before the region (a call of `fn`) and,
    at the helper's first call, before it (a call of the function passed, or of a model passed
    beside it). Only a missing warm-up is reported, and only when the caller can be read."""
    scope = region.scope
    handed = next(
        (
            name
            for c in region.calls()
            if c.scope is scope and (name := _callable_param(c)) and facts.kind(c).work
        ),
        None,
    )
    if handed is None or any(
        c.end <= region.content_start and N.dotted(c.node.func) == handed for c in scope.calls
    ):
        return None  # the helper runs what it is given before timing it
    loops = region.loops(facts)
    if loops and _sets_first_aside(facts, loops[-1]):
        return None
    index = scope.params.index(handed)
    first = _first_call(facts, scope)
    if first is None:
        return None
    cfacts, site = first
    fn = cfacts.argument(site.node, handed, index)
    args = list(site.node.args)
    made = N.lambda_call(fn)
    if made is not None and isinstance(fn, cst.Lambda) and not fn.params.params:
        args += made.args  # `timed(lambda: evaluate(model, inp))`: what the lambda calls
        fn = made.func
    if not isinstance(fn, cst.Name | cst.Attribute):
        return None  # a partial, or a lambda of more than one call: not followed
    if cfacts.callee(site.scope, fn, site.start) is None:
        return None  # not a function of the project (an object with a `__call__`, a hook)
    function = N.dotted(fn)
    models = set()
    for arg in args:  # models handed over beside the function
        info = cfacts.model_info(site.scope, arg.value, site.start)
        if info is not None:
            models.add(info.name)
    for c in site.scope.calls:
        if c.end > site.start:
            continue
        kind = cfacts.kind(c)
        if N.dotted(c.node.func) == function or (kind.work and kind.model in models):
            return None  # the function, or a model handed with it, ran before
        if function and _runs_handed(cfacts, c, function):
            return None  # `run_warmup(generate, device=...)`: handed to a helper that runs it
    line = site.start[0]
    where = facts.line_ref(cfacts, line)
    return WarmupVerdict(
        region,
        function or handed,
        0,
        (WarmupReason.NONE,),
        (),
        {"warmup_calls": "0", "caller": where},
    )


def _runs_handed(facts: FileFacts, call: CallSite, function: str) -> bool:
    """`call` hands `function` to a function of the project that calls the parameter it
    receives it as (a warm-up helper: `def run_warmup(func, ...): for _ in ...: func()`)."""
    target = facts.callee(call.scope, call.node.func, call.start)
    if target is None:
        return False
    _, fscope = target
    for i, arg in enumerate(call.node.args):
        if N.dotted(arg.value) != function:
            continue
        param = facts.param_for(call, fscope, i)
        if param is not None and any(N.dotted(c.node.func) == param for c in fscope.calls):
            return True
    return False


def _kernel_file(facts: FileFacts) -> bool:
    """A file that times device work and has no model object anywhere: a kernel benchmark."""
    key = "kernel-file"
    if key not in facts.memo:
        loads = MODEL_LOAD_RE.search(facts.source) is not None  # a model we may not recognise
        facts.memo[key] = not loads and not any(
            facts.kind(c).model for s in facts.scopes for c in s.calls
        )
    found: bool = facts.memo[key]
    return found


def _assess_kernels(facts: FileFacts, region: Region) -> WarmupVerdict | None:
    """A kernel benchmark (no model object in the file): the first device call timed in the
    region (`torch.matmul`, a custom extension's op) with no call of the same function before
    the region is timed cold: its first launch pays for library handles, autotuning and module
    loading. Only a missing warm-up is reported."""
    if not _kernel_file(facts):
        return None
    work = [
        c
        for c in region.calls()
        if c.scope is region.scope
        and facts.kind(c).work
        and isinstance(c.node.func, cst.Attribute | cst.Name)
        and N.call_name(c.node) not in TENSOR_FACTORIES
    ]
    if not work:
        return None
    kernel = N.dotted(work[0].node.func)
    if not kernel:
        return None
    before = [
        c
        for c in region.scope.calls
        if c.end <= region.content_start and N.dotted(c.node.func) == kernel
    ]
    if before or region.scope.parent is not None:
        return None  # warmed up, or a helper whose callers may warm it up
    loops = region.loops(facts)
    if loops and _sets_first_aside(facts, loops[-1]):
        return None
    return WarmupVerdict(region, kernel, 0, (WarmupReason.NONE,), (), {"warmup_calls": "0"})


def _count(facts: FileFacts, stmts: Sequence[cst.CSTNode], targets: set[int]) -> int:
    total = 0
    for stmt in stmts:
        if isinstance(stmt, cst.If):
            other: Sequence[cst.CSTNode] = ()
            if isinstance(stmt.orelse, cst.If):
                other = [stmt.orelse]
            elif isinstance(stmt.orelse, cst.Else):
                other = list(stmt.orelse.body.body)
            total += max(
                _count(facts, list(stmt.body.body), targets), _count(facts, other, targets)
            )
        elif isinstance(stmt, cst.For | cst.While):
            inner = _count(facts, list(stmt.body.body), targets)
            if inner:
                total += inner * _iterations(stmt)
        elif isinstance(stmt, cst.Try):
            total += _count(facts, list(stmt.body.body), targets)
        elif isinstance(stmt, cst.With):
            total += _count(facts, list(stmt.body.body), targets)
        elif isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            continue
        else:
            total += _calls_in(stmt, targets)
    return min(total, MANY)


def _calls_in(node: cst.CSTNode, targets: set[int]) -> int:
    count = 0

    class V(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            nonlocal count
            if id(call) in targets:
                count += 1

    node.visit(V())
    return count


def _iterations(loop: cst.For | cst.While) -> int:
    if (
        isinstance(loop, cst.For)
        and isinstance(loop.iter, cst.Call)
        and N.call_name(loop.iter) == "range"
    ):
        args = [a.value for a in loop.iter.args]
        ints = [N.int_value(a) for a in args]
        if len(args) == 1 and ints[0] is not None:
            return ints[0]
        if len(args) == 2 and ints[0] is not None and ints[1] is not None:
            return max(ints[1] - ints[0], 0)
        if (
            len(args) == 1
            and isinstance(args[0], cst.Call)
            and N.call_name(args[0]) in ("min", "max")
        ):
            literals = [N.int_value(a.value) for a in args[0].args]
            known = [v for v in literals if v is not None]
            if known:
                return max(known)
    return MANY


def _helper_count(facts: FileFacts, call: CallSite) -> int:
    """A warm-up through a local helper counts the model calls inside it."""
    func = call.node.func
    if isinstance(func, cst.Name) and func.value in facts.functions:
        scope = facts.functions[func.value]
        targets = {id(c.node) for c in scope.calls if facts.kind(c).work}
        return max(_count(facts, scope.body, targets), 1)
    return 1


def _statements(scope: Scope) -> Sequence[cst.CSTNode]:
    return scope.body


def _method_run_from_elsewhere(facts: FileFacts, scope: Scope) -> bool:
    """A method this file never calls (`Pipeline.__call__`, `Runner.generate` driven by a
    benchmark script beside it): whether its first run is warm depends on callers elsewhere."""
    if scope.cls is None:
        return False
    if scope.name.startswith("__"):
        return True
    return not facts.calls_of_method(scope)


def _runs_a_model(facts: FileFacts, call: CallSite) -> bool:
    """A call that runs some model: not one that only moves, patches, hooks or compiles it
    (`pipe.to("cuda")`, `compile(pipe, ...)`, `cachify.prepare(pipe, config)`)."""
    kind = facts.kind(call)
    return (
        kind.model is not None
        and kind.work
        and not _hands_on(call, kind.model)
        and not _control_request(call)
    )


def _hands_on(call: CallSite, model: str) -> bool:
    """A call that hands the model to a function that patches, hooks, compiles or wraps it
    (`apply_patch_ToMe(pipe)`), not a call of the model itself (a model named `compiled`)."""
    return N.dotted(call.node.func) != model and bool(
        N.HANDS_ON_WITHOUT_RUNNING_RE.search(N.call_name(call.node) or "")
    )


def _warmups_in(facts: FileFacts, scope: Scope, model: str, before: Pos) -> list[CallSite]:
    """Calls that ran the model before `before`; a function handed the model to patch, hook
    or compile it (`apply_patch_ToMe(pipe, ...)`) runs nothing."""
    return [
        c
        for c in scope.calls
        if c.end <= before
        and facts.kind(c).work
        and facts.kind(c).model == model
        and not _hands_on(c, model)
        and not _control_request(c)
    ]


#: Endpoints a serving client asks about the server on, which run no model: a request to one
#: (`requests.post(controller + "/list_models")`, a health check) warms nothing up.
CONTROL_ENDPOINT_RE = re.compile(
    r"/(?:health\w*|ping|status|metrics|info|model_info|v1/models|models|list_models"
    r"|refresh_all_workers|get_worker_address|register_worker|get_\w*address)\b"
)


def _control_request(call: CallSite) -> bool:
    """A request whose URL names a control endpoint of the server (listing models, health)."""
    url = N.keyword(call.node, "url")
    expr = url.value if url is not None else (call.node.args[0].value if call.node.args else None)
    return expr is not None and CONTROL_ENDPOINT_RE.search(N.code(expr)) is not None


def _library_warmup(facts: FileFacts, scope: Scope, model: str, before: Pos) -> bool:
    """A warm-up method of the model object itself (optimum's and TensorRT wrappers' `warmup()`)
    called before the region."""
    for c in scope.calls:
        func = c.node.func
        if c.end > before or not isinstance(func, cst.Attribute):
            continue
        if func.attr.value in N.WARMUP_METHODS:
            info = facts.model_info(c.scope, func.value, c.start)
            if info is not None and info.name == model:
                return True
    return False


#: Base classes of load-test users whose tasks the framework runs again and again (locust).
LOAD_TEST_USER_BASES = frozenset(
    {
        "locust.User",
        "locust.HttpUser",
        "locust.FastHttpUser",
        "locust.contrib.fasthttp.FastHttpUser",
    }
)
#: A reset of the framework's statistics once the load is steady: the first requests, the
#: warm-up, are set aside (`runner.stats.reset_all()`, locust's `--reset-stats`).
STATS_RESET_RE = re.compile(r"\.reset_all\(|\breset_stats\b|--reset-stats")


def _load_test_user(facts: FileFacts, scope: Scope) -> ClassInfo | None:
    """The load-test user class (locust) whose method `scope` is: the framework, not this
    file, calls it, once per request, from the first request on."""
    info = facts.classes.get(scope.cls) if scope.cls else None
    return info if info is not None and info.bases & LOAD_TEST_USER_BASES else None


def _warms_on_start(facts: FileFacts, user: ClassInfo) -> bool:
    """The user's `on_start`, run once per user before its tasks, sends work (a request)."""
    start = user.methods.get("on_start")
    return start is not None and any(facts.kind(c).work for c in start.calls)


def _cold_from_importers(facts: FileFacts, region: Region) -> WarmupVerdict | None:
    """A method nothing in its file calls, whose class project scripts import and call once
    (`gen = End2End(args)`, then `results = gen.predict(...)`, not in a loop, no earlier call
    of the method in that script): the time it measures on that call is its first run's.
    Anything else (several calls, a loop, no caller found) is not known: None."""
    if region.loops(facts) or any(
        c.end <= region.content_start and _runs_a_model(facts, c) for c in region.scope.calls
    ):
        return None  # it runs the model first itself, or times in a loop: not this question
    sites = facts.method_calls_from_importers(region.scope)
    if not sites:
        return None
    for user, site in sites:
        if site.loops or any(
            other is not site and other.scope is site.scope for u, other in sites if u is user
        ):
            return None
    timed = [c for c in region.calls() if facts.kind(c).model]
    if not timed:
        return None
    # shown: a script's own run (module level or `main`) before a handler a framework calls
    user, site = min(
        sites, key=lambda us: 0 if us[1].scope.parent is None or us[1].scope.name == "main" else 1
    )
    where = facts.where(user, site.start[0])
    return WarmupVerdict(
        region,
        facts.kind(timed[0]).model or "",
        0,
        (WarmupReason.NONE,),
        (),
        {
            "warmup_calls": "0",
            "driven_from": f"`{region.scope.name}` is called once, at {where}",
        },
    )


def _first_call_declared_warmup(facts: FileFacts, scope: Scope) -> bool:
    """The timing function is told which iteration it runs and says that the first one is the
    warm-up (`warm_up=(num == 0)`, `"warm-up" if num == 0 else num`): its callers' first call
    is a warm-up the function reports apart."""
    if scope.parent is None or not scope.params:
        return False
    # the iteration's index: a parameter, or a name bound from one (`num = param["iter_idx"]`);
    # not a warm-up count (`if num_warmup == 0:` says there is none)
    names = {p for p in [*scope.params, *(b.target for b in scope.bindings)] if "warm" not in p}
    start, end = facts.pos(scope.node)
    for line in facts.source.splitlines()[start[0] - 1 : end[0]]:
        if "warm" not in line.lower():
            continue
        for m in ITERATION_ZERO_RE.finditer(line):
            if m.group(1) in names:
                return True
    return False


#: A name compared with zero (`num == 0`).
ITERATION_ZERO_RE = re.compile(r"\b([A-Za-z_]\w*)\s*==\s*0\b")


def assess(
    facts: FileFacts,
    region: Region,
    min_calls: int = 1,
    handed: tuple[FileFacts, CallSite] | None = None,
) -> WarmupVerdict | None:
    """What the warm-up before `region` lacks; None when it is enough. Fewer than `min_calls`
    warm-up calls is too few (a `torch.compile`d model needs at least two whatever it is).
    With `handed`, the region is a helper's and the verdict is for one call of it, in another
    module, that hands it a model: that call's warm-ups, device and compiled model count."""
    # (with `handed`, the call was found at its caller: who else runs the helper is moot)
    user = _load_test_user(facts, region.scope) if handed is None else None
    if user is not None:
        # the framework runs the task from its first request on: warm only when the test
        # sets its first requests aside, or each user sends some before its tasks start
        if STATS_RESET_RE.search(facts.source) is not None or _warms_on_start(facts, user):
            return None
    elif handed is None and _method_run_from_elsewhere(facts, region.scope):
        return _cold_from_importers(facts, region)  # its callers are in other modules
    elif handed is None and (
        facts.handed_by_importers(region.scope) or facts.installed_as_hook(region.scope)
    ):
        return None  # handed on as a value where we cannot follow it: unknown
    if _first_call_declared_warmup(facts, region.scope):
        return None
    timed = [c for c in region.calls() if facts.kind(c).model]
    if not timed:
        if handed is not None:
            return None
        return _assess_callable(facts, region) or _assess_kernels(facts, region)
    return _assess_model(facts, region, min_calls, timed, handed)


def _assess_model(
    facts: FileFacts,
    region: Region,
    min_calls: int,
    timed: list[CallSite],
    site: tuple[FileFacts, CallSite] | None = None,
) -> WarmupVerdict | None:
    model = facts.kind(timed[0]).model or ""
    timed = [c for c in timed if facts.kind(c).model == model]
    scope = region.scope
    if _library_warmup(facts, scope, model, region.content_start):
        return None  # `pipe.warmup(...)`: the library warms itself up
    loops = region.loops(facts)
    if loops:  # the innermost loop times; warm-ups may sit in the loops around it
        return _assess_loop(facts, region, model, loops[-1])
    warmups = [  # a call in another branch of an `if` chain never runs before this one
        c
        for c in _warmups_in(facts, scope, model, region.content_start)
        if not facts.exclusive(c.node, region.start_node)
    ]
    sync_scope, sync_from, sync_to = scope, region.content_start, region.content_start
    wfacts = facts  # the file the warm-ups (and the sync after them) are in
    caller = ""
    if not warmups and model in scope.params:
        outer = _warmups_at_caller(facts, scope, model, site)
        if outer is None:
            return None  # the model comes from a caller we cannot see: stay silent
        warmups, sync_scope, sync_to, wfacts = outer.warmups, outer.scope, outer.pos, outer.facts
        caller = outer.where(facts) if outer.facts is not facts else ""
    elif not warmups and scope.parent is not None:
        before = _warmups_before_first_call(facts, scope, model)
        if before is not None:
            warmups, sync_scope, sync_to = before
    targets = {id(c.node) for c in warmups}
    count = _count(wfacts, _statements(sync_scope), targets) if warmups else 0
    for c in warmups:
        if _helper_count(wfacts, c) > 1:
            count = max(count, _helper_count(wfacts, c))
    reasons: list[WarmupReason] = []
    detail: dict[str, str] = {"warmup_calls": str(count if count < MANY else "many")}
    if caller:
        detail["caller"] = caller
    info = (
        facts.model_info(timed[0].scope, timed[0].node.func, timed[0].start)
        if isinstance(timed[0].node.func, cst.Name | cst.Attribute)
        else None
    )
    compiled = bool(info and info.compiled) or _part_compiled(facts, model, region.content_start)
    if site is not None and model in scope.params:  # the model the calling module hands in
        cfacts, call = site
        arg = cfacts.argument(call.node, model, scope.params.index(model))
        handed_info = cfacts.model_info(call.scope, arg, call.start) if arg is not None else None
        compiled = compiled or bool(handed_info and handed_info.compiled)
    if warmups and wfacts is facts and count < max(min_calls, 2 if compiled else 1):
        count += _earlier_runs(facts, scope, model)
        detail["warmup_calls"] = str(count if count < MANY else "many")
    if not warmups:
        reasons.append(WarmupReason.NONE)
        idle = _idle_warmup(facts, scope, model, region.content_start)
        if idle is not None:
            detail["idle"] = idle
    elif compiled and count < 2:
        reasons.append(WarmupReason.COMPILE)
    elif count < min_calls:
        reasons.append(WarmupReason.SINGLE_CALL)
    if warmups:
        mismatch = _shape_mismatch(facts, warmups, timed) if wfacts is facts else None
        if mismatch is not None:
            reasons.append(WarmupReason.BATCH_SHAPE)
            detail["warm_shape"], detail["timed_shape"] = mismatch
        elif wfacts is facts:
            other = _configuration_mismatch(facts, scope, warmups, timed, region.content_start)
            if other is not None:
                reasons.append(other[0])
                detail["warm_shape"], detail["timed_shape"] = other[1]
        last = max(warmups, key=lambda c: c.end)
        sync_from = last.end
        if (
            (facts.uses_gpu or (site is not None and site[0].uses_gpu))
            and wfacts.kind(last).sync is None
            and not wfacts.on_cpu(last)
            and not synced_between(wfacts, sync_scope.calls, sync_from, sync_to)
        ):
            reasons.append(WarmupReason.NO_SYNC)
    if not reasons:
        return None
    shown = tuple(warmups) if wfacts is facts else ()  # related locations are in this file
    return WarmupVerdict(region, model, count, tuple(reasons), shown, detail)


def _part_compiled(facts: FileFacts, model: str, before: Pos) -> bool:
    """`model.forward = torch.compile(model.forward)`, `pipe.unet = torch.compile(pipe.unet)`
    before the region: the timed object runs compiled code."""
    prefix = model + "."
    return any(
        b.target.startswith(prefix)
        and b.start < before
        and isinstance(b.value, cst.Call)
        and bool(facts.qnames_of(b.value.func) & N.COMPILE_FUNCS)
        for s in facts.scopes
        for b in s.bindings
    )


def _earlier_runs(facts: FileFacts, scope: Scope, model: str) -> int:
    """How often the function `scope` (which warms its model up, then times it) runs before
    its last call in the caller that calls it more than once: a warm-up loop of the whole
    function (`for _ in range(3): medusa_forward(...)` before the measured calls) repeats its
    in-function warm-up and its timed part. 0 for a module-level region or a single call."""
    if scope.parent is None or isinstance(scope.node, cst.Module):
        return 0
    sites = facts.calls_to_function(scope.name)
    if len(sites) < 2:
        return 0
    root = model.split(".")[0]
    if root not in scope.params and scope.bindings_of(root):
        return 0  # each run builds its own model: an earlier run warms another object
    last = max(sites, key=lambda c: c.start)

    def handed(site: CallSite) -> str:
        """What the call passes for the model (nothing: the model is not a parameter)."""
        if root not in scope.params:
            return ""
        arg = facts.argument(site.node, root, scope.params.index(root))
        return N.code(arg) if arg is not None else "?"

    earlier = {
        id(c.node)
        for c in sites
        if c.scope is last.scope and c.end <= last.start and handed(c) == handed(last)
    }
    if not earlier:
        return 0
    before = [stmt for stmt in _statements(last.scope) if facts.pos(stmt)[1] <= last.start]
    return _count(facts, before, earlier)


def _shape_mismatch(
    facts: FileFacts, warmups: list[CallSite], timed: list[CallSite]
) -> tuple[str, str] | None:
    """Compare shapes call form by call form (`pipe(...)` with `pipe(...)`)."""

    def shapes(calls: list[CallSite]) -> dict[str, set[Shape]]:
        out: dict[str, set[Shape]] = {}
        for c in calls:
            arg = prompt_arg(facts, c)
            if arg is None:
                continue
            s = shape(facts, c.scope, arg, c.start)
            if s is not Shape.UNKNOWN:
                out.setdefault(N.dotted(c.node.func) or "", set()).add(s)
        return out

    warm, tim = shapes(warmups), shapes(timed)
    for form, timed_shapes in tim.items():
        warm_shapes = warm.get(form)
        if warm_shapes and not (warm_shapes & timed_shapes):
            label = {Shape.SINGLE: "one prompt per call", Shape.BATCH: "a batch per call"}
            return (
                "/".join(sorted(label[s] for s in warm_shapes)),
                "/".join(sorted(label[s] for s in timed_shapes)),
            )
    return None


def _resolution(facts: FileFacts, call: CallSite) -> str | None:
    """`height=H, width=W` of a pipeline call, both resolved to integers: "HxW"."""
    sizes = []
    for key in ("height", "width"):
        arg = N.keyword(call.node, key)
        found = facts.int_of(call.scope, arg.value, call.start) if arg is not None else None
        if found is None:
            return None
        sizes.append(found[0])
    return f"{sizes[0]}x{sizes[1]}"


#: Keywords that hand a call another model (`assistant_model=`, `draft_model=`, `controlnet=`).
HANDED_MODEL_KEYWORD_RE = re.compile(
    r"model|draft|assistant|controlnet|adapter|unet|vae|transformer", re.IGNORECASE
)


def _cold_handed_model(
    facts: FileFacts, scope: Scope, timed: list[CallSite], before: Pos
) -> tuple[str, str] | None:
    """A timed call hands the warmed model another model by keyword (`teacher.generate(...,
    assistant_model=student)`, a draft model for speculative decoding) that no call before
    `before` ran or was handed: the warm-up never ran that model. (The keyword, the call.)"""
    for call in timed:
        own = facts.kind(call).model
        if not facts.kind(call).pipeline_call:
            continue  # a helper handed several models (`evaluate(pipe, dino_model=...)`)
        for arg in call.node.args:
            if arg.keyword is None or not isinstance(arg.value, cst.Name | cst.Attribute):
                continue
            if not HANDED_MODEL_KEYWORD_RE.search(arg.keyword.value):
                continue  # `streamer=`, `generation_config=`: no model of its own
            info = facts.model_info(call.scope, arg.value, call.start)
            name = N.dotted(arg.value)
            if info is None or name is None or name == own or info.session:
                continue
            ran = any(
                c.end <= before
                and (
                    facts.kind(c).model == name
                    or any(N.dotted(a.value) == name for a in c.node.args)
                )
                for s in {id(scope): scope, id(facts.module_scope): facts.module_scope}.values()
                for c in s.calls
            )
            if not ran:
                keyword = f"{arg.keyword.value}={name}"
                return keyword, f"`{N.short(N.code(call.node.func))}(..., {keyword})`"
    return None


def _resolution_mismatch(
    facts: FileFacts, warmups: list[CallSite], timed: list[CallSite]
) -> tuple[str, str] | None:
    """Warm-ups and timed calls that all set `height`/`width` to known integers, with no size
    in common: the timed calls run shapes the warm-up never ran."""
    warm = {_resolution(facts, c) for c in warmups}
    tim = {_resolution(facts, c) for c in timed}
    if None in warm or None in tim or warm & tim:
        return None
    return "/".join(sorted(w for w in warm if w)), "/".join(sorted(t for t in tim if t))


def _new_tokens(facts: FileFacts, call: CallSite) -> int | None:
    """The `max_new_tokens` of a `generate()` call, when it is a known integer."""
    if N.call_name(call.node) != "generate":
        return None
    arg = N.keyword(call.node, "max_new_tokens")
    if arg is None:
        return None
    found = facts.int_of(call.scope, arg.value, call.start)
    return found[0] if found is not None else None


def _prefill_only(
    facts: FileFacts, warmups: list[CallSite], timed: list[CallSite]
) -> tuple[str, str] | None:
    """Every warm-up is a `generate()` of one new token while the timed calls generate
    more: the warm-up ran the prefill alone (`generate(**inputs, max_new_tokens=1)` before
    timing 256 tokens)."""
    warm_or_none = [_new_tokens(facts, c) for c in warmups]
    tim_or_none = [_new_tokens(facts, c) for c in timed]
    warm = [n for n in warm_or_none if n is not None]
    tim = [n for n in tim_or_none if n is not None]
    if not warm or not tim or len(warm) < len(warmups) or len(tim) < len(timed):
        return None
    if max(warm) > 1 or min(tim) <= 1:
        return None
    shown = sorted({str(t) for t in tim})
    return "1 token", "/".join(shown) + " tokens"


def _configuration_mismatch(
    facts: FileFacts, scope: Scope, warmups: list[CallSite], timed: list[CallSite], start: Pos
) -> tuple[WarmupReason, tuple[str, str]] | None:
    """The first way, in order, the warm-ups run another configuration than the timed calls
    (the rest are not worked out): another resolution, the prefill alone, another decoding,
    or without a model the timed calls hand the timed one (`generate(..., assistant_model=
    draft)`: the draft never ran). Each gives (what the warm-up ran, what is timed)."""
    checks: tuple[tuple[WarmupReason, Callable[[], tuple[str, str] | None]], ...] = (
        (WarmupReason.RESOLUTION, lambda: _resolution_mismatch(facts, warmups, timed)),
        (WarmupReason.PREFILL_ONLY, lambda: _prefill_only(facts, warmups, timed)),
        (WarmupReason.DECODING, lambda: _decoding_mismatch(warmups, timed)),
        (WarmupReason.HANDED_COLD, lambda: _cold_handed_model(facts, scope, timed, start)),
    )
    for reason, check in checks:
        found = check()
        if found is not None:
            return reason, found
    return None


def _decoding_mismatch(warmups: list[CallSite], timed: list[CallSite]) -> tuple[str, str] | None:
    """Every warm-up is a `generate()` that searches with another beam width than the timed
    `generate()` calls (greedy, `num_beams` left out, before `num_beams=5`). Settings a call
    may take from elsewhere (a `generation_config=`, or a `**` mapping the other calls do
    not expand too) make it unknown: no verdict."""
    calls = warmups + timed
    if any(N.call_name(c.node) != "generate" for c in calls):
        return None
    expanded = {N.code(a.value) for c in calls for a in c.node.args if a.star == "**"}
    shared = {
        text
        for text in expanded
        if all(any(a.star == "**" and N.code(a.value) == text for a in c.node.args) for c in calls)
    }
    if expanded - shared or any(N.keyword(c.node, "generation_config") for c in calls):
        return None

    def beams(call: CallSite) -> str:
        arg = N.keyword(call.node, "num_beams")
        return N.code(arg.value) if arg is not None else "1"

    warm = {beams(c) for c in warmups}
    tim = {beams(c) for c in timed}
    if len(warm) != 1 or warm == tim or tim == {"1"}:
        return None
    (width,) = warm
    shown = "greedy decoding" if width == "1" else f"`num_beams={width}`"
    return shown, ", ".join(f"`num_beams={t}`" for t in sorted(tim))


@dataclass(frozen=True, slots=True)
class CallerWarmups:
    """The warm-ups found at the first call of a timing helper: in this file or, when nothing
    here calls it, in a project module that imports it."""

    facts: FileFacts  # the caller's file
    warmups: list[CallSite]
    scope: Scope
    pos: Pos  # the helper's call

    def where(self, timed: FileFacts) -> str:
        return timed.where(self.facts, self.pos[0])


def _first_call(
    facts: FileFacts, scope: Scope, measured: bool = False
) -> tuple[FileFacts, CallSite] | None:
    """The first call of the function `scope`: in this file, or (a module-level function
    nothing here calls) in a project module that imports it. With `measured`, the first call
    whose result is kept: earlier calls that throw the timing away are its warm-ups."""
    sites = [(facts, c) for c in sorted(facts.calls_to_function(scope.name), key=lambda c: c.start)]
    sites = sites or facts.callers_elsewhere(scope)
    if measured:
        return _first_kept(sites)
    return sites[0] if sites else None


def _first_kept(sites: list[tuple[FileFacts, CallSite]]) -> tuple[FileFacts, CallSite] | None:
    """The first call that keeps its result (the time it measured); calls that are statements
    of their own (`timed_render(pipe, ...)`, result dropped) before it are its warm-ups. With
    none kept, the first call."""
    kept = [(f, c) for f, c in sites if not result_dropped(f, c)]
    return kept[0] if kept else (sites[0] if sites else None)


def _warmups_at_caller(
    facts: FileFacts, scope: Scope, model: str, site: tuple[FileFacts, CallSite] | None = None
) -> CallerWarmups | None:
    """When the timed model is a parameter, look before the first call of this function: in
    this file, or (a module-level helper nothing here calls) in the modules importing it; or
    before the call `site`, when given."""
    if scope.parent is None or model not in scope.params:
        return None
    index = scope.params.index(model)
    first = site or _first_call(facts, scope, measured=True)
    if first is None:
        return None
    cfacts, call = first
    arg = cfacts.argument(call.node, model, index)
    if arg is None:
        return None
    names = _arm_models(cfacts, call.scope, arg, call.start)
    if not names:
        return None
    warmups = [w for name in names for w in _warmups_in(cfacts, call.scope, name, call.start)]
    return CallerWarmups(cfacts, sorted(warmups, key=lambda c: c.end), call.scope, call.start)


def _warmups_before_first_call(
    facts: FileFacts, scope: Scope, model: str
) -> tuple[list[CallSite], Scope, Pos] | None:
    """A timing helper that uses a model of an enclosing scope (not a parameter): the warm-up
    may run in the caller, before the helper's first call (or before it is handed to an
    executor)."""
    # (a method's calls: `kolors.generate(...)`; a function's, and its executor hand-offs)
    handoffs = facts.executor_handoffs(scope.name) if scope.cls is None else []
    sites = sorted(facts.calls_of(scope) + handoffs, key=lambda c: c.start)
    first = _first_kept([(facts, c) for c in sites])  # calls that drop their timing warm up
    if first is None:
        return None
    site = first[1]
    warmups = _warmups_in(facts, site.scope, model, site.start)
    info = facts.classes.get(scope.cls) if scope.cls is not None else None
    if info is not None and model.startswith("self."):
        # another method of the same object that runs the model, called first
        # (`kolors.warmup(gen_args, 2)` before `kolors.generate(gen_args)`)
        warmups += [
            c
            for m in info.methods.values()
            if m is not scope and facts.summary_of(m).runs_model
            for c in facts.calls_of_method(m)
            if c.scope is site.scope and c.end <= site.start
        ]
    # the helper's own earlier calls that drop their time (`_decode(False)` before
    # `o32, t32 = _decode(autocast=False)`) ran the model through it: warm-ups
    warmups += [
        c
        for c in sites
        if c.scope is site.scope and c.end <= site.start and result_dropped(facts, c)
    ]
    warmups.sort(key=lambda c: c.end)
    if not warmups:
        return None
    return warmups, site.scope, site.start


def _arm_models(facts: FileFacts, scope: Scope, arg: cst.BaseExpression, pos: Pos) -> set[str]:
    """The model an argument holds; for a loop variable over a collection of models (arms),
    each of them."""
    if isinstance(arg, cst.Name):
        b = facts.binding_before(scope, arg.value, pos)
        if b is not None and b.kind in ("for", "comp"):
            names = set()
            for elem, escope, epos in facts.loop_values(b) or []:
                info = facts.model_info(escope, elem, epos)
                if info is not None:
                    names.add(info.name)
            if names:
                return names
    info = facts.model_info(scope, arg, pos)
    return {info.name} if info is not None else set()


# ----------------------------------------------------------- a model changed, then timed
#: Methods that change how a model runs (new kernels, shapes or graphs to warm up).
RECONFIGURE_METHODS = frozenset(
    {
        "enable_xformers_memory_efficient_attention",
        "set_attn_processor",
        "fuse_qkv_projections",
        "enable_model_cpu_offload",
        "enable_sequential_cpu_offload",
        "load_lora_weights",
        "fuse_lora",
        "set_adapters",
        "enable_freeu",
        "compile",
    }
)
#: Functions that patch a model handed to them (`tomesd.apply_patch(pipe)`,
#: `register_faster_forward(pipe.unet)`, `torch.compile(pipe.unet)`, `quantize_(pipe.unet)`).
RECONFIGURE_FUNC_RE = re.compile(r"^(?:register_|apply_|patch|compile$|quantize|enable_|wrap_)")


def _reconfigures(facts: FileFacts, call: CallSite, model: str) -> bool:
    node = call.node
    name = N.call_name(node) or ""
    if isinstance(node.func, cst.Attribute):
        receiver = N.dotted(node.func.value) or ""
        if (receiver == model or receiver.startswith(model + ".")) and (
            name in RECONFIGURE_METHODS
        ):
            return True
    if not RECONFIGURE_FUNC_RE.match(name):
        return False
    for arg in node.args:
        text = N.dotted(arg.value) or ""
        if text == model or text.startswith(model + "."):
            return True
    return False


def _method_owner(facts: FileFacts, call: CallSite) -> str | None:
    """`pipe.call(...)`, `pipe.run(...)`: a method of a known model object (a patched entry
    point the call-kind analysis does not know)."""
    func = call.node.func
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        info = facts.model_info(call.scope, func.value, call.start)
        if info is not None:
            return info.name
    return None


def handed_cold(facts: FileFacts, region: Region) -> WarmupVerdict | None:
    """A later region (not its scope's first) whose timed call hands the model another model
    that nothing ran before it (a speculative-decoding arm timed after the plain arm, its
    draft model never warmed up)."""
    if declares_setup(facts, region):
        return None
    timed = [c for c in region.calls() if facts.kind(c).model]
    if not timed:
        return None
    model = facts.kind(timed[0]).model or ""
    cold = _cold_handed_model(facts, region.scope, timed, region.content_start)
    if cold is None:
        return None
    detail = {"warmup_calls": "0", "warm_shape": cold[0], "timed_shape": cold[1]}
    return WarmupVerdict(region, model, 0, (WarmupReason.HANDED_COLD,), (), detail)


def reconfigured_cold(facts: FileFacts, region: Region) -> WarmupVerdict | None:
    """A region whose model was changed (compiled, patched, given new attention processors)
    after its last run and before the timer starts: the first timed call of the changed
    model pays for its new kernels and graphs, whatever warm-up came before the change."""
    if declares_setup(facts, region):
        return None  # timing the compilation is the point
    model = ""
    for c in region.calls():
        model = facts.kind(c).model or _method_owner(facts, c) or ""
        if model:
            break
    if not model:
        return None
    start = region.content_start
    before = [c for c in region.scope.calls if c.end <= start]
    changes = [c for c in before if _reconfigures(facts, c, model)]
    if not changes:
        return None
    last_change = max(changes, key=lambda c: c.end)
    ran_since = [c for c in before if c.start > last_change.end and facts.kind(c).model == model]
    if ran_since:
        return None
    loops = region.loops(facts)
    if loops:
        loop_start, _ = facts.pos(loops[-1])
        if loop_start > last_change.end and _sets_first_aside(facts, loops[-1]):
            return None
    changed_by = N.short(N.code(last_change.node.func)) + "(...)"
    return WarmupVerdict(
        region,
        model,
        0,
        (WarmupReason.RECONFIGURED,),
        (),
        {"warmup_calls": "0", "changed_by": changed_by},
    )


# ------------------------------------------------------------ a standard-library harness
@dataclass(frozen=True, slots=True)
class HarnessWarmup:
    """`timeit.timeit(fn, number=n)` times its first call of `fn` too, and starts its clock
    without synchronising: what the warm-up before it lacks."""

    harness: CallSite
    function: str
    reason: WarmupReason
    warmups: tuple[CallSite, ...]


def harness_warmups(facts: FileFacts) -> list[HarnessWarmup]:
    out: list[HarnessWarmup] = []
    for h in harnesses(facts):
        if h.repeat or stdlib_timeit(facts, h) is None:
            continue  # `timeit.repeat` samples: a cold first one is visible as an outlier
        fns = [f for f in timed_functions(facts, h) if facts.summary_of(f).does_work]
        if len(fns) != 1:
            continue
        fn = fns[0]
        models = {facts.kind(c).model for c in fn.calls if facts.kind(c).model}
        scope, at = h.call.scope, h.call.start
        warm = [
            c
            for c in scope.calls
            if c.end <= at
            and (
                (isinstance(c.node.func, cst.Name) and c.node.func.value == fn.name)
                or (facts.kind(c).work and facts.kind(c).model in models)
            )
        ]
        if not warm:
            if fn.name in (N.call_name(c.node) for s in facts.scopes for c in s.calls):
                continue  # called elsewhere (a caller may warm it up): unknown
            out.append(HarnessWarmup(h.call, fn.name, WarmupReason.NONE, ()))
            continue
        last = max(warm, key=lambda c: c.end)
        if (
            facts.uses_gpu
            and facts.kind(last).sync is None
            and not facts.summary_of(fn).ends_synced
            and not synced_between(facts, scope.calls, last.end, at)
        ):
            out.append(HarnessWarmup(h.call, fn.name, WarmupReason.NO_SYNC, tuple(warm)))
    return out
