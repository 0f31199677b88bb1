"""Batch shapes: is a call given one prompt or a batch, and does a loop feed prompts one by one.

A value is a *prompt list* when it is built from strings (a list of literals, lines of a file,
`json.load`, a `load_prompts()` helper) or named like one (`prompts`, `captions`), and a slice of a
prompt list is one too. A list of slices (`[p[i:i + bs] for i in ...]`) is a list of batches. A
loop feeds prompts one by one when it iterates a prompt list (directly, through `enumerate`/`zip`,
or by index) and the call's prompt argument is, or is derived from, the single item.
"""

from __future__ import annotations

from enum import StrEnum

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.facts import CallSite, FileFacts, Pos, Scope


class Shape(StrEnum):
    SINGLE = "single"
    BATCH = "batch"
    UNKNOWN = "unknown"


SINGULAR_PROMPT_RE = ("prompt", "text", "caption", "question", "sentence", "query", "p")


def prompt_arg(facts: FileFacts, call: CallSite) -> cst.BaseExpression | None:
    node = call.node
    for name in N.PROMPT_KWARGS:
        arg = N.keyword(node, name)
        if arg is not None:
            return arg.value
    for arg in node.args:
        if arg.keyword is None and arg.star == "**":
            return arg.value
        if arg.keyword is None and not arg.star:
            if facts.model_info(call.scope, arg.value, call.start) is not None:
                continue  # `module.inference(pipe, prompts)`: skip the pipeline argument
            return arg.value
    return None


def is_prompt_list(
    facts: FileFacts, scope: Scope, expr: cst.BaseExpression, pos: Pos, depth: int = 0
) -> bool | None:
    """True for a list of single prompts, False for a list of batches, None when unknown."""
    if depth > 6:
        return None
    if isinstance(expr, cst.Call):
        fname = N.call_name(expr) or ""
        if fname in ("enumerate", "list", "tuple", "sorted", "reversed", "tqdm") and expr.args:
            return is_prompt_list(facts, scope, expr.args[0].value, pos, depth + 1)
        if fname in ("splitlines", "readlines") or "prompt" in fname.lower():
            return True
        if fname in ("load", "loads") and any(
            q.startswith("json.") for q in facts.qnames_of(expr.func)
        ):
            return True
        return None
    if isinstance(expr, cst.List | cst.Tuple):
        values = [e.value for e in expr.elements]
        if values and all(isinstance(v, cst.SimpleString | cst.FormattedString) for v in values):
            return True
        if values and all(isinstance(v, cst.List) for v in values):
            return False
        return None
    if isinstance(expr, cst.ListComp):
        if isinstance(expr.elt, cst.Subscript) and _is_slice(expr.elt):
            return False  # chunking: a list of batches
        if isinstance(expr.elt, cst.Call | cst.SimpleString | cst.FormattedString):
            fname = (N.call_name(expr.elt) if isinstance(expr.elt, cst.Call) else "str") or ""
            if fname in ("strip", "rstrip", "format", "str", "lower"):
                return True
        return is_prompt_list(facts, scope, expr.for_in.iter, pos, depth + 1)
    if isinstance(expr, cst.Subscript):
        if _is_slice(expr):
            return is_prompt_list(facts, scope, expr.value, pos, depth + 1)
        if isinstance(expr.value, cst.Name | cst.Attribute):
            # `data["prompts"]`
            idx = expr.slice[0].slice
            if isinstance(idx, cst.Index):
                key = N.string_value(idx.value)
                if key is not None and N.PROMPT_LIST_RE.search(key):
                    return True
        return None
    if isinstance(expr, cst.Name | cst.Attribute):
        key = N.dotted(expr) or ""
        last = key.rsplit(".", 1)[-1]
        b = facts.binding_before(scope, key, pos)
        if b is not None and b.value is not None and b.kind in ("assign", "with"):
            inner = is_prompt_list(facts, b.scope, b.value, b.start, depth + 1)
            if inner is not None:
                return inner
        if b is not None and b.kind == "param" and isinstance(expr, cst.Name):
            passed = _passed_prompt_lists(facts, b.scope, key, depth)
            if passed is not None:
                return passed
        if N.BATCH_LIST_RE.search(last):
            return False
        if N.PROMPT_LIST_RE.search(last):
            return True
    return None


def _passed_prompt_lists(facts: FileFacts, scope: Scope, param: str, depth: int) -> bool | None:
    """A parameter is a prompt list when every caller in the file that passes it passes one."""
    if param not in scope.params or scope.parent is None:
        return None
    index = scope.params.index(param)
    verdicts = set()
    for site in facts.calls_to_function(scope.name):
        arg = facts.argument(site.node, param, index)
        if arg is not None:
            verdicts.add(is_prompt_list(facts, site.scope, arg, site.start, depth + 1))
    return verdicts.pop() if len(verdicts) == 1 else None


def _is_slice(expr: cst.Subscript) -> bool:
    return len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Slice)


def shape(
    facts: FileFacts, scope: Scope, expr: cst.BaseExpression, pos: Pos, depth: int = 0
) -> Shape:
    """How many prompts a call argument holds: one, a batch, or unknown."""
    if depth > 6:
        return Shape.UNKNOWN
    if isinstance(expr, cst.SimpleString | cst.FormattedString | cst.ConcatenatedString):
        return Shape.SINGLE
    if isinstance(expr, cst.List):
        return Shape.SINGLE if len(expr.elements) == 1 else Shape.BATCH
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Multiply):
        if isinstance(expr.left, cst.List):
            return Shape.BATCH  # `[prompt] * batch_size`
    if isinstance(expr, cst.Subscript):
        if _is_slice(expr):
            return (
                Shape.BATCH
                if is_prompt_list(facts, scope, expr.value, pos) is not False
                else Shape.UNKNOWN
            )
        if is_prompt_list(facts, scope, expr.value, pos):
            return Shape.SINGLE
        return Shape.UNKNOWN
    if isinstance(expr, cst.Call):
        fname = N.call_name(expr) or ""
        if (
            N.TOKENIZER_NAME_RE.search(fname)
            or N.TOKENIZER_NAME_RE.search(N.dotted(expr.func) or "")
            or fname == "to"
        ):
            inner = expr.args[0].value if expr.args and fname != "to" else None
            if fname == "to" and isinstance(expr.func, cst.Attribute):
                inner = expr.func.value
            if inner is not None:
                return shape(facts, scope, inner, pos, depth + 1)
        return Shape.UNKNOWN
    if isinstance(expr, cst.Name | cst.Attribute):
        key = N.dotted(expr) or ""
        b = facts.binding_before(scope, key, pos)
        if b is not None and b.value is not None:
            if b.kind in ("for", "comp"):
                it = is_prompt_list(facts, b.scope, b.value, b.start)
                if it is True:
                    return Shape.SINGLE
                if it is False:
                    return Shape.BATCH
                return Shape.UNKNOWN
            if b.kind in ("assign", "with"):
                return shape(facts, b.scope, b.value, b.start, depth + 1)
        if is_prompt_list(facts, scope, expr, pos):
            return Shape.BATCH
        last = key.rsplit(".", 1)[-1]
        if last in SINGULAR_PROMPT_RE:
            return Shape.SINGLE
        if last.startswith("batch") or last.endswith("_batch"):
            return Shape.BATCH
    return Shape.UNKNOWN


def _depends_on(
    facts: FileFacts,
    scope: Scope,
    expr: cst.BaseExpression,
    pos: Pos,
    names: set[str],
    depth: int = 0,
) -> bool:
    """Does `expr` use one of `names`, directly or through assignments in the scope?"""
    used = N.names_in(expr)
    if used & names:
        return True
    if depth > 3:
        return False
    for name in used:
        b = facts.binding_before(scope, name, pos)
        if b is not None and b.kind == "assign" and b.value is not None and b.scope is scope:
            if _depends_on(facts, scope, b.value, b.start, names, depth + 1):
                return True
    return False


def _loop_target_and_iter(
    loop: cst.CSTNode,
) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
    if isinstance(loop, cst.For):
        return loop.target, loop.iter
    if isinstance(loop, cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp):
        return loop.for_in.target, loop.for_in.iter
    return None


def per_prompt_loop(facts: FileFacts, call: CallSite) -> cst.CSTNode | None:
    """The loop that feeds `call` one prompt at a time, if any (innermost first)."""
    arg = prompt_arg(facts, call)
    if arg is None:
        return None
    for loop in reversed(call.loops):
        pair = _loop_target_and_iter(loop)
        if pair is not None:
            target, iterable = pair
            if (
                isinstance(target, cst.Tuple)
                and isinstance(iterable, cst.Call)
                and N.call_name(iterable) == "enumerate"
            ):
                # for i, p in enumerate(prompts)
                target = target.elements[-1].value
                iterable = iterable.args[0].value if iterable.args else iterable
            if isinstance(iterable, cst.Call) and N.call_name(iterable) == "range":
                if _indexes_prompt_list(facts, call, arg, N.names_in(target)):
                    return loop
                continue
            if isinstance(iterable, cst.Call) and N.call_name(iterable) == "zip":
                continue  # zip() of several lists: which element is the prompt is unclear
            if not _depends_on(facts, call.scope, arg, call.start, N.names_in(target)):
                continue
            if is_prompt_list(facts, call.scope, iterable, _loop_start(facts, loop)):
                return loop
        elif isinstance(loop, cst.While):
            if _indexes_prompt_list(facts, call, arg, N.names_in(loop.test)):
                return loop
    return None


def _loop_start(facts: FileFacts, loop: cst.CSTNode) -> Pos:
    return facts.pos(loop)[0]


def _indexes_prompt_list(
    facts: FileFacts, call: CallSite, arg: cst.BaseExpression, index_names: set[str]
) -> bool:
    """`pipe(prompts[i])` where `i` is the loop index (possibly through an assignment)."""
    expr = arg
    if isinstance(arg, cst.Name):
        b = facts.binding_before(call.scope, arg.value, call.start)
        if b is not None and b.kind == "assign" and b.value is not None:
            expr = b.value
    if not isinstance(expr, cst.Subscript) or _is_slice(expr):
        return False
    idx = expr.slice[0].slice
    if not isinstance(idx, cst.Index) or not (N.names_in(idx.value) & index_names):
        return False
    return bool(is_prompt_list(facts, call.scope, expr.value, call.start))
