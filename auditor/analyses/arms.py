"""Compared arms: which timed runs a script compares with each other, and in what order.

Three shapes are recognised, each giving arms in source order:

- *sequential*: timed regions of one function, one per arm, whose results meet in a division
  (`base_time / fast_time`, through lists, medians and tuple assignments);
- *collection*: one timed region (or a timing function's call) inside a loop over a collection of
  models or functions (`for name, pipe in arms.items()`, `for fn in (run_base, run_fast)`), or
  over checkpoints or paths from which the loop's body builds the model it times
  (`for repo in repos: pipe = Pipe.from_pretrained(repo)`: `built_in_loop`);
- *calls*: one timing function called once per arm with different models
  (`bench(base)`, `bench(fast)`), the results divided or put side by side (one dict, list or
  print; a table keyed by arm, `results["eager"] = bench(model)`).

An arm's subject is a model object or a function, or a model built from each entry; a sweep
over shapes, batch sizes or file names that builds no model is not a comparison. The order is
*interleaved* when a loop repeats the arms (`for rep in range(5): for name, pipe in
arms.items()`) or the collection is shuffled.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.facts import Binding, CallSite, FileFacts, Pos, Scope
from auditor.analyses.regions import Region, RegionKind, find_regions, reported_time


class ArmsKind(StrEnum):
    SEQUENTIAL = "sequential"
    COLLECTION = "collection"
    CALLS = "calls"


@dataclass(eq=False, slots=True)
class Arm:
    index: int
    label: str
    anchor: cst.CSTNode  # where this arm is timed or named: its region start, element or call
    scope: Scope  # where `subject` is evaluated
    pos: Pos
    subject: cst.BaseExpression | None  # the model object or function the arm runs
    region: Region | None  # its own region (sequential), or the shared one
    calls: list[CallSite] = field(default_factory=list)  # model calls it times, in this file
    element: cst.CSTNode | None = None  # collection: the arm's element in the collection


@dataclass(eq=False, slots=True)
class Comparison:
    kind: ArmsKind
    arms: list[Arm]
    interleaved: bool  # a loop repeats the arms, or their order is shuffled
    scope: Scope  # where the arms are run
    #: each arm's model is built inside the loop from its entry (a path, a model id) and gone by
    #: the next: arms that never exist side by side, so they cannot be alternated
    built_in_loop: bool = False


def comparisons(facts: FileFacts, regions: list[Region]) -> list[Comparison]:
    memo: list[Comparison] | None = facts.memo.get("comparisons")
    if memo is None:
        memo = _sequential(facts, regions) + _collections(facts, regions) + _calls(facts)
        for comp in memo:
            _distinguish(facts, comp)
        facts.memo["comparisons"] = memo
    return memo


def _distinguish(facts: FileFacts, comp: Comparison) -> None:
    """Arms that run one object reconfigured between them (`pipe` with and without a cache)
    share its name: each is named by where its time is stored (`baseline_time`,
    `taylorseer_time`), else by the line where it is timed."""
    labels = [a.label for a in comp.arms]
    if len(set(labels)) == len(labels):
        return
    stored = []
    for arm in comp.arms:
        sinks = (
            _sinks(facts, arm.region.scope, arm.region.end_node)
            if arm.region is not None
            else set()
        )
        stored.append(next(iter(sinks)) if len(sinks) == 1 else None)
    if None not in stored and len(set(stored)) == len(stored):
        for arm, name in zip(comp.arms, stored, strict=True):
            arm.label = str(name)
        return
    for arm in comp.arms:
        arm.label = f"{arm.label} (line {arm.pos[0]})"


def timed_model_calls(facts: FileFacts, calls: list[CallSite]) -> list[CallSite]:
    return [c for c in facts.reachable_calls(calls) if facts.kind(c).pipeline_call]


# ----------------------------------------------------------------------- data flow
def _sinks(facts: FileFacts, scope: Scope, node: cst.CSTNode) -> set[str]:
    """The names a timer value (or a call's result) is stored in: `x = ...`, `xs.append(...)`,
    `x += ...`, `d[k].append(...)`."""
    out: set[str] = set()
    cur: cst.CSTNode | None = node
    while cur is not None and not isinstance(cur, cst.BaseSmallStatement):
        if isinstance(cur, cst.Call) and N.call_name(cur) == "append":
            recv = N.receiver(cur)
            if recv is not None:
                out.add((N.dotted(recv) or "").split("[")[0])
        cur = facts.parents.get(cur)
    if isinstance(cur, cst.Assign):
        for t in cur.targets:
            out |= _target_names(t.target)
    elif isinstance(cur, cst.AugAssign | cst.AnnAssign):
        out |= _target_names(cur.target)
    return {n for n in out if n}


def _target_names(target: cst.BaseExpression) -> set[str]:
    if isinstance(target, cst.Tuple | cst.List):
        return {n for el in target.elements for n in _target_names(el.value)}
    name = N.dotted(target)
    return {name.split("[")[0]} if name else set()


def _derived(facts: FileFacts, scope: Scope, names: set[str]) -> set[str]:
    """Names whose value is computed from `names` (transitively, in this scope and the
    module)."""
    found = set(names)
    scopes = [scope] if scope.parent is None else [scope, facts.module_scope]
    for _ in range(4):
        grew = False
        for s in scopes:
            for b in s.bindings:
                if b.target in found or b.value is None or b.kind not in ("assign", "aug"):
                    continue
                if _mentions(facts, b.value, found):
                    found.add(b.target)
                    grew = True
        if not grew:
            break
    return found


def _mentions(facts: FileFacts, expr: cst.CSTNode, names: set[str]) -> bool:
    return not _mentioned(facts, expr).isdisjoint(names)


def _mentioned(facts: FileFacts, expr: cst.CSTNode) -> frozenset[str]:
    """The names and dotted attributes an expression reads (memoised per node)."""
    memo: dict[int, frozenset[str]] = facts.memo.setdefault("mentioned", {})
    found = memo.get(id(expr))
    if found is None:
        out: set[str] = set()

        class V(cst.CSTVisitor):
            def visit_Name(self, node: cst.Name) -> None:
                out.add(node.value)

            def visit_Attribute(self, node: cst.Attribute) -> bool:
                out.add(N.dotted(node) or "")
                return True

        expr.visit(V())
        found = memo[id(expr)] = frozenset(out)
    return found


def _divided(facts: FileFacts, scope: Scope, a: set[str], b: set[str]) -> bool:
    """Some division in the file has one side computed from `a` and the other from `b`."""
    da, db = _derived(facts, scope, a), _derived(facts, scope, b)
    if not (da - db) or not (db - da):
        return False
    da, db = da - db, db - da
    for s in {id(scope): scope, id(facts.module_scope): facts.module_scope}.values():
        for div in facts.binary_operations(s, cst.Divide):
            left, right = div.left, div.right
            if (_mentions(facts, left, da) and _mentions(facts, right, db)) or (
                _mentions(facts, left, db) and _mentions(facts, right, da)
            ):
                return True
    return False


# ---------------------------------------------------------------------- sequential
def _sequential(facts: FileFacts, regions: list[Region]) -> list[Comparison]:
    out: list[Comparison] = []
    by_scope: dict[int, list[Region]] = {}
    for r in regions:
        if r.kind is RegionKind.SPLIT:
            continue
        if timed_model_calls(facts, r.calls()):
            by_scope.setdefault(id(r.scope), []).append(r)
    rounds: list[list[Region]] = []
    for group in by_scope.values():
        pending = _outermost(group)
        while pending:  # regions in exclusive branches (`if`/`else`) never run together
            arms: list[Region] = []
            rest: list[Region] = []
            for r in pending:
                if arms and any(facts.exclusive(a.start_node, r.start_node) for a in arms):
                    rest.append(r)
                elif not arms or arms[-1].content_end <= r.content_start:
                    arms.append(r)
            rounds.append(arms)
            pending = rest
    for arms in rounds:
        if len(arms) < 2:
            continue
        sinks = [_sinks(facts, r.scope, r.end_node) for r in arms]
        pairs = [
            i
            for i in range(1, len(arms))
            if sinks[0]
            and sinks[i]
            and _divided(facts, arms[0].scope, sinks[0], sinks[i])
            and _alternatives(facts, arms[0], arms[i])
        ]
        if not pairs and reported_time(facts, arms[0]) is not None:
            # each arm's time printed on its own line (`Base model latency: ...`, then
            # `Optimized model latency: ...`): the reader compares them
            pairs = [
                i
                for i in range(1, len(arms))
                if reported_time(facts, arms[i]) is not None
                and _different_subjects(facts, arms[0], arms[i])
            ]
        if not pairs:
            continue
        chosen = [arms[0], *(arms[i] for i in pairs)]
        common = set(map(id, chosen[0].loops(facts)))
        for r in chosen[1:]:
            common &= set(map(id, r.loops(facts)))
        out.append(
            Comparison(
                ArmsKind.SEQUENTIAL,
                [
                    Arm(
                        i,
                        _region_label(facts, r),
                        r.start_node,
                        r.scope,
                        r.content_start,
                        None,
                        r,
                        timed_model_calls(facts, r.calls()),
                    )
                    for i, r in enumerate(chosen)
                ],
                interleaved=bool(common),
                scope=chosen[0].scope,
            )
        )
    return out


def _alternatives(facts: FileFacts, first: Region, second: Region) -> bool:
    """Two regions are alternatives (arms), not stages or a cold and a warm run, when they time
    the same kind of call (`pipe(...)` and `pipe(...)`, `generate` and `generate`) on
    different subjects, or on one subject whose state changes between them."""
    a = timed_model_calls(facts, first.calls())
    b = timed_model_calls(facts, second.calls())
    if sorted(map(_call_form, a)) != sorted(map(_call_form, b)):
        return False
    subjects_a = {_subject(facts, c) for c in a}
    subjects_b = {_subject(facts, c) for c in b}
    if subjects_a != subjects_b:
        return True
    if sorted(N.code(c.node) for c in a) != sorted(N.code(c.node) for c in b):
        return True  # one subject called two ways: `generate(...)` and `generate(..., assistant)`
    return _changes_between(facts, first, second, subjects_a)


def _different_subjects(facts: FileFacts, first: Region, second: Region) -> bool:
    """The two regions time the same kind of call on different models (`base.generate(...)`
    and `optimized.generate(...)`)."""
    a = timed_model_calls(facts, first.calls())
    b = timed_model_calls(facts, second.calls())
    if sorted(map(_call_form, a)) != sorted(map(_call_form, b)):
        return False
    if not {_subject(facts, c) for c in a}.isdisjoint(_subject(facts, c) for c in b):
        return False
    # stages of one run, not arms: the second consumes what the first produced (a base
    # model's latents handed to a refiner, `refiner(image=latents)`)
    produced = {n for c in a for n in _sinks(facts, first.scope, c.node)}
    return not any(produced & N.names_in(c.node) for c in b)


def _call_form(call: CallSite) -> str:
    func = call.node.func
    name = N.call_name(call.node) if isinstance(func, cst.Attribute) else "__call__"
    return "__call__" if name in ("forward", "__call__") else name or "?"


def _subject(facts: FileFacts, call: CallSite) -> str:
    return facts.kind(call).model or N.code(call.node.func)


def _changes_between(facts: FileFacts, first: Region, second: Region, subjects: set[str]) -> bool:
    """A call on a subject (`unet.fuse_qkv_projections()`), an assignment to one of its
    attributes (`model.forward = torch.compile(...)`) or a global switch between two regions."""
    after, before = first.content_end, second.content_start
    roots = {s.split(".")[0] for s in subjects}
    for c in first.scope.calls:
        if not (after <= c.start and c.end <= before) or facts.kind(c).timer:
            continue
        recv = N.dotted(N.receiver(c.node)) or ""
        if recv.split(".")[0] in roots and N.call_name(c.node) not in ("synchronize", "eval"):
            return True
        if any(q.startswith(("torch.backends.", "torch.set_float32")) for q in c.qnames):
            return True
    for b in first.scope.bindings:
        if after <= b.start and b.end <= before and "." in b.target:
            if b.target.split(".")[0] in roots or b.target.startswith("torch.backends."):
                return True
    return False


def _region_label(facts: FileFacts, region: Region) -> str:
    """`compiled` for a region that times `compiled`, else where the region starts."""
    models = {facts.kind(c).model for c in timed_model_calls(facts, region.calls())}
    if len(models) == 1:
        model = models.pop()
        if model:
            return model
    return f"the run timed at line {region.content_start[0]}"


def _outermost(regions: list[Region]) -> list[Region]:
    """Drop regions nested in another region of the group (the outer one is the arm)."""
    out: list[Region] = []
    for r in sorted(regions, key=lambda r: r.content_start):
        if any(o.content_start <= r.content_start and r.content_end <= o.content_end for o in out):
            continue
        out.append(r)
    return out


# ---------------------------------------------------------------------- collections
def _collections(facts: FileFacts, regions: list[Region]) -> list[Comparison]:
    out: list[Comparison] = []
    seen: set[int] = set()
    sites: list[tuple[CallSite, Region | None]] = []
    for r in regions:
        if r.kind is RegionKind.SPLIT:
            continue
        sites += [(c, r) for c in r.calls()]
    for scope in facts.scopes:
        for c in scope.calls:
            if times_inside(facts, c):
                sites.append((c, None))
    for call, region in sites:
        for loop in reversed(call.loops):
            if id(loop) in seen or not isinstance(loop, cst.For):
                continue
            arms = _loop_arms(facts, call, loop, region)
            built = False
            if arms is None:
                arms = _built_arms(facts, call, loop, region)
                built = arms is not None
            if arms is None:
                continue
            seen.add(id(loop))
            outer = [lp for lp in call.loops if lp is not loop and facts.encloses(lp, loop)]
            out.append(
                Comparison(
                    ArmsKind.COLLECTION,
                    arms,
                    interleaved=bool(outer) or _shuffled(facts, call.scope, loop),
                    scope=call.scope,
                    built_in_loop=built,
                )
            )
            break
    return out


def times_inside(facts: FileFacts, call: CallSite) -> bool:
    """A call of a function (here or in a sibling module) that holds a timed region."""
    for owner, fn in facts.possible_callees(call):
        if any(r.scope is fn and r.kind is not RegionKind.SPLIT for r in find_regions(owner)):
            return True
    return False


def _loop_arms(
    facts: FileFacts, call: CallSite, loop: cst.For, region: Region | None
) -> list[Arm] | None:
    """The arms a loop runs, when the call uses its variable and the loop goes over ≥2
    models or functions."""
    used = _mentioned(facts, call.node)
    for b in call.scope.bindings:
        if b.loop is not loop or b.target not in used:
            continue
        values = facts.loop_values(b)
        if not values or len(values) < 2:
            continue
        arms: list[Arm] = []
        for i, (elem, escope, epos) in enumerate(values):
            subject = _strip(elem)
            calls: list[CallSite] = []
            target = facts.callee(escope, subject, epos)
            if target is not None and target[0] is facts:
                calls = timed_model_calls(facts, target[1].calls)
            elif facts.model_info(escope, subject, epos) is None:
                return None
            anchor = region.start_node if region is not None else call.node
            element = elem if elem in facts.positions else None
            label = _label(facts, b, i, subject)
            arms.append(Arm(i, label, anchor, escope, epos, subject, region, calls, element))
        if region is not None and not any(a.calls for a in arms):
            shared = timed_model_calls(facts, region.calls())
            for a in arms:
                a.calls = shared
        return arms
    return None


def _built_arms(
    facts: FileFacts, call: CallSite, loop: cst.For, region: Region | None
) -> list[Arm] | None:
    """Arms built inside the loop: the call runs a model that the loop's body builds from the
    loop's entry (`for repo in ("sd-base", "sd-small"): pipe = Pipe.from_pretrained(repo)`),
    an entry (a checkpoint, a path, a `(name, path)` pair) of a literal collection of at least
    two."""
    targets = {b.target: b for b in call.scope.bindings if b.loop is loop and b.kind == "for"}
    if not targets:
        return None
    used = _mentioned(facts, call.node)
    for b in call.scope.bindings:
        if b.target not in used or b.kind != "assign" or b.value is None or b.loop is not None:
            continue
        if not (facts.pos(loop)[0] <= b.start <= call.start) or not facts.encloses(loop, b.value):
            continue
        if facts.model_info(call.scope, cst.Name(b.target), call.start) is None and not (
            facts.is_dynamic_module(call.scope, cst.Name(b.target), call.start)
        ):
            continue
        built_from = _mentioned(facts, b.value)
        entry = next((t for t in targets.values() if t.target in built_from), None)
        if entry is None:
            continue
        values = facts.loop_values(entry)
        if not values or len(values) < 2:
            continue
        labels = [_label(facts, entry, i, e) for i, (e, _, _) in enumerate(values)]
        anchor = region.start_node if region is not None else call.node
        shared = timed_model_calls(facts, region.calls()) if region is not None else []
        return [
            Arm(i, str(label), anchor, escope, epos, None, region, shared, elem)
            for i, (label, (elem, escope, epos)) in enumerate(zip(labels, values, strict=True))
        ]
    return None


def _label(facts: FileFacts, b: Binding, index: int, subject: cst.BaseExpression) -> str:
    """The name an arm goes by: its key in `(name, arm)` pairs or a dict, or its own name."""
    keys = facts.loop_values(replace(b, index=0)) if b.index == 1 else None
    if keys and index < len(keys):
        key = N.string_value(keys[index][0])
        if key:
            return key
    if b.index is None and isinstance(b.value, cst.Call) and N.call_name(b.value) == "values":
        func = b.value.func
        if isinstance(func, cst.Attribute):
            items = cst.Call(cst.Attribute(func.value, cst.Name("items")))
            pairs = facts.loop_values(replace(b, value=items, index=0)) or []
            key = N.string_value(pairs[index][0]) if index < len(pairs) else None
            if key:
                return key
    text = N.code(subject)
    return text if len(text) <= 40 else f"arm {index + 1}"


def _strip(expr: cst.BaseExpression) -> cst.BaseExpression:
    """`base.to("cuda")` names the arm `base`."""
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        if N.call_name(expr) not in ("to", "cuda", "eval", "half", "bfloat16", "float"):
            break
        expr = expr.func.value
    return expr


def _shuffled(facts: FileFacts, scope: Scope, loop: cst.For) -> bool:
    names = N.names_in(loop.iter)
    for c in scope.calls:
        if N.call_name(c.node) in ("shuffle", "sample", "permutation") and (
            N.names_in(c.node) & names
        ):
            return True
    return False


# ---------------------------------------------------------------------------- calls
def _calls(facts: FileFacts) -> list[Comparison]:
    out: list[Comparison] = []
    for scope in facts.scopes:
        by_func: dict[str, list[CallSite]] = {}
        for c in scope.calls:
            if isinstance(c.node.func, cst.Name) and times_inside(facts, c):
                by_func.setdefault(c.node.func.value, []).append(c)
        for sites in by_func.values():
            arms = _call_arms(facts, sites)
            if arms is None:
                continue
            sinks = [_sinks(facts, scope, a.anchor) for a in arms]
            if not _side_by_side(facts, scope, arms) and (
                not sinks[0]
                or not any(s and _divided(facts, scope, sinks[0], s) for s in sinks[1:])
            ):
                continue
            for a, site in zip(arms, sorted(sites, key=lambda c: c.start), strict=True):
                a.label = _key_label(facts, a.scope, a.anchor) or a.label
                a.calls = [  # the model calls its timing function makes (in this file)
                    c
                    for owner, fn in facts.possible_callees(site)
                    if owner is facts
                    for c in timed_model_calls(facts, fn.calls)
                ]
            common = set(map(id, sites[0].loops))
            for s in sites[1:]:
                common &= set(map(id, s.loops))
            out.append(Comparison(ArmsKind.CALLS, arms, interleaved=bool(common), scope=scope))
    return out


#: Calls that put values side by side for a reader: a printed or logged line, a table row.
SIDE_BY_SIDE_CALLS = frozenset(
    {"print", "info", "log", "write", "format", "add_row", "append_row", "tabulate", "DataFrame"}
)


def _side_by_side(facts: FileFacts, scope: Scope, arms: list[Arm]) -> bool:
    """The arms' results meet without a division: the timing calls are elements of one dict,
    list or tuple or arguments of one print (`{"base": bench(base), "fast": bench(fast)}`),
    or each result is stored under its own string key of one table (`results["base"] = ...`)."""
    first, second = arms[0].anchor, arms[1].anchor
    holder = _holder(facts, first)
    if holder is not None and holder is _holder(facts, second):
        return True
    keys = [_stored_key(a.scope, a.anchor) for a in arms[:2]]
    if (
        keys[0] is not None
        and keys[1] is not None
        and keys[0][0] == keys[1][0]
        and keys[0][1] != keys[1][1]
    ):
        return True
    # each result appended to one list of results (`df_onnx = bench(onnx_model)`,
    # `res.append(df_onnx)`, then the same for `df_pt`): a results table of the arms
    tables = [_appended_to(facts, a) for a in arms[:2]]
    if tables[0] & tables[1]:
        return True
    # each arm's time printed on its own line (`print("eager:", timed(...))`, then
    # `print("compile:", timed(...))`): the reader compares them
    return all(
        isinstance(h, cst.Call) and N.call_name(h) in N.REPORT_CALLS
        for h in (_holder(facts, a.anchor) for a in arms)
    )


def _appended_to(facts: FileFacts, arm: Arm) -> set[str]:
    """The lists the arm's result is appended to, in its scope: directly
    (`results.append(bench(m))`) or through the name it is stored in."""
    held = _sinks(facts, arm.scope, arm.anchor)
    return {
        N.dotted(c.node.func.value) or ""
        for c in facts.appends_of(arm.scope, arm.anchor, held)
        if isinstance(c.node.func, cst.Attribute)
    } - {""}


def _key_label(facts: FileFacts, scope: Scope, node: cst.CSTNode) -> str | None:
    """The string key a timing call's result is stored under, in a dict literal or a table."""
    parent = facts.parents.get(node)
    if isinstance(parent, cst.DictElement) and parent.value is node:
        return N.string_value(parent.key)
    stored = _stored_key(scope, node)
    if stored:
        return stored[1]
    # the text a print puts before it (`print("compile:", timed(...))`)
    holder = _holder(facts, node)
    if not isinstance(holder, cst.Call) or N.call_name(holder) not in N.REPORT_CALLS:
        return None
    first = holder.args[0].value if holder.args else None
    text = N.string_value(first) if first is not None and first is not node else None
    if text is None and isinstance(first, cst.FormattedString):
        lead = first.parts[0] if first.parts else None
        text = lead.value if isinstance(lead, cst.FormattedStringText) else None
    label = (text or "").strip(" :=-\t")
    return label or None


def _holder(facts: FileFacts, node: cst.CSTNode) -> cst.CSTNode | None:
    """The innermost literal collection or reporting call that holds `node` as (part of) one of
    its elements or arguments, within its statement."""
    for anc in facts.ancestors(node):
        if isinstance(anc, cst.BaseStatement | cst.BaseSmallStatement | cst.Lambda):
            return None
        if isinstance(anc, cst.Dict | cst.List | cst.Tuple):
            return anc
        if isinstance(anc, cst.Call) and N.call_name(anc) in SIDE_BY_SIDE_CALLS:
            return anc
    return None


def _stored_key(scope: Scope, node: cst.CSTNode) -> tuple[str, str] | None:
    """`table["key"] = <node>`: the table and the key, from the assignment's binding."""
    for b in scope.bindings:
        if b.value is node and b.kind == "assign" and b.key:
            return b.target, b.key
    return None


def _call_arms(facts: FileFacts, sites: list[CallSite]) -> list[Arm] | None:
    if len(sites) < 2:
        return None
    arms: list[Arm] = []
    subjects: set[tuple[str, Pos | None]] = set()  # a name rebound between arms is two arms
    for i, site in enumerate(sorted(sites, key=lambda c: c.start)):
        subject = next(
            (
                value
                for value in _handed_values(facts, site)
                if facts.model_info(site.scope, value, site.start) is not None
                or facts.is_dynamic_module(site.scope, value, site.start)
            ),
            None,
        )
        if subject is None or any(
            isinstance(a, cst.For) and N.names_in(a.target) & N.names_in(subject)
            for a in site.loops
        ):
            return None
        held = (
            facts.binding_before(site.scope, subject.value, site.start)
            if isinstance(subject, cst.Name)
            else None
        )
        subjects.add((N.code(subject), held.start if held is not None else None))
        arms.append(Arm(i, N.code(subject), site.node, site.scope, site.start, subject, None))
    return arms if len(subjects) == len(arms) else None


def _handed_values(facts: FileFacts, site: CallSite) -> list[cst.BaseExpression]:
    """What a timing call hands over: its arguments, and for a lambda that makes one call
    (`timed(lambda: evaluate_opt(model, inp))`) the function it calls and that call's
    arguments."""
    out: list[cst.BaseExpression] = []
    for a in site.node.args:
        made = N.lambda_call(a.value)
        if made is not None:
            out.append(made.func)
            out += [b.value for b in made.args]
        else:
            out.append(a.value)
    return out


# ------------------------------------------------------------------------ questions
def runs_once(facts: FileFacts, comp: Comparison) -> Region | None:
    """When every arm is one model call timed once (no loop repeats it, no loop inside the
    region), the first arm's region; else None."""
    if comp.interleaved:
        return None
    if comp.kind is ArmsKind.CALLS:
        return _helper_runs_once(facts, comp)
    allowed: set[int] = set()
    if comp.kind is ArmsKind.COLLECTION:
        allowed = {id(lp) for a in comp.arms if a.region for lp in a.region.loops(facts)[-1:]}
    for arm in comp.arms:
        region = arm.region
        if region is None or region.scope is not comp.scope:
            return None
        if any(id(lp) not in allowed for lp in region.loops(facts)):
            return None
        inside = [c for c in arm.calls if c.scope is region.scope]
        if len(arm.calls) != 1 or len(inside) != 1:
            return None
        if len(inside[0].loops) > len(region.loops(facts)):
            return None  # a loop inside the region repeats the call
    first = comp.arms[0].region
    return first


def _helper_runs_once(facts: FileFacts, comp: Comparison) -> Region | None:
    """Arms timed by calls of a timing function of this file (`print("eager:", timed(lambda:
    run(model)))`, then the same for the compiled one): each call made once, outside any loop,
    of a function whose one timed region runs one call once. The helper's region."""
    helper: Region | None = None
    for arm in comp.arms:
        site = facts.site_of(arm.anchor)
        if site is None or site.loops:
            return None
        owned = [fn for owner, fn in facts.possible_callees(site) if owner is facts]
        if len(owned) != 1:
            return None
        regions = [r for r in find_regions(facts) if r.scope is owned[0]]
        if len(regions) != 1 or regions[0].loops(facts):
            return None
        inside = [c for c in regions[0].calls() if facts.kind(c).work]
        if len(inside) != 1 or inside[0].loops:
            return None
        helper = helper or regions[0]
    return helper


def second_arm_start(comp: Comparison) -> cst.CSTNode | None:
    """Where the second arm's timing starts: its region's opening read, or its call."""
    if len(comp.arms) < 2:
        return None
    return comp.arms[1].anchor
