"""How many times a timed region runs: once (one sample), a few times (a mean of a handful), or
enough. Statistics without a division: a reported time is one number whether or not the file
compares two arms.

A region "runs once" when no loop of its scope encloses it, no loop inside it repeats the model
work, and its function is not called from a loop in this file (its callers are followed). A
region runs "a few times" when a `for ... in range(N)` repeats it (or the work in it) with N a
literal or a command-line default of at most `FEW_RUNS`, less the iterations the script
discards (`times[1:]`, `times.pop(0)`), and the file computes no spread (a standard deviation,
percentiles, min/max of the samples) that would show how noisy that mean is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.facts import (
    EXECUTOR_METHODS,
    MAPPING_METHODS,
    THREAD_STARTERS,
    CallSite,
    FileFacts,
    Scope,
)
from auditor.analyses.regions import Region, declares_setup, never_read
from auditor.analyses.timed import setup_in_regions

#: A mean of this many runs or fewer, with no spread, is a finding. Four: the few-run means
#: labelled in the real development corpus had two to four timed runs (a total over four
#: batches compared across variants), while careful scripts with five recorded runs are common.
FEW_RUNS = 4
#: Words that show the script looks at the spread of its samples.
SPREAD_RE = re.compile(
    r"\b(?:std|stdev|pstdev|variance|var|percentile|quantile|iqr|sem|median_abs_deviation|"
    r"confidence|ci95|blocked_autorange|adaptive_autorange)\b"
)
MIN_RE = re.compile(r"\bmin\(|\[[\"']min[\"']\]")
MAX_RE = re.compile(r"\bmax\(|\[[\"']max[\"']\]")


def computes_spread(source: str) -> bool:
    """A standard deviation, percentiles or an interval, or both a min and a max."""
    if SPREAD_RE.search(source) is not None:
        return True
    return MIN_RE.search(source) is not None and MAX_RE.search(source) is not None


#: A discarded first iteration: `times[1:]`, `times.pop(0)`, `del times[0]`.
DISCARD_RE = re.compile(
    r"([A-Za-z_]\w*)\[\s*(\d+)\s*:\s*\]|([A-Za-z_]\w*)\.pop\(\s*0\s*\)"
    r"|del\s+([A-Za-z_]\w*)\[\s*0\s*\]"
)


@dataclass(frozen=True, slots=True)
class Repetition:
    region: Region
    runs: int  # timed runs that count (1: a single sample)
    work: CallSite  # the model call timed
    source: str  # where the count comes from: "once", "range(3)", "--runs (default 3)"
    printed_each: bool = False  # each run's time is printed on its own (not averaged)


def _model_calls(facts: FileFacts, region: Region) -> list[CallSite]:
    calls = region.calls()
    found = [
        c
        for c in facts.reachable_calls(calls)
        if facts.kind(c).model is not None or facts.kind(c).pipeline_call
    ]
    # else a call of a project module's function or method that runs the model there
    # (`runner.render(prompt)` on a class defined in another module)
    return found or [c for c in calls if c.scope is region.scope and facts.kind(c).runs_model]


#: Calls that run a handed function once per item (`pool.map`, `asyncio.gather`).
MAPPING_CALLS = MAPPING_METHODS | {"gather", "submit"}


def _mapped(facts: FileFacts, call: CallSite) -> bool:
    """The call sits inside the arguments of a mapping call (`executor.map(lambda p: post(p),
    prompts)`): it runs once per item."""
    return any(
        isinstance(anc, cst.Call) and N.call_name(anc) in MAPPING_CALLS
        for anc in facts.ancestors(call.node)
    )


def _shown(facts: FileFacts, region: Region, work: list[CallSite]) -> CallSite:
    """The call a finding names: the region's own call that leads to the model work when that
    work is in a function it calls (`main()` rather than a call inside `main`)."""
    if work[0].scope is not region.scope:
        for c in region.calls():
            if c.scope is region.scope and facts.kind(c).work:
                return c
    return work[0]


def _called_in_a_loop(facts: FileFacts, scope: Scope) -> bool | None:
    """Whether `scope`'s function is called from a loop of this file, directly or through its
    callers: True, False, or None when it is a method this file never calls or the function
    is handed elsewhere (a callback: unknown). Answered once per function."""
    if isinstance(scope.node, cst.Module):
        return False
    if scope.cls is not None and (scope.name.startswith("__") or not facts.calls_of_method(scope)):
        return None  # a method this file never calls (or a dunder Python calls): unknown
    memo: dict[int, bool | None] = facts.memo.setdefault("called-in-a-loop", {})
    if id(scope) not in memo:
        if facts.serving_client and _one_gathered_burst(facts, scope):
            memo[id(scope)] = False  # every request of one burst, sent together
        elif _model_sweep(facts, scope):
            memo[id(scope)] = False  # each model of the sweep is measured in one call
        elif _reaches_a_loop(facts, scope, set()):
            memo[id(scope)] = True
        elif (
            _handed_elsewhere(facts, scope.name)
            or facts.installed_as_hook(scope)
            or _from_uncalled_method(facts, scope, set())
        ):
            memo[id(scope)] = None
        else:
            memo[id(scope)] = False
    return memo[id(scope)]


def _one_gathered_burst(facts: FileFacts, scope: Scope) -> bool:
    """Every call of the coroutine `scope` builds the awaitables of one gather (`tasks =
    [asyncio.create_task(measure(s, url)) for i in range(n)]`, then `await asyncio.gather(*tasks)`)
    in a function that is not itself repeated: the requests of a single burst, sent at once,
    not a repeat of one measurement."""
    if not isinstance(scope.node, cst.FunctionDef) or scope.node.asynchronous is None:
        return False
    memo: dict[int, bool] = facts.memo.setdefault("one-gathered-burst", {})
    if id(scope) not in memo:
        memo[id(scope)] = _every_call_one_burst(facts, scope)
    return memo[id(scope)]


def _every_call_one_burst(facts: FileFacts, scope: Scope) -> bool:
    sites = facts.calls_to_function(scope.name)
    if not sites:
        return False
    for site in sites:
        comp = next(
            (
                a
                for a in facts.ancestors(site.node)
                if isinstance(a, cst.ListComp | cst.GeneratorExp)
            ),
            None,
        )
        if comp is None:
            return False
        outer = [lp for lp in site.loops if not N.contains(comp, lp)]
        if outer:
            return False  # a loop around the comprehension repeats the burst
        if _reaches_a_loop(facts, site.scope, set()):
            return False  # the burst itself is repeated
    return True


def _model_sweep(facts: FileFacts, scope: Scope) -> bool:
    """Every call of the function `scope` sits in a loop over a collection and hands it the
    loop's variable, which the function loads a model from (`for label, repo in
    models.items(): measure_model(repo, ...)` with `from_pretrained(model_name)` inside): a
    sweep over models, each measured by one call, not a repeat of one measurement."""
    if scope.cls is not None or isinstance(scope.node, cst.Module):
        return False
    loaded = {
        name
        for c in scope.calls
        # (`from_pretrained(repo)`, `whisper.load_model(model_name)`)
        if N.call_name(c.node) in N.LOAD_METHODS
        or N.MODEL_BUILDER_RE.match(N.call_name(c.node) or "")
        for arg in c.node.args[:1]
        for name in N.names_in(arg.value)
    } & set(scope.params)
    if loaded and _swept(facts, scope, loaded):
        return True
    # `for prec in precisions: model, tok = load_model(model_id, prec); run(model, tok, ...)`:
    # each iteration builds the model the function is handed from the loop's variable
    sites = facts.calls_to_function(scope.name)
    return bool(sites) and all(_handed_model_built_from_loop(facts, site) for site in sites)


def _handed_model_built_from_loop(facts: FileFacts, site: CallSite) -> bool:
    """`site` sits in a loop over a collection and hands the function a model built in the
    same iteration from the loop's variable."""
    loop = site.loops[-1] if site.loops else None
    if not isinstance(loop, cst.For) or _is_range(loop):
        return False
    targets = N.names_in(loop.target)
    start, end = facts.pos(loop)
    for arg in site.node.args:
        if not isinstance(arg.value, cst.Name):
            continue
        b = facts.binding_before(site.scope, arg.value.value, site.start)
        if b is None or b.kind != "assign" or not (start <= b.start <= end):
            continue
        value = b.value
        if value is None:  # `model, tok = load_model(name)`: the call it is unpacked from
            unpacked = facts.unpacked_from(site.scope, arg.value.value, site.start)
            value = unpacked[0].node if unpacked else None
        if not isinstance(value, cst.Call) or not N.names_in(value) & targets:
            continue
        name = N.call_name(value) or ""
        if name in N.LOAD_METHODS or N.MODEL_BUILDER_RE.match(name):
            return True
    return False


def _swept(facts: FileFacts, scope: Scope, params: set[str] | None = None) -> bool:
    """Every call of the function `scope` sits in a loop over a collection (not a `range`)
    and hands it the loop's variable (for one of `params`, when given)."""
    sites = facts.calls_to_function(scope.name)
    if not sites:
        return False
    for site in sites:
        loop = site.loops[-1] if site.loops else None
        if not isinstance(loop, cst.For) or _is_range(loop):
            return False
        targets = N.names_in(loop.target)
        handed = False
        for i, arg in enumerate(site.node.args):
            param = FileFacts.param_for(site, scope, i)
            if (params is None or param in params) and N.names_in(arg.value) & targets:
                handed = True
        if not handed:
            return False
    return True


def _from_uncalled_method(facts: FileFacts, scope: Scope, seen: set[int]) -> bool:
    """Whether a chain of callers of `scope` starts at a method this file never calls (a task
    a framework runs, `@task def generate_text(self)`): how often it runs is not here."""
    if isinstance(scope.node, cst.Module) or id(scope) in seen:
        return False
    seen.add(id(scope))
    sites = facts.calls_of(scope)
    if scope.cls is not None and not sites:
        return True
    return any(_from_uncalled_method(facts, site.scope, seen) for site in sites)


def _reaches_a_loop(facts: FileFacts, scope: Scope, seen: set[int]) -> bool:
    """Whether a call of `scope`'s function, or of a function that calls it, sits in a loop
    (or in the arguments of a mapping call).
    Each caller is searched once (`seen`): reaching a loop does not depend on the way there."""
    if isinstance(scope.node, cst.Module):
        return False
    sites = facts.calls_of(scope)
    if any(site.loops or _mapped(facts, site) for site in sites):
        return True  # (in a loop, or mapped over a collection: `pool.map(lambda p: f(p), ps)`)
    seen.add(id(scope))
    return any(
        id(site.scope) not in seen and _reaches_a_loop(facts, site.scope, seen) for site in sites
    )


#: Sleeps by which a client paces its requests on a schedule.
PACING_SLEEPS = frozenset({"asyncio.sleep", "time.sleep"})


#: Calls that wait for many requests at once.
GATHERS = frozenset({"asyncio.gather", "asyncio.wait", "concurrent.futures.wait"})


def _bursts(facts: FileFacts, region: Region) -> bool:
    """The region sends many requests at once: through an executor, threads, or a gather."""
    return any(
        N.call_name(c.node) in EXECUTOR_METHODS or c.qnames & (THREAD_STARTERS | GATHERS)
        for c in region.calls()
    )


def _paced(facts: FileFacts, region: Region) -> bool:
    """The timed work sleeps between sends (`await asyncio.sleep(start + req.time - now)`): an
    open-loop replay of arrivals over a stretch of time, not a burst."""
    return any(c.qnames & PACING_SLEEPS for c in facts.reachable_calls(region.calls()))


def _load_sweep(facts: FileFacts, scope: Scope) -> bool:
    """Every call of the function `scope` sits in a loop over a collection (not a `range`) and
    hands it the loop's variable (`for level in CONCURRENT_LEVELS: run(level)`): a client
    benchmark swept over loads or settings, each timed once, not a repeat of one."""
    return _swept(facts, scope)


def _importer_repeats(facts: FileFacts, scope: Scope) -> bool:
    """A module-level function nothing in its file calls, which another project module
    imports and calls from a loop (its repeats are there: `for _ in range(args.repeats):
    latency = greedy_decode(...)`). Asked only of a region about to be reported as run once:
    finding the importers reads the project."""
    return any(
        site.loops or _reaches_a_loop(user, site.scope, set())
        for user, site in facts.callers_elsewhere(scope)
    )


def _uncalled_api(facts: FileFacts, scope: Scope) -> bool:
    """A module-level function that returns what it measured and that nothing in the project
    calls (`infer_input_ids(...)` returning `{"time": decode_time, ...}`): library API whose
    callers, and how often they call it, are not here."""
    if scope.parent is None or not isinstance(scope.parent.node, cst.Module):
        return False
    if not any(r.value is not None for r in scope.returns):
        return False
    if scope.cls is not None:
        return not facts.calls_of_method(scope)  # a method: its calls in this file
    if facts.calls_to_function(scope.name) or facts.callers_elsewhere(scope):
        return False
    project = facts.project
    if project is None:
        return True
    called = re.compile(rf"\b{re.escape(scope.name)}\s*\(")  # `evaluator.simple_evaluate(`
    return not any(called.search(project.text(path) or "") for path in project.importer_paths())


#: Command-line entry points that run the function they are handed once.
CLI_ENTRIES = ("Fire", "typer.run", "CLI", "defopt.run")


def _without_cli_entry(source: str, name: str) -> str:
    for entry in CLI_ENTRIES:
        source = source.replace(f"{entry}({name})", "")
    return source


def _handed_elsewhere(facts: FileFacts, name: str) -> bool:
    """`name` passed as a value (to a harness, an executor, a list of arms), not only called."""
    source = _without_cli_entry(facts.source, name)  # `fire.Fire(main)` runs it once
    if f"({name})" in source or f"({name}," in source:
        return True
    return f"{name}," in source.replace(f"def {name}", "")


def _range_count(facts: FileFacts, scope: Scope, loop: cst.CSTNode) -> tuple[int, str] | None:
    """`for _ in range(N)` with N a literal or a command-line default (possibly `args.n - 2`,
    or a local bound to either): (N, how it was found)."""
    call = _range_call(loop)
    if call is None or not call.args or len(call.args) > 2:
        return None
    pos, _ = facts.pos(loop)
    start = 0
    if len(call.args) == 2:
        first = facts.int_of(scope, call.args[0].value, pos)
        if first is None:
            return None
        start = first[0]
    found = facts.int_of(scope, call.args[-1].value, pos)
    if found is None:
        return None
    value, text = found
    return value - start, text


def _range_call(loop: cst.CSTNode) -> cst.Call | None:
    """The `range(...)` a `for` loop counts, also through a progress bar
    (`tqdm(range(n), desc=...)`)."""
    if not isinstance(loop, cst.For) or not isinstance(loop.iter, cst.Call):
        return None
    call = loop.iter
    if N.call_name(call) in ("tqdm", "track") and call.args:
        inner = call.args[0].value
        if not isinstance(inner, cst.Call):
            return None
        call = inner
    return call if N.code(call.func) == "range" else None


def _is_range(loop: cst.CSTNode) -> bool:
    return _range_call(loop) is not None


def _discarded(facts: FileFacts) -> int:
    """Runs set aside from a list of recorded samples (`times[2:]`, `times.pop(0)`): only a
    list the file appends to counts (`embeddings[1:]` discards no run)."""
    found = []
    for m in DISCARD_RE.finditer(facts.source):
        name = m.group(1) or m.group(3) or m.group(4)
        if re.search(rf"\b{re.escape(name)}\s*\.\s*(?:append|extend)\(", facts.source):
            found.append(int(m.group(2)) if m.group(2) else 1)
    return max(found, default=0)


def _printed_each_run(region: Region, loop: cst.CSTNode) -> bool:
    """A print (or log) inside `loop` at or after the region's closing read (`print(f"{t() -
    t0}")` included): every run is shown."""
    return any(
        loop in c.loops and c.end >= region.content_end and N.call_name(c.node) in N.REPORT_CALLS
        for c in region.scope.calls
    )


def kept_after_loop(facts: FileFacts, region: Region) -> CallSite | None:
    """`samples.append(elapsed)` written after the timing loop instead of in it (dedented): a
    region repeated by a loop whose elapsed time, computed in the loop, is stored once, after
    it, so only the last iteration's time is kept. The store, or None."""
    loops = region.loops(facts)
    if not loops:
        return None
    loop = loops[-1]
    scope = region.scope
    loop_start, loop_end = facts.pos(loop)
    # names holding the closing read, then the elapsed times computed from them in the loop
    end_start, _ = facts.pos(region.end_node)
    timed: set[str] = set()
    elapsed: set[str] = set()
    for b in sorted(scope.bindings, key=lambda b: b.start):
        if b.kind != "assign" or b.value is None or not loop_start <= b.start < loop_end:
            continue
        if b.value is region.end_node:
            timed.add(b.target)
        elif b.start >= end_start and (
            N.contains(b.value, region.end_node) or N.names_in(b.value) & (timed | elapsed)
        ):
            elapsed.add(b.target)
    if not elapsed:
        return None
    for c in scope.calls:
        func = c.node.func
        if c.start < loop_end or c.loops != loops[:-1]:
            continue
        if not isinstance(func, cst.Attribute) or func.attr.value not in ("append", "extend"):
            continue
        if len(c.node.args) == 1 and N.names_in(c.node.args[0].value) & elapsed:
            rebound = [
                b for b in scope.bindings if b.target in elapsed and loop_end <= b.start < c.start
            ]
            return None if rebound else c
    return None


#: Keywords of a timed call that set what is measured: a loop that feeds them varies the
#: configuration, it does not repeat a measurement.
SWEPT_KEYWORDS = frozenset(
    {
        "num_inference_steps",
        "height",
        "width",
        "guidance_scale",
        "max_new_tokens",
        "max_length",
        "num_images_per_prompt",
        "batch_size",
    }
)


#: Keywords that carry the input of a call (a loop feeding them is a loop over inputs).
INPUT_KEYWORDS = frozenset(
    {"prompt", "prompts", "input_ids", "inputs", "messages", "image", "images", "text", "x"}
)


def _keyed_by(node: cst.CSTNode | None, names: set[str]) -> bool:
    """`results[name] = ...` (or `+=`) with `name` among `names`."""
    if isinstance(node, cst.Assign):
        targets = [t.target for t in node.targets]
    elif isinstance(node, cst.AugAssign | cst.AnnAssign):
        targets = [node.target]
    else:
        return False
    return any(
        isinstance(t, cst.Subscript) and bool(N.names_in(t.slice[0].slice) & names)
        for t in targets
        if isinstance(t, cst.Subscript) and t.slice
    )


def _sweep(facts: FileFacts, region: Region, own: list[CallSite], loop: cst.CSTNode) -> str | None:
    """A loop over configurations (schedulers, step counts, models) whose every iteration
    times one call and reports it on its own: each configuration is one sample. The loop's
    variable must configure the timed model (an attribute or method of it set from the
    variable, the model itself taken from it) or feed a keyword that sets what is measured,
    and each iteration's time must be printed or stored under the variable. A loop over
    prompts or inputs does neither, and is left alone."""
    if not isinstance(loop, cst.For) or not own:
        return None
    targets = N.names_in(loop.target)
    if not targets:
        return None
    scope = region.scope
    loop_start, loop_end = facts.pos(loop)
    call = own[0]
    func = call.node.func
    model = N.dotted(func.value if isinstance(func, cst.Attribute) else func) or ""
    model = model.split(".")[0]
    configures = False
    for arg in call.node.args:
        fed = bool(N.names_in(arg.value) & targets)
        if fed and (arg.keyword is None or arg.keyword.value in INPUT_KEYWORDS):
            return None  # the loop hands out the inputs: a repeat over prompts, not a sweep
        if arg.keyword is not None and arg.keyword.value in SWEPT_KEYWORDS:
            configures |= fed
        elif arg.star == "**":
            configures |= _kwargs_swept(facts, scope, arg.value, targets, call)
    for b in scope.bindings:
        if not loop_start <= b.start < region.content_start:
            continue
        if b.target == model and b.kind == "for":
            configures = True  # the loop hands out the models themselves
        elif (b.target == model or b.target.startswith(model + ".")) and b.value is not None:
            configures |= bool(N.names_in(b.value) & targets)
    for c in scope.calls:
        if not loop_start <= c.start < region.content_start:
            continue
        receiver = N.receiver(c.node)
        if receiver is not None and (N.dotted(receiver) or "").split(".")[0] == model:
            configures |= any(N.names_in(a.value) & targets for a in c.node.args)
    if not model or not configures:
        return None
    reported = _printed_each_run(region, loop) or any(
        region.content_start <= b.start
        and region.content_end <= b.end <= loop_end
        and "[" in b.target
        and _keyed_by(facts.binding_node(b), targets)
        for b in scope.bindings
    )
    if not reported:
        return None
    what = N.short(N.code(loop.iter))
    return f"each `{N.short(N.code(loop.target))}` in `{what}` is timed once"


def _kwargs_swept(
    facts: FileFacts, scope: Scope, value: cst.BaseExpression, targets: set[str], call: CallSite
) -> bool:
    """`pipe(**kwarg_inputs)` where the keywords were built in the loop with a swept setting
    from its variable: a dict (`{"height": height}`, `dict(width=width)`) or what a function
    defined in the loop returns (`kwarg_inputs = get_kwarg_inputs()`, whose body reads the
    loop's `height` and `width` for those keywords)."""
    built, vscope, vpos = facts.resolve(scope, value, call.start)
    nodes: list[cst.CSTNode] = [built]
    if isinstance(built, cst.Call) and not (
        isinstance(built.func, cst.Name) and built.func.value == "dict"
    ):
        target = facts.callee(vscope, built.func, vpos)
        if target is None or target[1].parent is not scope:
            return False  # only a closure of the timing function sees the loop's variable
        nodes = [target[1].node]
    return any(_sets_swept(node, targets) for node in nodes)


def _sets_swept(node: cst.CSTNode, targets: set[str]) -> bool:
    """A swept keyword (`height`) given a value read from `targets` anywhere in `node`: a dict
    entry, a keyword argument, or `kwargs["height"] = ...`."""
    found = False

    class V(cst.CSTVisitor):
        def visit_DictElement(self, el: cst.DictElement) -> None:
            nonlocal found
            if N.string_value(el.key) in SWEPT_KEYWORDS and N.names_in(el.value) & targets:
                found = True

        def visit_Arg(self, arg: cst.Arg) -> None:
            nonlocal found
            word = arg.keyword.value if arg.keyword is not None else None
            if word in SWEPT_KEYWORDS and N.names_in(arg.value) & targets:
                found = True

        def visit_Assign(self, assign: cst.Assign) -> None:
            nonlocal found
            for t in assign.targets:
                sub = t.target
                if (
                    isinstance(sub, cst.Subscript)
                    and len(sub.slice) == 1
                    and isinstance(sub.slice[0].slice, cst.Index)
                    and N.string_value(sub.slice[0].slice.value) in SWEPT_KEYWORDS
                    and N.names_in(assign.value) & targets
                ):
                    found = True

    node.visit(V())
    return found


def repetitions(facts: FileFacts, regions: list[Region]) -> list[Repetition]:
    """The regions around model work that run once, or a few times with no spread computed.
    A region that also times loading the model is left to BA204, and one that declares a
    set-up measurement ("Compilation time") is skipped: one run of set-up is the point."""
    out: list[Repetition] = []
    spread = computes_spread(facts.source)
    with_setup = {id(hit.region) for hit in setup_in_regions(facts, regions) if not hit.helper}
    for region in regions:
        work = _model_calls(facts, region)
        if not work or id(region) in with_setup or declares_setup(facts, region):
            continue
        if never_read(facts, region):
            continue
        own = [c for c in work if c.scope is region.scope]
        # work handed to an executor in a loop (`pool.submit(generate, i)` per image) is a
        # total over the loop's items, as if the loop called the model itself
        own += [
            c
            for c in region.calls()
            if c.scope is region.scope
            and N.call_name(c.node) in EXECUTOR_METHODS
            and facts.possible_callees(c)
        ]
        around = region.loops(facts)
        inside = {
            id(lp): lp
            for c in own
            for lp in c.loops[len(around) :]
            # (a loop over the call's own stream, `for chunk in llm(..., stream=True)`,
            # reads one request's pieces: it repeats nothing)
            if not (isinstance(lp, cst.For) and N.contains(lp.iter, c.node))
        }
        kept = kept_after_loop(facts, region)
        if kept is not None:
            store = N.short(N.code(kept.node))
            out.append(
                Repetition(
                    region,
                    1,
                    work[0],
                    f"`{store}` at line {kept.start[0]} runs after the loop "
                    "that times it, so only the last run is kept",
                )
            )
            continue
        repeated = _called_in_a_loop(facts, region.scope)
        if repeated is None:
            continue
        if not around and not inside and not repeated:
            if facts.serving_client and (
                any(_mapped(facts, c) for c in region.calls() if facts.kind(c).work)
                or _one_gathered_burst(facts, region.scope)
            ):
                # requests mapped over the prompts (`pool.map(lambda p: post(url, p), ...)`)
                out.append(
                    Repetition(
                        region, 1, _shown(facts, region, work), "one burst of requests, timed once"
                    )
                )
            elif (
                not _importer_repeats(facts, region.scope)
                and not facts.handed_by_importers(region.scope)
                and not _uncalled_api(facts, region.scope)
            ):
                out.append(Repetition(region, 1, _shown(facts, region, work), "once"))
            continue
        if (
            repeated
            and facts.serving_client
            and not around
            and _bursts(facts, region)
            and _load_sweep(facts, region.scope)
            and not _paced(facts, region)
        ):
            # each load level (`for level in CONCURRENT_LEVELS`) is one burst; a client that
            # paces its requests on a schedule (a rate, sleeps) measures a stretch of load
            repeated = False
        if not around and not repeated and facts.serving_client:
            # a client benchmark that times one burst of requests: the burst is one sample
            out.append(
                Repetition(
                    region, 1, _shown(facts, region, work), "one burst of requests, timed once"
                )
            )
            continue
        if not inside and not repeated and around and not any(_is_range(lp) for lp in around):
            swept = _sweep(facts, region, own, around[-1])
            if swept is not None:
                out.append(Repetition(region, 1, work[0], swept))
                continue
        if spread or repeated:
            continue
        # Counted repeats are `range(N)` loops. A loop over a collection around the region may
        # be a sweep of configurations or a repeat over prompts (which one is not known), and
        # one inside it is a total over its items: neither is counted, nor is the region.
        if any(not _is_range(lp) for lp in inside.values()):
            continue
        loops = [lp for lp in [*around, *inside.values()] if _is_range(lp)]
        if not loops:
            continue
        count = _range_count(facts, region.scope, loops[-1])
        if len(loops) != 1 or count is None:
            continue
        discarded = _discarded(facts)
        runs = count[0] - discarded
        printed = _printed_each_run(region, loops[-1])
        if runs > 2 and printed:
            continue  # three runs, each printed: the reader sees their spread
        source = count[1] + (f", less {discarded} set aside" if discarded else "")
        if 1 <= runs <= FEW_RUNS:
            out.append(Repetition(region, runs, work[0], source, printed_each=printed))
    return out
