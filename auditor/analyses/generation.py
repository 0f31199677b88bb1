"""Text generation: whether a timed `generate()` produces a fixed number of tokens.

A transformers `generate()` stops at the end-of-sequence token unless told otherwise, so its
output length (and its time) varies with the prompt, the model and the decoding method. The
length is fixed when `min_new_tokens` equals `max_new_tokens` (or `min_length` equals
`max_length`), or when end-of-sequence is ignored (`ignore_eos=True`, or vLLM's
`SamplingParams(min_tokens=n, max_tokens=n)`). Keywords are read from the call, from `**kwargs`
dictionaries (`dict(...)` or `{...}`, here or imported from a sibling module), and from a
`generation_config=GenerationConfig(...)`; anything else is unknown, and unknown is not flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.facts import CallSite, FileFacts, Pos, Scope

RATE_RE = re.compile(
    r"tok(en)?s?\s*/\s*s(ec)?\b|tokens?[ _](per|/)[ _]?s(ec(ond)?)?\b|tok_per_s|tokens_per_s"
    # a time per token (`per token latency`, `ms/token`)
    r"|per[ _-]token\b|\b(ms|s)\s*/\s*tok(en)?\b",
    re.I,
)


class Length(StrEnum):
    FIXED = "fixed"
    VARIABLE = "variable"
    UNKNOWN = "unknown"


def is_generate(facts: FileFacts, call: CallSite) -> bool:
    """`model.generate(...)`, or a call of a transformers text-generation `pipeline`
    (`pipe = pipeline("text-generation", ...)`, then `pipe(prompt, max_new_tokens=50)`)."""
    if facts.kind(call).model is None:
        return False
    return N.call_name(call.node) == "generate" or _text_generation_pipeline(facts, call)


#: The tasks of a transformers `pipeline` that generate text with `generate()`.
TEXT_GENERATION_TASKS = frozenset({"text-generation", "text2text-generation"})


def _text_generation_pipeline(facts: FileFacts, call: CallSite) -> bool:
    if not isinstance(call.node.func, cst.Name | cst.Attribute):
        return False
    built, _, _ = facts.resolve(call.scope, call.node.func, call.start)
    if not isinstance(built, cst.Call) or "transformers.pipeline" not in facts.qnames_of(
        built.func
    ):
        return False
    task = N.keyword(built, "task")
    expr = task.value if task is not None else (built.args[0].value if built.args else None)
    return expr is not None and N.string_value(expr) in TEXT_GENERATION_TASKS


def reports_token_rate(facts: FileFacts) -> bool:
    """The script prints or stores a tokens-per-second figure."""
    memo = facts.memo.get("token_rate")
    if memo is None:
        memo = bool(RATE_RE.search(facts.source))
        facts.memo["token_rate"] = memo
    return bool(memo)


def _result_names(call: CallSite) -> list[str]:
    """The names a call's result is bound to: `out = f()`, `out, metrics = f()`."""
    stmt = call.stmt
    if not isinstance(stmt, cst.SimpleStatementLine):
        return []
    names: list[str] = []
    for small in stmt.body:
        if isinstance(small, cst.Assign) and small.value is call.node:
            for target in small.targets:
                node = target.target
                elements = node.elements if isinstance(node, cst.Tuple | cst.List) else [node]
                for el in elements:
                    value = el.value if isinstance(el, cst.Element) else el
                    if isinstance(value, cst.Name):
                        names.append(value.value)
    return names


def counts_produced_tokens(facts: FileFacts, call: CallSite) -> bool:
    """The script measures the output it got (`out.shape[-1] - prompt_len`, `out.numel()`,
    `len(out[0])`, `y.size(-1)`, `for o in out`, `for tokens, metrics in stream`,
    `out["sequence_lengths"]`): a tokens/s figure
    from the produced count is right whatever the length."""
    for name in _result_names(call):
        n = re.escape(name)
        pattern = (
            rf"\b{n}\s*(?:\[[^\]]*\]\s*)*\.(?:shape|numel|size)\b"
            rf"|\blen\(\s*{n}\b|\bfor\s+[\w\s,()]*?\w\)?\s+in\s+{n}\b"
            # lengths the engine reports (`outputs["sequence_lengths"]`, TensorRT-LLM)
            rf"""|\b{n}\s*(?:\[\s*["']\w*length\w*["']\s*\]|\.\w*length\w*\b)"""
        )
        if re.search(pattern, facts.source):
            return True
    return False


#: Keywords of an image or video pipeline's `generate()` (OpenVINO GenAI's
#: `Text2ImagePipeline.generate(prompt, num_inference_steps=28, width=512, ...)`).
IMAGE_GENERATION_KWARGS = frozenset(
    {"num_inference_steps", "guidance_scale", "num_images_per_prompt", "num_frames"}
)


def output_length(facts: FileFacts, call: CallSite) -> Length:
    kwargs = _keywords(facts, call.scope, call.node, call.start, 0)
    if kwargs is None:
        return Length.UNKNOWN
    params = _sampling_params(facts, call)
    if params is None:
        return Length.UNKNOWN
    kwargs.update(params)
    if kwargs.keys() & IMAGE_GENERATION_KWARGS:
        return Length.UNKNOWN  # an image or video pipeline's `generate()`: no tokens, no EOS
    config = kwargs.get("generation_config")
    if config is not None:
        return Length.UNKNOWN
    if _truthy(kwargs.get("ignore_eos")):
        return Length.FIXED
    for low, high in (
        ("min_new_tokens", "max_new_tokens"),
        ("min_length", "max_length"),
        ("min_tokens", "max_tokens"),
    ):
        lo, hi = kwargs.get(low), kwargs.get(high)
        if lo is not None and hi is not None and _same(facts, lo, hi):
            return Length.FIXED
    return Length.VARIABLE


Value = tuple[cst.BaseExpression, FileFacts, Scope, Pos]


def _keywords(
    facts: FileFacts, scope: Scope, node: cst.Call, pos: Pos, depth: int
) -> dict[str, Value] | None:
    out: dict[str, Value] = {}
    for arg in node.args:
        if arg.keyword is not None:
            out[arg.keyword.value] = (arg.value, facts, scope, pos)
        elif arg.star == "**":
            inner = _dict_of(facts, scope, arg.value, pos, depth + 1)
            if inner is None:
                if _is_inputs(facts, scope, arg.value, pos):
                    continue  # `**inputs` from a tokenizer carries no generation settings
                return None
            out.update(inner)
    if "generation_config" in out:
        expr, f, s, p = out.pop("generation_config")
        value, vscope, vpos = f.resolve(s, expr, p)
        if not isinstance(value, cst.Call) or N.call_name(value) != "GenerationConfig":
            out["generation_config"] = (expr, f, s, p)
            return out
        inner = _keywords(f, vscope, value, vpos, depth + 1)
        if inner is None:
            return None
        out.update(inner)
    return out


def _dict_of(
    facts: FileFacts, scope: Scope, expr: cst.BaseExpression, pos: Pos, depth: int
) -> dict[str, Value] | None:
    if depth > 4:
        return None
    value, vscope, vpos = facts.resolve(scope, expr, pos)
    if isinstance(value, cst.Name):
        sib = facts.sibling(value.value)
        if sib is not None:
            other, name = sib
            b = other.binding_before(other.module_scope, name, (10**9, 0))
            if b is not None and b.value is not None and b.kind == "assign":
                return _dict_of(other, other.module_scope, b.value, b.end, depth + 1)
        return None
    if isinstance(value, cst.Dict):
        out: dict[str, Value] = {}
        for el in value.elements:
            key = N.string_value(el.key) if isinstance(el, cst.DictElement) else None
            if key is None or not isinstance(el, cst.DictElement):
                return None
            out[key] = (el.value, facts, vscope, vpos)
        return out
    if isinstance(value, cst.Call) and N.call_name(value) == "dict":
        return _keywords(facts, vscope, value, vpos, depth + 1)
    return None


def _is_inputs(
    facts: FileFacts, scope: Scope, expr: cst.BaseExpression, pos: Pos, depth: int = 0
) -> bool:
    value, vscope, _ = facts.resolve(scope, expr, pos)
    if (  # `{k: v.to(device) for k, v in payload.items()}`: the inputs it was built from
        isinstance(value, cst.DictComp)
        and isinstance(value.for_in.iter, cst.Call)
        and N.call_name(value.for_in.iter) == "items"
        and isinstance(value.for_in.iter.func, cst.Attribute)
        and depth < 3
    ):
        inner = value.for_in.iter.func.value
        return _is_inputs(facts, vscope, inner, facts.pos(value)[0], depth + 1)
    text = N.code(value)
    return (
        bool(N.TOKENIZER_NAME_RE.search(text.split("(")[0]))
        or "input" in text
        or (isinstance(value, cst.Call) and N.call_name(value) in ("to", "tokenizer", "tok"))
    )


def _sampling_params(facts: FileFacts, call: CallSite) -> dict[str, Value] | None:
    """vLLM: `llm.generate(prompts, SamplingParams(...))` or `sampling_params=...`."""
    arg = N.keyword(call.node, "sampling_params") or N.positional(call.node, 1)
    if arg is None:
        return {}
    value, vscope, vpos = facts.resolve(call.scope, arg.value, call.start)
    if isinstance(value, cst.Call) and N.call_name(value) == "SamplingParams":
        return _keywords(facts, vscope, value, vpos, 1)
    return {} if N.keyword(call.node, "sampling_params") is None else None


def _literal(value: Value) -> str:
    expr, facts, scope, pos = value
    resolved, _, _ = facts.resolve(scope, expr, pos)
    if isinstance(resolved, cst.Name):
        sib = facts.sibling(resolved.value)
        if sib is not None:
            other, name = sib
            b = other.binding_before(other.module_scope, name, (10**9, 0))
            if b is not None and b.value is not None:
                return N.code(b.value)
    return N.code(resolved)


def _same(facts: FileFacts, a: Value, b: Value) -> bool:
    return _literal(a) == _literal(b)


def _truthy(value: Value | None) -> bool:
    return value is not None and _literal(value) == "True"


# ------------------------------------------------------- tokens counted with the prompt
@dataclass(frozen=True, slots=True)
class PromptInCount:
    """`out.shape[-1] / elapsed` where `out` is a decoder-only `generate()` output: the count
    includes the prompt tokens the model was given, not only the tokens it produced."""

    division: cst.BinaryOperation
    count: str  # the count as written
    call: cst.Call  # the generate() call that produced `out`
    per_token: bool = False  # a time divided by the count (`latency / out.size(1)`)


#: A decoder-only model: its generate() output starts with the prompt.
CAUSAL_LM_RE = re.compile(r"\w*For(?:CausalLM|ConditionalGeneration)\b|AutoModelForCausalLM")


def _length_of(expr: cst.BaseExpression, row: bool = False) -> str | None:
    """The name whose length an expression reads: `out.shape[-1]`, `out.shape[1]`,
    `out[0].shape[0]`, `len(out[0])`, `out.numel()`, `out.size(-1)`, `sum(len(ids) for ids in
    out)`."""
    node: cst.BaseExpression | None = None
    if (
        isinstance(expr, cst.Call)
        and N.call_name(expr) == "sum"
        and len(expr.args) == 1
        and isinstance(expr.args[0].value, cst.GeneratorExp | cst.ListComp)
    ):
        # `sum(len(ids) for ids in out)`: the length of every row of `out`
        comp = expr.args[0].value
        each = _length_of(comp.elt, row=True) if isinstance(comp.elt, cst.BaseExpression) else None
        target, rows = comp.for_in.target, comp.for_in.iter
        if isinstance(target, cst.Name) and each == target.value and isinstance(rows, cst.Name):
            return rows.value
        return None
    index: cst.BaseExpression | None = None  # the dimension read, where one is
    if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Attribute):
        if expr.value.attr.value == "shape" and len(expr.slice) == 1:
            node = expr.value.value
            element = expr.slice[0].slice
            index = element.value if isinstance(element, cst.Index) else None
    elif isinstance(expr, cst.Call):
        if isinstance(expr.func, cst.Name) and expr.func.value == "len" and expr.args:
            node, index = expr.args[0].value, cst.Integer("0")
        elif isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "numel":
            node = expr.func.value
        elif isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "size":
            node = expr.func.value
            index = expr.args[0].value if expr.args else None
    if (
        not row
        and isinstance(node, cst.Name)
        and index is not None
        and N.code(index) not in ("1", "-1")
    ):
        return None  # the rows of the whole output (`out.shape[0]`, `len(out)`): a batch size
    while isinstance(node, cst.Subscript):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def prompt_in_token_counts(facts: FileFacts, is_time: Callable[..., bool]) -> list[PromptInCount]:
    """Divisions of a decoder-only `generate()` output's full length by a time (tokens/s), or
    of a time by it (a per-token latency, `latency / out.size(1)`).

    `is_time(scope, expr, pos)` says whether the other side is a time (the unit analysis)."""
    if "vllm" in facts.source or not CAUSAL_LM_RE.search(facts.source):
        return []
    out: list[PromptInCount] = []
    for scope in facts.scopes:
        for div in facts.binary_operations(scope, cst.Divide):
            pos, _ = facts.pos(div)
            for side, other, per_token in (
                (div.left, div.right, False),
                (div.right, div.left, True),
            ):
                value = _counted_output(facts, scope, side, pos)
                if value is not None and is_time(scope, other, pos):
                    out.append(PromptInCount(div, N.code(side), value, per_token))
                    break
    return out


def _counted_output(
    facts: FileFacts, scope: Scope, side: cst.BaseExpression, pos: Pos
) -> cst.Call | None:
    """The `generate()` call whose whole output length `side` counts: directly, through the
    name it was assigned to, or summed into it over a loop (`num += len(out[0])`)."""
    count, cscope, cpos = facts.resolve(scope, side, pos)
    candidates = [(count, cscope, cpos)]
    if isinstance(side, cst.Name):  # `num = 0`, then `num += len(out[0])` in the timed loop
        candidates += [
            (b.value, b.scope, b.start)
            for b in scope.bindings
            if b.target == side.value and b.kind == "aug" and b.value is not None and b.start < pos
        ]
    for expr, where, at in candidates:
        name = _length_of(expr)
        binding = facts.binding_before(where, name, at) if name is not None else None
        value = binding.value if binding is not None else None
        if isinstance(value, cst.Call) and N.call_name(value) == "generate":
            return value
    return None


# ----------------------------------------- a total length counted as generated tokens
@dataclass(frozen=True, slots=True)
class TotalLengthCount:
    """`num_tokens = batch * output_length` divided by a time, where the file generates
    `max_new_tokens = output_length - prompt_length`: the count is prompt plus new tokens."""

    division: cst.BinaryOperation
    total: str  # the total length counted (`args.output_length`)
    new: cst.BaseExpression  # the new-token count the file derives from it
    line: int  # where it derives it


#: A divisor that is a time by its words (`latencies / 1e3`, `elapsed_s`).
TIME_NAME_RE = re.compile(r"latenc|time|elapsed|duration|second|secs?$", re.IGNORECASE)
NEW_TOKENS_RE = re.compile(r"new_tokens$|^gen(?:erated)?_len(?:gth)?$", re.IGNORECASE)
#: The two parts of a total sequence length: the prompt's and the generated part's.
PROMPT_LEN_RE = re.compile(r"^(?:prompt|input|in_seq|prefix|context)_?(?:len|length|size)$", re.I)
GENERATED_LEN_RE = re.compile(
    r"^(?:gen(?:eration|erated)?|out(?:put)?(?:_seq)?|decode|new)_?(?:len|length|tokens)$"
    r"|^max_new_tokens$",
    re.IGNORECASE,
)


def total_length_token_counts(
    facts: FileFacts, is_time: Callable[..., bool]
) -> list[TotalLengthCount]:
    """Token rates that count a configured total length as generated tokens, where the file
    itself sets the new tokens to that total less the prompt (`args.max_new_tokens =
    args.output_length - args.prompt_length`; a help text "prompt included")."""
    totals: dict[str, tuple[cst.BaseExpression, int]] = {}
    for scope in facts.scopes:
        for b in scope.bindings:
            value = b.value
            if (
                b.kind == "assign"
                and NEW_TOKENS_RE.search(b.target.rsplit(".", 1)[-1])
                and isinstance(value, cst.BinaryOperation)
                and isinstance(value.operator, cst.Subtract)
            ):
                total = N.dotted(value.left)
                if total is not None:
                    totals[total] = (value, b.start[0])
            elif (  # `max_length = prompt_length + generation_length`
                b.kind == "assign"
                and isinstance(value, cst.BinaryOperation)
                and isinstance(value.operator, cst.Add)
            ):
                sides = [N.dotted(value.left) or "", N.dotted(value.right) or ""]
                leaves = [side.rsplit(".", 1)[-1] for side in sides]
                for i in (0, 1):
                    if PROMPT_LEN_RE.search(leaves[i]) and GENERATED_LEN_RE.search(leaves[1 - i]):
                        new = value.right if i == 0 else value.left
                        totals.setdefault(b.target, (new, b.start[0]))
    if not totals:
        return []
    out: list[TotalLengthCount] = []
    for scope in facts.scopes:
        for div in facts.binary_operations(scope, cst.Divide):
            pos, _ = facts.pos(div)
            stmt = facts.enclosing_statement(div)
            if stmt is None or not re.search(r"tok|tps|thrpt|throughput", N.code(stmt), re.I):
                continue
            if not (is_time(scope, div.right, pos) or _named_time(div.right)):
                continue
            count, _, _ = facts.resolve(scope, div.left, pos)
            nodes = [count, *N.nodes_in(count)]
            if count is not div.left:  # `max_length / t`, `max_length` a total itself
                nodes.insert(0, div.left)
            derived = {  # `cu_len - input_len`: the count is the new tokens themselves
                N.dotted(n.left)
                for n in nodes
                if isinstance(n, cst.BinaryOperation) and isinstance(n.operator, cst.Subtract)
            }
            for node in nodes:
                text = N.dotted(node) if isinstance(node, cst.Name | cst.Attribute) else None
                if text in derived:
                    break
                if text in totals:
                    new, line = totals[text]
                    out.append(TotalLengthCount(div, text, new, line))
                    break
    return out


def _named_time(expr: cst.BaseExpression) -> bool:
    return any(
        isinstance(node, cst.Name) and TIME_NAME_RE.search(node.value)
        for node in (expr, *N.nodes_in(expr))
    )
