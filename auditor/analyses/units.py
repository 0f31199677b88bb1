"""Units of time values: a total over a workload, a per-call or per-sample time, a throughput.

Units flow through assignments, `+=` accumulation, lists of samples (`times.append(dt)`), the
statistics of those lists, and the return values of functions defined in the same file (with
parameters replaced by the caller's arguments). A total remembers the workload it covers (the
prompt argument of the timed calls), so two totals over different prompt sets can be told apart.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.batching import Shape, per_prompt_loop, prompt_arg, shape
from auditor.analyses.facts import MAPPING_METHODS, Binding, CallSite, FileFacts, Pos, Scope
from auditor.analyses.regions import Region


class Unit(StrEnum):
    TOTAL = "a total time"
    PER_CALL = "a per-call time"
    PER_SAMPLE = "a per-sample time"
    THROUGHPUT = "a throughput"
    SAMPLES = "a list of per-call times"


TIME_UNITS = frozenset({Unit.TOTAL, Unit.PER_CALL, Unit.PER_SAMPLE, Unit.THROUGHPUT})
#: A time unit's short name in a finding's evidence (`UnitMixEvidence`).
UNIT_KEYS = {
    Unit.TOTAL: "total",
    Unit.PER_CALL: "per-call",
    Unit.PER_SAMPLE: "per-sample",
    Unit.THROUGHPUT: "throughput",
}

COUNT_NAME_RE = re.compile(
    r"^(n|num|count|total|bs|batch_size|n_[a-z_]+|num_[a-z_]+|[a-z_]*count|[a-z_]*samples?"
    r"|[a-z_]*images|[a-z_]*prompts|[a-z_]*tokens|iters|iterations|n_iters|runs|repeats|reps"
    r"|trials|n_calls|calls|batch)$"
)
STATS_PER_CALL = frozenset({"mean", "median", "fmean", "average", "min", "max"})


@dataclass(frozen=True, slots=True)
class Quantity:
    unit: Unit
    workload: str | None = None  # for totals: what was timed, e.g. "prompts[:4]"
    element: Quantity | None = None  # for a list of samples: what each sample is
    # the region whose closing read made this time (not part of what the unit is)
    region: Region | None = field(default=None, compare=False)


class UnitAnalysis:
    def __init__(self, facts: FileFacts, regions: list[Region]) -> None:
        self.facts = facts
        self.by_end = {id(r.end_node): r for r in regions}

    # ------------------------------------------------------------------ quantities
    def quantity(
        self,
        scope: Scope,
        expr: cst.BaseExpression,
        pos: Pos,
        depth: int = 0,
        subst: dict[str, str] | None = None,
    ) -> Quantity | None:
        if depth > 8:
            return None
        subst = subst or {}
        if isinstance(expr, cst.BinaryOperation):
            return self._binary(scope, expr, pos, depth, subst)
        if isinstance(expr, cst.Name | cst.Attribute | cst.Subscript):
            return self._named(scope, expr, pos, depth, subst)
        if isinstance(expr, cst.Call):
            return self._call(scope, expr, pos, depth, subst)
        if isinstance(expr, cst.List) and len(expr.elements) == 1:
            # `[elapsed]`: a list of one sample, extended into a caller's list
            q = self.quantity(scope, expr.elements[0].value, pos, depth + 1, subst)
            if q is not None and q.unit in TIME_UNITS:
                return Quantity(Unit.SAMPLES, element=q)
        return None

    def _binary(
        self, scope: Scope, expr: cst.BinaryOperation, pos: Pos, depth: int, subst: dict[str, str]
    ) -> Quantity | None:
        op = expr.operator
        if isinstance(op, cst.Subtract):
            region = self.by_end.get(id(self._timer_node(scope, expr.left, pos)))
            if region is not None:
                unit = Unit.PER_CALL if self._single_call(region) else Unit.TOTAL
                return Quantity(unit, self._workload(region, subst), region=region)
            return None
        if isinstance(op, cst.Divide) and _is_mean(expr):
            # `sum(times) / len(times)`: the mean of the samples, as `statistics.mean(times)`
            assert isinstance(expr.left, cst.Call)
            return self._call(
                scope, expr.left.with_changes(func=cst.Name("mean")), pos, depth + 1, subst
            )
        left = self.quantity(scope, expr.left, pos, depth + 1, subst)
        right = self.quantity(scope, expr.right, pos, depth + 1, subst)
        if isinstance(op, cst.Divide):
            if (
                left is not None
                and left.unit in (Unit.TOTAL, Unit.PER_CALL)
                and self.is_count(scope, expr.right, pos)
            ):
                return Quantity(Unit.PER_SAMPLE)
            if (
                right is not None
                and right.unit in (Unit.TOTAL, Unit.PER_CALL)
                and self.is_count(scope, expr.left, pos)
            ):
                return Quantity(Unit.THROUGHPUT)
            return None
        if isinstance(op, cst.Multiply):
            # scaling to milliseconds keeps the unit
            if left is not None and _is_number(expr.right):
                return left
            if right is not None and _is_number(expr.left):
                return right
            return None
        if (
            isinstance(op, cst.Add)
            and left is not None
            and right is not None
            and left.unit == right.unit == Unit.TOTAL
        ):
            return Quantity(Unit.TOTAL)
        return None

    def _named(
        self, scope: Scope, expr: cst.BaseExpression, pos: Pos, depth: int, subst: dict[str, str]
    ) -> Quantity | None:
        key = N.dotted(expr)
        sub_key = N.subscript_key(expr) if isinstance(expr, cst.Subscript) else None
        if key is None:
            if isinstance(expr, cst.Subscript) and sub_key is not None:
                # `job.result()["seconds"]`
                return self._keyed(scope, expr.value, sub_key, pos, depth + 1, subst)
            return None
        candidates = [
            b
            for b in scope.bindings
            if b.target == key and b.end <= pos and (sub_key is None or b.key == sub_key)
        ]
        if not candidates and scope.parent is not None:
            candidates = [
                b
                for b in scope.parent.bindings
                if b.target == key and (sub_key is None or b.key == sub_key)
            ]
        if not candidates:
            if isinstance(expr, cst.Name):
                return self._appended_samples(scope, key, pos)
            if isinstance(expr, cst.Subscript) and sub_key is not None:
                return self._keyed(scope, expr.value, sub_key, pos, depth + 1, subst)
            return None
        b = max(candidates, key=lambda b: b.end)
        if b.value is None:
            return None
        if b.kind == "aug":
            inner = self.quantity(b.scope, b.value, b.start, depth + 1, subst)
            if inner is not None and inner.unit in (Unit.TOTAL, Unit.PER_CALL):
                return Quantity(Unit.TOTAL, inner.workload)
            return inner
        if b.kind == "assign":
            if isinstance(b.value, cst.List) and not b.value.elements:
                return self._appended_samples(b.scope, key, pos)
            return self.quantity(b.scope, b.value, b.start, depth + 1, subst)
        return None

    def _timer_node(self, scope: Scope, expr: cst.BaseExpression, pos: Pos) -> cst.CSTNode:
        """`t1` in `t1 - t0` stands for the timer read it was assigned from."""
        if isinstance(expr, cst.Name):
            b = self.facts.binding_before(scope, expr.value, pos)
            if b is not None and b.kind == "assign" and b.value is not None:
                return b.value
        return expr

    def _appended_samples(self, scope: Scope, name: str, pos: Pos) -> Quantity | None:
        """`xs.append(time)` in the scope: a list of samples, each of the appended unit;
        `xs.extend(other)` where `other` is such a list (a worker's returned samples)."""
        for c, method, added in _added_to(scope, name, ("append", "extend")):
            q = self.quantity(scope, added, c.start, 1)
            if q is None:
                continue
            if method == "append" and q.unit in TIME_UNITS:
                return Quantity(Unit.SAMPLES, element=q)
            if method == "extend" and q.unit is Unit.SAMPLES:
                return q
        return None

    def _keyed(
        self,
        scope: Scope,
        base: cst.BaseExpression,
        key: str,
        pos: Pos,
        depth: int,
        subst: dict[str, str],
    ) -> Quantity | None:
        """`result["latency"]`: the value stored under `key` in the dict `result` holds, a
        dict literal here, returned by a function of this file, or returned by a function
        run on an executor (`future.result()`, an item of `pool.map(fn, ...)`)."""
        if depth > 8:
            return None
        if isinstance(base, cst.Dict):
            for element in base.elements:
                if isinstance(element, cst.DictElement) and N.string_value(element.key) == key:
                    return self.quantity(scope, element.value, pos, depth + 1, subst)
            return None
        if isinstance(base, cst.Name):
            b = self.facts.binding_before(scope, base.value, pos)
            if b is None or b.value is None:
                return None
            if b.kind == "assign":
                return self._keyed(b.scope, b.value, key, b.start, depth + 1, subst)
            if b.kind in ("for", "comp"):
                run = self._executor_run(b.scope, b.value, b.start, mapped=True)
                if run is not None:
                    return self._returned(b.scope, run, pos, depth, subst, key)
            return None
        if isinstance(base, cst.Call):
            func = base.func
            if isinstance(func, cst.Attribute) and func.attr.value == "result" and not base.args:
                run = self._executor_run(scope, func.value, pos, mapped=False)
                if run is not None:
                    return self._returned(scope, run, pos, depth, subst, key)
                return None
            return self._returned(scope, base, pos, depth, subst, key)
        return None

    def _executor_run(
        self, scope: Scope, expr: cst.BaseExpression, pos: Pos, mapped: bool, depth: int = 0
    ) -> cst.Call | None:
        """The call an executor makes: `pool.submit(fn, a, b)` runs `fn(a, b)`. With
        `mapped`, `expr` is iterated: `pool.map(fn, xs)`, or a list of submitted futures
        (`futures = [pool.submit(...) ...]`, `futures.append(pool.submit(...))`, through
        `as_completed`)."""
        if depth > 4:
            return None
        if isinstance(expr, cst.Call):
            name = N.call_name(expr)
            if name == "submit" or (mapped and name in MAPPING_METHODS):
                if expr.args and isinstance(expr.args[0].value, cst.Name):
                    return cst.Call(func=expr.args[0].value, args=expr.args[1:])
                return None
            if mapped and name in ("as_completed", "list", "tqdm", "enumerate") and expr.args:
                return self._executor_run(scope, expr.args[0].value, pos, mapped, depth + 1)
            return None
        if not isinstance(expr, cst.Name):
            return None
        b = self.facts.binding_before(scope, expr.value, pos)
        if b is None or b.value is None or b.kind not in ("assign", "for", "comp"):
            return None
        if b.kind in ("for", "comp") and not mapped:
            return self._executor_run(b.scope, b.value, b.start, True, depth + 1)
        if mapped and isinstance(b.value, cst.ListComp):
            return self._executor_run(b.scope, b.value.elt, b.start, False, depth + 1)
        if mapped and isinstance(b.value, cst.List) and not b.value.elements:
            for c, _, added in _added_to(b.scope, expr.value, ("append",)):
                run = self._executor_run(c.scope, added, c.start, False)
                if run is not None:
                    return run
            return None
        return self._executor_run(b.scope, b.value, b.start, mapped, depth + 1)

    def _returned(
        self,
        scope: Scope,
        call: cst.Call,
        pos: Pos,
        depth: int,
        subst: dict[str, str],
        key: str | None = None,
    ) -> Quantity | None:
        """The quantity a function of this file returns when called as `call` (the value
        under `key` when it returns a dict), its parameters replaced by the arguments."""
        if not isinstance(call.func, cst.Name) or call.func.value not in self.facts.functions:
            return None
        callee = self.facts.functions[call.func.value]
        mapping = dict(subst)
        positional = [a for a in call.args if a.keyword is None and not a.star]
        for i, p in enumerate(callee.params):
            arg = N.keyword(call, p)
            value = (
                arg.value
                if arg is not None
                else (positional[i].value if i < len(positional) else None)
            )
            if value is not None:
                mapping[p] = self._argument_text(scope, value, pos)
        for ret in callee.returns:
            if ret.value is None:
                continue
            start, _ = self.facts.pos(ret)
            if key is None:
                q = self.quantity(callee, ret.value, start, depth + 1, mapping)
            else:
                q = self._keyed(callee, ret.value, key, start, depth + 1, mapping)
            if q is not None:
                return q
        return None

    def _call(
        self, scope: Scope, expr: cst.Call, pos: Pos, depth: int, subst: dict[str, str]
    ) -> Quantity | None:
        fname = N.call_name(expr) or ""
        region = self.by_end.get(id(expr))
        if region is not None:  # start.elapsed_time(end)
            return Quantity(Unit.TOTAL, self._workload(region, subst), region=region)
        if fname in STATS_PER_CALL or fname == "sum":
            if not expr.args:
                return None
            inner = self.quantity(scope, expr.args[0].value, pos, depth + 1, subst)
            if inner is not None and inner.unit is Unit.SAMPLES:
                element = inner.element
                timed = element.region if element is not None else None
                if fname == "sum":
                    return Quantity(Unit.TOTAL, region=timed)
                if element is not None and element.unit in (Unit.PER_SAMPLE, Unit.THROUGHPUT):
                    return Quantity(element.unit)
                if element is not None and element.workload:
                    # a typical total over one workload: keep it for like-for-like checks
                    return Quantity(Unit.PER_CALL, element.workload, region=timed)
                return Quantity(Unit.PER_CALL, region=timed)
            return None
        if fname in ("float", "round", "abs") and expr.args:
            return self.quantity(scope, expr.args[0].value, pos, depth + 1, subst)
        return self._returned(scope, expr, pos, depth, subst)

    def _single_call(self, region: Region) -> bool:
        """The region times one model call, not repeated inside it: its time is per call."""
        model_calls = [c for c in region.calls() if self.facts.kind(c).model]
        if len(model_calls) != 1:
            return False
        start_loops = region.loops(self.facts)
        return len(model_calls[0].loops) == len(start_loops)

    def _argument_text(self, scope: Scope, value: cst.BaseExpression, pos: Pos) -> str:
        """`quick` passed where `quick = prompts[:4]`: the slice it stands for."""
        if isinstance(value, cst.Name):
            b = self.facts.binding_before(scope, value.value, pos)
            if b is not None and b.kind == "assign" and isinstance(b.value, cst.Subscript):
                return N.code(b.value)
        return N.code(value)

    def _workload(self, region: Region, subst: dict[str, str]) -> str | None:
        parts: list[str] = []
        for c in region.calls():
            if not self.facts.kind(c).model:
                continue
            arg = prompt_arg(self.facts, c)
            if arg is not None:
                parts.append(_substitute(N.code(arg), subst))
        return " + ".join(sorted(set(parts))) or None

    def is_count(self, scope: Scope, expr: cst.BaseExpression, pos: Pos) -> bool:
        if isinstance(expr, cst.Integer):
            return True
        if isinstance(expr, cst.Call) and N.call_name(expr) == "len":
            return True
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Multiply):
            return self.is_count(scope, expr.left, pos) or self.is_count(scope, expr.right, pos)
        key = N.dotted(expr)
        if key is not None:
            last = key.rsplit(".", 1)[-1]
            if COUNT_NAME_RE.match(last) and "time" not in last:
                return True
            b = self.facts.binding_before(scope, key, pos)
            if (
                b is not None
                and b.kind == "assign"
                and b.value is not None
                and isinstance(b.value, cst.Call | cst.Integer | cst.BinaryOperation)
            ):
                return self.is_count(b.scope, b.value, b.start)
        return False


def _added_to(
    scope: Scope, name: str, methods: tuple[str, ...]
) -> Iterator[tuple[CallSite, str, cst.BaseExpression]]:
    """`name.append(x)` / `name.extend(x)` in the scope: each call, its method and `x`."""
    for c in scope.calls:
        func = c.node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in methods
            and N.dotted(func.value) == name
            and c.node.args
        ):
            yield c, func.attr.value, c.node.args[0].value


def _substitute(text: str, subst: dict[str, str]) -> str:
    for name, value in subst.items():
        text = re.sub(rf"\b{re.escape(name)}\b", value, text)
    return text


def _is_mean(div: cst.BinaryOperation) -> bool:
    """`sum(xs) / len(xs)`, the same list on both sides."""
    left, right = div.left, div.right
    return (
        isinstance(left, cst.Call)
        and isinstance(right, cst.Call)
        and N.call_name(left) == "sum"
        and N.call_name(right) == "len"
        and len(left.args) == 1
        and len(right.args) == 1
        and left.args[0].value.deep_equals(right.args[0].value)
    )


def _is_number(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Integer | cst.Float)


def same_base_different_slice(a: str, b: str) -> bool:
    """`prompts` vs `prompts[:4]`: the same prompt list cut differently."""
    base_a, base_b = a.split("[", 1)[0], b.split("[", 1)[0]
    return a != b and base_a == base_b


def divisions(facts: FileFacts, scope: Scope) -> list[cst.BinaryOperation]:
    return facts.binary_operations(scope, cst.Divide)


#: A unit label that says "per denoising step / iteration" right after a formatted value:
#: `{t:.2f}s/step`, `{t} sec/it`, `{t} seconds per iteration`.
PER_STEP_LABEL_RE = re.compile(
    r"^\s*(?:s|sec|secs|seconds?|ms)\s*(?:/|per\s+)\s*(?:step|it|iter|iteration)s?\b", re.I
)


@dataclass(frozen=True, slots=True)
class PerStepLabel:
    value: cst.BaseExpression  # the formatted value
    label: str  # the unit text after it
    call: cst.Call  # the whole pipeline call it times
    node: cst.CSTNode  # where to report: the formatted expression


def whole_calls_reported_per_step(facts: FileFacts, units: UnitAnalysis) -> list[PerStepLabel]:
    """A time of a whole pipeline call (one that takes `num_inference_steps`: text encoding,
    every denoising step, decoding) printed with a per-step unit (`s/step`, `s/it`) without
    being divided by its step count: the call's fixed work is reported as step time."""
    if not re.search(r"/\s*(?:step|it)|per\s+(?:step|iter)", facts.source, re.I):
        return []
    out: list[PerStepLabel] = []
    for scope in facts.scopes:
        for call in scope.calls:
            if N.call_name(call.node) not in N.REPORT_CALLS:
                continue
            for arg in call.node.args:
                for piece in _string_pieces(arg.value):
                    out += _per_step_parts(facts, units, scope, call.start, piece)
    return out


def _string_pieces(expr: cst.BaseExpression) -> list[cst.FormattedString]:
    """The f-strings of an argument, implicit concatenations (`f"a" f"b"`) taken apart."""
    if isinstance(expr, cst.FormattedString):
        return [expr]
    if isinstance(expr, cst.ConcatenatedString):
        return _string_pieces(expr.left) + _string_pieces(expr.right)
    return []


def _per_step_parts(
    facts: FileFacts, units: UnitAnalysis, scope: Scope, pos: Pos, text: cst.FormattedString
) -> list[PerStepLabel]:
    out: list[PerStepLabel] = []
    parts = list(text.parts)
    for part, after in itertools.pairwise(parts):
        if not isinstance(part, cst.FormattedStringExpression):
            continue
        if not isinstance(after, cst.FormattedStringText):
            continue
        label = PER_STEP_LABEL_RE.match(after.value)
        if label is None:
            continue
        q = units.quantity(scope, part.expression, pos)
        if q is None or q.unit not in (Unit.TOTAL, Unit.PER_CALL) or q.region is None:
            continue
        whole = next(
            (
                c.node
                for c in q.region.calls()
                if facts.kind(c).pipeline_call and N.keyword(c.node, "num_inference_steps")
            ),
            None,
        )
        if whole is not None:
            out.append(PerStepLabel(part.expression, label.group(0).strip(), whole, part))
    return out


@dataclass(frozen=True, slots=True)
class BatchOvercount:
    division: cst.BinaryOperation  # `images / elapsed`
    count: str  # "args.images"
    step: str  # "args.batch_size"
    loop: cst.For


def counts_requested_not_generated(facts: FileFacts, units: UnitAnalysis) -> list[BatchOvercount]:
    """A throughput whose count is the stop of the timed `range(0, N, B)` loop while every
    iteration generates a full batch of B (`[prompt] * B`, `num_images_per_prompt=B`): when
    N is not a multiple of B the loop generates more than N, and the rate counts N."""
    out: list[BatchOvercount] = []
    for scope in facts.scopes:
        for div in facts.binary_operations(scope, cst.Divide):
            pos, _ = facts.pos(div)
            q = units.quantity(scope, div.right, pos)
            if q is None or q.unit is not Unit.TOTAL or q.region is None:
                continue
            count = N.code(div.left)
            for loop in _batch_loops(facts, q.region):
                args = loop.iter.args  # type: ignore[attr-defined]
                if N.code(args[1].value) != count:
                    continue
                step = N.code(args[2].value)
                if _full_batches(facts, q.region, loop, step):
                    out.append(BatchOvercount(div, count, step, loop))
    return out


def _batch_loops(facts: FileFacts, region: Region) -> list[cst.For]:
    """`for _ in range(start, stop, step)` loops around the region's calls, inside it."""
    found: dict[int, cst.For] = {}
    around = set(map(id, region.loops(facts)))
    for call in region.calls():
        for loop in call.loops:
            if id(loop) in around or not isinstance(loop, cst.For):
                continue
            it = loop.iter
            if (
                isinstance(it, cst.Call)
                and N.code(it.func) == "range"
                and len(it.args) == 3
                and not isinstance(it.args[2].value, cst.Integer)
            ):
                found[id(loop)] = loop
    return list(found.values())


def _full_batches(facts: FileFacts, region: Region, loop: cst.For, step: str) -> bool:
    """A model call in `loop` that asks for `step` items every time (`[p] * step`,
    `num_images_per_prompt=step`, `batch_size=step`) and never slices by the loop variable."""
    target = N.names_in(loop.target)
    for call in region.calls():
        if loop not in call.loops or not facts.kind(call).pipeline_call:
            continue
        node = call.node
        text = N.code(node)
        if any(f"{t}:" in text.replace(" ", "") for t in target):
            return False
        for arg in node.args:
            value = arg.value
            if arg.keyword is not None and arg.keyword.value in (
                "num_images_per_prompt",
                "batch_size",
            ):
                if N.code(value) == step:
                    return True
            elif (arg.keyword is None or arg.keyword.value in ("prompt", "image")) and isinstance(
                value, cst.BinaryOperation
            ):
                if isinstance(value.operator, cst.Multiply) and step in (
                    N.code(value.left),
                    N.code(value.right),
                ):
                    return True
    return False


#: Counts of the outputs a benchmark makes (images, samples), as opposed to its repetitions.
OUTPUT_COUNT_RE = re.compile(
    r"^(?:n|num|number_of|total|total_num)_?(?:images|imgs|samples|outputs|generations|pictures)$"
)
#: Keywords that ask one call for several outputs.
BATCHING_KWARGS = ("num_images_per_prompt", "num_return_sequences", "batch_size", "n_samples")


@dataclass(frozen=True, slots=True)
class OneAtATime:
    division: cst.BinaryOperation  # `num_images / total_time`
    count: str  # "num_images"
    call: cst.Call  # the model call that makes one output per call
    loop: cst.CSTNode  # the loop (or executor map) inside the region that repeats it


def outputs_counted_one_call_each(facts: FileFacts, units: UnitAnalysis) -> list[OneAtATime]:
    """A throughput of outputs (`num_images / total_time`) over a region whose loop makes them
    one call each: the model call inside the loop (directly, in a helper it calls, or in a
    function handed to an executor per item) receives a single prompt and asks for one
    output, so the figure is batch-size-1 throughput reported for the whole set."""
    out: list[OneAtATime] = []
    for scope in facts.scopes:
        for div in facts.binary_operations(scope, cst.Divide):
            key = N.dotted(div.left)
            if key is None or not OUTPUT_COUNT_RE.match(key.rsplit(".", 1)[-1].lower()):
                continue
            pos, _ = facts.pos(div)
            q = units.quantity(scope, div.right, pos)
            if q is None or q.unit is not Unit.TOTAL or q.region is None:
                continue
            found = _one_output_call_in_loop(facts, q.region)
            if found is not None:
                out.append(OneAtATime(div, key, found[0], found[1]))
    return out


def _one_output_call_in_loop(
    facts: FileFacts, region: Region
) -> tuple[cst.Call, cst.CSTNode] | None:
    around = len(region.loops(facts))
    stack = [(call, _repeating(call, around), 0) for call in region.calls()]
    seen: set[int] = set()
    while stack:
        call, loop, depth = stack.pop(0)
        if id(call) in seen:
            continue
        seen.add(id(call))
        if loop is not None and facts.kind(call).model:
            arg = prompt_arg(facts, call)
            if (
                arg is not None
                and not any(N.keyword(call.node, k) is not None for k in BATCHING_KWARGS)
                and shape(facts, call.scope, arg, call.start) is Shape.SINGLE
                and per_prompt_loop(facts, call) is None
            ):
                return call.node, loop
        if depth >= 3:
            continue
        for owner, fn in facts.possible_callees(call):
            if owner is not facts:
                continue
            stack += [(c, loop or _repeating(c, 0), depth + 1) for c in fn.calls]
    return None


def _repeating(call: CallSite, outer: int) -> cst.CSTNode | None:
    """What runs `call` again and again: its innermost loop past the `outer` ones, or the
    executor's map it is (`pool.map(render, prompts)` runs `render` once per prompt)."""
    inner = call.loops[outer:]
    if inner:
        return inner[-1]
    return call.node if N.call_name(call.node) in MAPPING_METHODS else None


# ------------------------------------------------- samples that are times since the start
@dataclass(frozen=True, slots=True)
class CumulativeSamples:
    """`start = perf_counter()` once before a loop, then in the loop `t = perf_counter() -
    start; times.append(t)` and after it `mean(times)`, `max(times)` or `sum(times)`: each
    sample is the time since the loop began, not one iteration's."""

    region: Region
    samples: str  # the list the samples go to
    store: cst.Call  # the `append` in the loop
    aggregate: cst.Call  # the mean, max or sum after it


#: What turns a list of per-iteration times into one figure (a mean, a total, an extreme).
AGGREGATES = frozenset(
    {"mean", "sum", "max", "min", "median", "average", "percentile", "quantile", "std", "fmean"}
)


def cumulative_samples(facts: FileFacts, regions: list[Region]) -> list[CumulativeSamples]:
    out: list[CumulativeSamples] = []
    differenced: dict[int, bool] = {}  # per scope: timestamps turned into intervals there
    for region in regions:
        start, end = facts.site_of(region.start_node), facts.site_of(region.end_node)
        if start is None or end is None or start.scope is not end.scope:
            continue
        key = id(end.scope)
        if key not in differenced:
            differenced[key] = any(N.call_name(c.node) == "diff" for c in end.scope.calls)
        if differenced[key]:
            continue  # (`np.diff(stamps)`)
        inside = [lp for lp in end.loops if not any(lp is s for s in start.loops)]
        if not inside:
            continue  # both reads in the same iteration: a per-iteration time
        loop = inside[0]
        loop_start, loop_end = facts.pos(loop)
        held = facts.assigned_by(region.start_node)
        if any(b.target in held and loop_start <= b.start <= loop_end for b in end.scope.bindings):
            continue  # the start is read again each iteration (`prev = now`)
        names = facts.assigned_by(region.end_node)
        stores = facts.appends_of(end.scope, region.end_node, names)
        store = next((c for c in stores if any(lp is loop for lp in c.loops)), None)
        if store is None or not isinstance(store.node.func, cst.Attribute):
            continue
        samples = N.dotted(store.node.func.value) or ""
        after = [c for c in end.scope.calls if c.start > loop_end]
        aggregate = next(
            (
                c
                for c in after
                if N.call_name(c.node) in AGGREGATES
                and any(samples in N.names_in(a.value) for a in c.node.args)
            ),
            None,
        )
        if samples and aggregate is not None:
            out.append(CumulativeSamples(region, samples, store.node, aggregate.node))
    return out


# ------------------------------------------------- a mean divided by another count
@dataclass(frozen=True, slots=True)
class MiscountedMean:
    """`for i in range(n + warmup): ...; if i >= warmup: total += t`, then `total / (n -
    warmup)`: the total sums `n` runs but is divided by another count."""

    division: cst.BinaryOperation
    total: str
    summed: str  # how many runs the total sums, as written
    divisor: str


def miscounted_means(facts: FileFacts) -> list[MiscountedMean]:
    out: list[MiscountedMean] = []
    for scope in facts.scopes:
        for div in facts.binary_operations(scope, cst.Divide):
            if not isinstance(div.left, cst.Name):
                continue
            divisor = _linear(div.right)
            if divisor is None:
                continue
            pos, _ = facts.pos(div)
            adds = [
                b
                for b in scope.bindings
                if b.target == div.left.value and b.kind == "aug" and b.start < pos
            ]
            counts = [_summed_runs(facts, b) for b in adds]
            summed = counts[0] if counts else None
            if summed is None or any(c != summed for c in counts) or summed[0] == divisor:
                continue
            if not set(divisor) <= summed[2] | {"1"}:
                continue  # divided by something else than a count of the loop's runs (tokens)
            out.append(MiscountedMean(div, div.left.value, summed[1], N.code(div.right)))
    return out


def _summed_runs(facts: FileFacts, b: Binding) -> tuple[dict[str, int], str, set[str]] | None:
    """How many times the accumulation `b` (`total += toc - tic`) runs: in a loop over
    `range(X)` under `if i >= K:`, X - K, as a linear form (with its text and the terms of X
    and K)."""
    node = facts.binding_node(b)
    if node is None:
        return None
    loop = next((a for a in facts.ancestors(node) if isinstance(a, cst.For)), None)
    if not isinstance(loop, cst.For) or not isinstance(loop.target, cst.Name):
        return None
    it = loop.iter
    if not (isinstance(it, cst.Call) and N.call_name(it) == "range" and len(it.args) == 1):
        return None
    total = _linear(it.args[0].value)
    skipped = _skipped_first(facts, loop, node, loop.target.value)
    if total is None or skipped is None:
        return None
    runs = dict(total)
    for term, k in skipped.items():
        runs[term] = runs.get(term, 0) - k
    runs = {t: k for t, k in runs.items() if k}
    return runs, _show(runs), set(total) | set(skipped)


def _show(form: dict[str, int]) -> str:
    """A linear form written out: {n: 1, w: -1} -> `n - w`."""
    text = ""
    for term, k in sorted(form.items(), key=lambda tk: (tk[0] == "1", -tk[1])):
        value = str(abs(k)) if term == "1" else (term if abs(k) == 1 else f"{abs(k)} * {term}")
        sign = "-" if k < 0 else "+"
        text = f"{text} {sign} {value}" if text else ("-" if k < 0 else "") + value
    return text or "0"


def _skipped_first(
    facts: FileFacts, loop: cst.For, node: cst.CSTNode, var: str
) -> dict[str, int] | None:
    """The iterations a loop's accumulation skips: `if i >= K:` around it gives K."""
    for anc in facts.ancestors(node):
        if anc is loop:
            return None
        if isinstance(anc, cst.If) and isinstance(anc.test, cst.Comparison):
            test = anc.test
            if (
                isinstance(test.left, cst.Name)
                and test.left.value == var
                and len(test.comparisons) == 1
                and isinstance(test.comparisons[0].operator, cst.GreaterThanEqual)
            ):
                return _linear(test.comparisons[0].comparator)
    return None


def _linear(expr: cst.BaseExpression) -> dict[str, int] | None:
    """A sum or difference of names and integers as {term: coefficient} (`n + w` -> {n: 1,
    w: 1}; integers under the key "1"); None for anything else."""
    if isinstance(expr, cst.Integer):
        return {"1": int(expr.value)} if int(expr.value) else {}
    if isinstance(expr, cst.Name | cst.Attribute):
        name = N.dotted(expr)
        return {name: 1} if name else None
    if isinstance(expr, cst.Call) and N.call_name(expr) == "int" and len(expr.args) == 1:
        return _linear(expr.args[0].value)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add | cst.Subtract):
        left, right = _linear(expr.left), _linear(expr.right)
        if left is None or right is None:
            return None
        sign = 1 if isinstance(expr.operator, cst.Add) else -1
        out = dict(left)
        for term, k in right.items():
            out[term] = out.get(term, 0) + sign * k
        return {t: k for t, k in out.items() if k}
    return None
