"""Where a token count comes from, and token rates compared although counted differently.

A tokens/s figure is a count over a time. The count can be one the generator recorded while it
ran (`record["new_tokens"]`, `out.num_tokens`), the length of the output ids, or a
re-tokenisation of the decoded text (`len(tokenizer(text).input_ids)`), which differs from what
was generated: special and stop tokens are stripped by decoding, a merge at the prompt boundary
changes the split, and text that includes the prompt counts the prompt. Two rates counted from
different sources are not comparable, and their ratio (a speedup) is off by the difference.

Counts are followed through assignments, `+=` accumulation, `sum(...)`, and lists of rates
(`speeds.append(tokens / seconds)`) to the statistics taken of them (`np.mean(speeds)`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.facts import Binding, FileFacts, Pos, Scope
from auditor.vocabulary import TIME_WORD_PATTERN


class TokenSource(StrEnum):
    RECORDED = "a count the generator recorded"
    RETOKENISED = "a re-tokenisation of the decoded text"
    CHARACTERS = "the characters of the decoded text"
    WORDS = "the words of the text"


#: Calls that turn token ids into text: `len()` of their result counts characters.
DECODE_CALLS = frozenset({"decode", "batch_decode"})


#: A tokenizer applied to text: `tokenizer(text)`, `tok.encode(text)`, `gen.tokenizer(text)`.
TOKENIZER_CALL_RE = re.compile(
    r"(?:^|\.)(?:tok|tokenizer|\w+_tokenizer|enc|encoder)"
    r"(?:\.(?:encode|encode_plus|batch_encode_plus|tokenize|__call__))?$",
    re.IGNORECASE,
)
#: A recorded count's key or attribute: `["new_tokens"]`, `.num_generated_tokens`.
RECORDED_KEY_RE = re.compile(r"token", re.IGNORECASE)
#: A time's name or key: `wall_time`, `elapsed`, `latency`, `duration`, `seconds`.
TIME_WORD_RE = re.compile(TIME_WORD_PATTERN, re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Count:
    source: TokenSource
    text: str  # the expression that counts, as written


def count_of(
    facts: FileFacts, scope: Scope, expr: cst.BaseExpression, pos: Pos, depth: int = 0
) -> Count | None:
    """The source of the token count `expr` (None: not a token count, or unknown)."""
    if depth > 6:
        return None
    if isinstance(expr, cst.Name):
        return _count_of_name(facts, scope, expr.value, pos, depth)
    if isinstance(expr, cst.Call) and N.call_name(expr) == "len" and len(expr.args) == 1:
        text, _, _ = facts.resolve(scope, expr.args[0].value, pos)
        if isinstance(text, cst.Call) and N.call_name(text) in DECODE_CALLS:
            return Count(TokenSource.CHARACTERS, N.code(expr))
        if _splits_on_whitespace(text):  # `len(text.split())`: words
            return Count(TokenSource.WORDS, N.code(expr))
    for node in N.nodes_in(expr):
        if isinstance(node, cst.Call):
            func = N.dotted(node.func) or ""
            if TOKENIZER_CALL_RE.search(func):
                return Count(TokenSource.RETOKENISED, N.code(node))
        if isinstance(node, cst.Subscript):
            key = N.subscript_key(node)
            if key is not None and RECORDED_KEY_RE.search(key):
                return Count(TokenSource.RECORDED, N.code(node))
    if isinstance(expr, cst.GeneratorExp | cst.ListComp) and isinstance(
        expr.elt, cst.BaseExpression
    ):  # `sum(len(o.text.split()) for o in outputs)`: what each item counts
        return count_of(facts, scope, expr.elt, pos, depth + 1)
    if isinstance(expr, cst.Call) and N.call_name(expr) in ("sum", "int", "float", "len"):
        for arg in expr.args:
            found = count_of(facts, scope, arg.value, pos, depth + 1)
            if found is not None:
                return found
    if isinstance(expr, cst.BinaryOperation):
        return count_of(facts, scope, expr.left, pos, depth + 1)
    return None


def _count_of_name(facts: FileFacts, scope: Scope, name: str, pos: Pos, depth: int) -> Count | None:
    """A name's count: from its last assignment, or from what is added to it (`n += ...`)."""
    found: Count | None = None
    for b in scope.bindings:
        if b.target != name or b.value is None or b.start >= pos:
            continue
        if b.kind in ("assign", "aug"):
            count = count_of(facts, b.scope, b.value, b.start, depth + 1)
            if count is not None:
                found = count
    if found is None:
        found = _count_per_request(facts, scope, name, pos, depth)
    if (
        found is None
        and scope.parent is not None
        and not any(b.target == name for b in scope.bindings)
    ):
        return _count_of_name(facts, scope.parent, name, pos, depth + 1)
    return found


def _splits_on_whitespace(expr: cst.BaseExpression) -> bool:
    """`text.split()` or `text.split(" ")`: the text's words."""
    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)):
        return False
    if expr.func.attr.value != "split" or len(expr.args) > 1:
        return False
    return not expr.args or (
        isinstance(expr.args[0].value, cst.SimpleString)
        and N.string_value(expr.args[0].value) == " "
    )


def _count_per_request(
    facts: FileFacts, scope: Scope, name: str, pos: Pos, depth: int
) -> Count | None:
    """`latencies, counts = zip(*results)` with `results = await asyncio.gather(*tasks)` of
    calls of a function returning `(latency, len(text.split()))`: what that function counts
    in `counts`'s place."""
    unpacked = facts.unpacked_from(scope, name, pos)
    if unpacked is None:
        return None
    zipped, index = unpacked
    if N.call_name(zipped.node) != "zip" or len(zipped.node.args) != 1:
        return None
    star = zipped.node.args[0]
    if star.star != "*" or not isinstance(star.value, cst.Name):
        return None
    b = facts.binding_before(zipped.scope, star.value.value, zipped.start)
    value = b.value if b is not None else None
    if isinstance(value, cst.Await):
        value = value.expression
    gather = facts.site_of(value)
    request = facts.gathered_call(gather) if gather is not None else None
    if request is None:
        return None
    for owner, fn in facts.possible_callees(request):
        if owner is not facts:
            continue
        for ret in fn.returns:
            if isinstance(ret.value, cst.Tuple) and index < len(ret.value.elements):
                element = ret.value.elements[index].value
                found = count_of(facts, fn, element, facts.pos(ret)[0], depth + 1)
                if found is not None:
                    return found
    return None


def looks_like_time(facts: FileFacts, scope: Scope, expr: cst.BaseExpression, pos: Pos) -> bool:
    """A divisor named or keyed as a time (`times`, `wall_time`, `elapsed`), through
    assignments and `sum(...)` of a recorded field."""
    value, _, _ = facts.resolve(scope, expr, pos)
    for node in (expr, value):
        if isinstance(node, cst.Name) and TIME_WORD_RE.search(node.value):
            return True
        if isinstance(node, cst.Attribute) and TIME_WORD_RE.search(node.attr.value):
            return True  # `t.elapsed`, `timer.seconds`
        for sub in N.nodes_in(node):
            if isinstance(sub, cst.Subscript):
                key = N.subscript_key(sub)
                if key is not None and TIME_WORD_RE.search(key):
                    return True
    return False


@dataclass(frozen=True, eq=False, slots=True)
class Rate:
    count: Count
    division: cst.BinaryOperation  # count / time


#: Whether an expression is a time, from the unit analysis: `is_time(scope, expr, pos)`.
IsTime = Callable[[Scope, cst.BaseExpression, Pos], bool]


def rate_of(
    facts: FileFacts,
    scope: Scope,
    expr: cst.BaseExpression,
    pos: Pos,
    is_time: IsTime | None = None,
) -> Rate | None:
    """`expr` is a token rate (`tokens / times`): its count's source. The divisor is a time by
    its name or key, or by `is_time`."""
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
        count = count_of(facts, scope, expr.left, pos)
        if count is None:
            return None
        if looks_like_time(facts, scope, expr.right, pos) or (
            is_time is not None and is_time(scope, expr.right, pos)
        ):
            return Rate(count, expr)
    return None


def _rates_behind(facts: FileFacts, scope: Scope, expr: cst.BaseExpression, pos: Pos) -> list[Rate]:
    """The rates a statistic is taken of: `np.array(speeds).mean()` where `speeds` collects
    `tokens / times`, or a name assigned a rate (one per source)."""
    direct = rate_of(facts, scope, expr, pos)
    if direct is not None:
        return [direct]
    out: dict[TokenSource, Rate] = {}
    names = N.names_in(expr)
    for c in scope.calls:
        func = c.node.func
        if c.start >= pos or not isinstance(func, cst.Attribute) or func.attr.value != "append":
            continue
        if N.dotted(func.value) in names and len(c.node.args) == 1:
            rate = rate_of(facts, c.scope, c.node.args[0].value, c.start)
            if rate is not None:
                out.setdefault(rate.count.source, rate)
    for name in names:
        b = facts.binding_before(scope, name, pos)
        if b is not None and b.kind == "assign" and b.value is not None and b.scope is scope:
            rate = rate_of(facts, b.scope, b.value, b.start)
            if rate is not None:
                out.setdefault(rate.count.source, rate)
    return list(out.values())


@dataclass(frozen=True, slots=True)
class MixedRates:
    """A ratio of two token rates whose counts come from different sources."""

    division: cst.BinaryOperation
    left: Rate
    right: Rate


def mixed_rate_ratios(facts: FileFacts) -> list[MixedRates]:
    if "token" not in facts.source.lower():
        return []
    out: list[MixedRates] = []
    for scope in facts.scopes:
        for div in facts.binary_operations(scope, cst.Divide):
            pos, _ = facts.pos(div)
            if rate_of(facts, scope, div, pos) is not None:
                continue  # a rate itself, not a ratio of rates
            left = _rates_behind(facts, scope, div.left, pos)
            right = _rates_behind(facts, scope, div.right, pos)
            if len(left) != 1 or len(right) != 1:
                continue
            (lrate,), (rrate,) = left, right
            if lrate.count.source != rrate.count.source:
                out.append(MixedRates(div, lrate, rrate))
    return out


@dataclass(frozen=True, slots=True)
class PromptRetokenised:
    """A tokens/s whose count re-tokenises the `generated_text` of a transformers
    text-generation `pipeline`, which starts with the prompt unless `return_full_text=False`."""

    division: cst.BinaryOperation
    count: Count


def _pipeline_text_counted(facts: FileFacts) -> bool:
    """A transformers `pipeline`'s `generated_text`, not limited to the completion."""
    ref = facts.imports.get("pipeline")
    if ref is None or not ref.module.startswith("transformers"):
        return False
    return "generated_text" in facts.source and "return_full_text" not in facts.source


def token_rates(facts: FileFacts, is_time: IsTime) -> list[Rate]:
    """Every division of the file that is a token rate, its divisor a time by name, key or
    `is_time`; none computed where no detector below could use them (no pipeline text, no
    decoding, no tiktoken)."""
    if (
        not _pipeline_text_counted(facts)
        and "decode" not in facts.source
        and "tiktoken" not in facts.source
        and ".split()" not in facts.source
    ):
        return []
    out: list[Rate] = []
    for scope in facts.scopes:
        for div in facts.binary_operations(scope, cst.Divide):
            pos, _ = facts.pos(div)
            rate = rate_of(facts, scope, div, pos, is_time)
            if rate is not None:
                out.append(rate)
    return out


def prompt_in_retokenised_text(facts: FileFacts, rates: Sequence[Rate]) -> list[PromptRetokenised]:
    """Of `rates` (see `token_rates`), those that re-encode a pipeline's `generated_text`."""
    if not _pipeline_text_counted(facts):
        return []
    return [
        PromptRetokenised(r.division, r.count)
        for r in rates
        if r.count.source is TokenSource.RETOKENISED
    ]


@dataclass(frozen=True, slots=True)
class CharactersAsTokens:
    """A tokens/s whose count is the length of decoded text: characters, not tokens."""

    division: cst.BinaryOperation
    count: Count


#: The rate is reported as tokens: its name, or the statement that shows it, says so.
TOKEN_WORD_RE = re.compile(r"token|tok/s|tps", re.IGNORECASE)


def characters_as_tokens(facts: FileFacts, rates: Sequence[Rate]) -> list[CharactersAsTokens]:
    """Of `rates` (see `token_rates`), those counting decoded characters and called tokens."""
    out: list[CharactersAsTokens] = []
    for rate in rates:
        if rate.count.source not in (TokenSource.CHARACTERS, TokenSource.WORDS):
            continue
        stmt = facts.enclosing_statement(rate.division)
        said = N.code(stmt) if stmt is not None else ""
        if (
            TOKEN_WORD_RE.search(said)
            or TOKEN_WORD_RE.search(N.code(rate.division.left))
            or _shown_as_tokens(facts, stmt)
        ):
            out.append(CharactersAsTokens(rate.division, rate.count))
    return out


def _shown_as_tokens(facts: FileFacts, stmt: cst.CSTNode | None) -> bool:
    """`speed = len(text) / elapsed` then a line that prints or logs `speed` as tokens
    (`print(f"Throughput: {speed:.1f} tokens/s")`)."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
        return False
    small = stmt.body[0]
    target: cst.BaseExpression | None = None
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
    elif (  # `rates.append(produced / elapsed)`: the list is what is shown
        isinstance(small, cst.Expr)
        and isinstance(small.value, cst.Call)
        and isinstance(small.value.func, cst.Attribute)
        and small.value.func.attr.value == "append"
    ):
        target = small.value.func.value
    if not isinstance(target, cst.Name):
        return False
    name = re.escape(target.value)
    words = TOKEN_WORD_RE.pattern
    # the unit right after the value's placeholder (`{rate:.1f} tokens/s`, `{median(rates)}
    # tokens/s`), or a label right before the value
    after = re.compile(rf"\{{[^{{}}\n]*?\b{name}\b[^}}\n]*\}}[^{{}}\n]*?({words})", re.IGNORECASE)
    before = re.compile(rf"({words})[^{{}}\n,]*[\"']\s*,\s*{name}\b", re.IGNORECASE)
    return any(
        (after.search(line) or before.search(line)) and SHOWN_RE.search(line)
        for line in facts.source.splitlines()
    )


#: A line that shows a value: printed, logged or written.
SHOWN_RE = re.compile(r"\b(print|log\w*|info|write)\b")


@dataclass(frozen=True, slots=True)
class ForeignTokenizer:
    """A serving client's tokens/s counted with tiktoken: OpenAI's encodings, not the tokenizer
    of the model the server runs."""

    division: cst.BinaryOperation
    count: Count
    encoding: str  # the tiktoken call that built the encoder, as written


def foreign_tokenizer_counts(facts: FileFacts, rates: Sequence[Rate]) -> list[ForeignTokenizer]:
    """Of `rates` (see `token_rates`), in a client of an inference server (`serving`), those
    that re-tokenise with a `tiktoken` encoding: the server counts with its own model's
    tokenizer, so the figure is in another tokenizer's units."""
    if not facts.serving_client or "tiktoken" not in facts.source:
        return []
    out: list[ForeignTokenizer] = []
    for rate in rates:
        if rate.count.source is not TokenSource.RETOKENISED:
            continue
        root = re.split(r"[.(\[]", rate.count.text.split("len(", 1)[-1], maxsplit=1)[0].strip()
        scope = facts.module_scope
        for s in facts.scopes:
            if any(b.target == root for b in s.bindings):
                scope = s
                break
        b = facts.binding_before(scope, root, (10**9, 0))
        if b is None or not isinstance(b.value, cst.Call):
            continue
        if any(q.startswith("tiktoken.") for q in facts.qnames_of(b.value.func)):
            out.append(ForeignTokenizer(rate.division, rate.count, N.code(b.value)))
    return out


@dataclass(frozen=True, slots=True)
class EstimatedTokens:
    """A token count estimated from text length (`len(text) / CHARACTERS_PER_TOKEN`, `len(text)
    // 4`) and divided by or into a time: a per-token figure in an assumed unit."""

    assign: cst.CSTNode  # the statement that estimates
    name: str  # the estimated count
    divisor: str  # the characters-per-token constant, as written
    division: cst.BinaryOperation  # where the estimate meets a time


#: A characters-per-token constant by name (`CHARACTERS_PER_TOKEN`, `chars_per_tok`).
CHARS_NAME_RE = re.compile(r"char", re.IGNORECASE)


def _characters_over_constant(expr: cst.BaseExpression) -> str | None:
    """`len(...) / 4`, `(len(a) - len(b)) // CHARS_PER_TOKEN`: the constant divided by."""
    if not isinstance(expr, cst.BinaryOperation) or not isinstance(
        expr.operator, cst.Divide | cst.FloorDivide
    ):
        return None
    if not any(isinstance(n, cst.Call) and N.call_name(n) == "len" for n in N.nodes_in(expr.left)):
        return None
    right = expr.right
    if isinstance(right, cst.Integer | cst.Float):
        try:
            value = float(right.value)
        except ValueError:
            return None
        return right.value if 2 <= value <= 6 else None
    name = N.dotted(right)
    return name if name is not None and CHARS_NAME_RE.search(name) else None


def estimated_token_counts(facts: FileFacts, is_time: IsTime) -> list[EstimatedTokens]:
    """Names that count tokens (`token`, `tok` in the name) assigned a length of text over a
    characters-per-token constant, then divided by or into a time (by name, or `is_time`)."""
    if "len(" not in facts.source:
        return []
    out: list[EstimatedTokens] = []
    for scope in facts.scopes:
        for b in scope.bindings:
            if b.kind != "assign" or b.value is None or not re.search("tok", b.target, re.I):
                continue
            divisor = _characters_over_constant(b.value)
            div = _divided_by_a_time(facts, scope, b, is_time) if divisor else None
            if divisor is not None and div is not None:
                stmt = facts.binding_node(b)
                out.append(EstimatedTokens(stmt or div, b.target, divisor, div))
    return out


def _divided_by_a_time(
    facts: FileFacts, scope: Scope, b: Binding, is_time: IsTime
) -> cst.BinaryOperation | None:
    """The first division after the binding `b` of a count that divides it by, or into, a time
    (by name, or `is_time`)."""
    for div in facts.binary_operations(scope, cst.Divide):
        pos, _ = facts.pos(div)
        if pos <= b.start:
            continue
        sides = (div.left, div.right)
        if any(isinstance(x, cst.Name) and x.value == b.target for x in sides) and any(
            looks_like_time(facts, scope, x, pos) or is_time(scope, x, pos) for x in sides
        ):
            return div
    return None


@dataclass(frozen=True, slots=True)
class DoubledTerm:
    """A token count that adds one length to itself (`batch * (input_len + input_len)`) while
    the script also has another length it plausibly meant (`output_len`), divided by or into a
    time: a copy-paste slip that doubles one part of the count and drops the other."""

    assign: cst.CSTNode  # the statement that counts
    name: str  # the count
    term: str  # the doubled term, as written
    missing: str  # the length it plausibly meant
    division: cst.BinaryOperation  # where the count meets a time


#: The lengths of a request's two parts, by name.
LENGTH_NAME_RE = re.compile(r"(input|prompt|output|gen|new|decode|prefill)_?(len|length|tokens)")


def doubled_token_terms(facts: FileFacts, is_time: IsTime) -> list[DoubledTerm]:
    """Names that count tokens assigned a sum with two identical length terms, then divided by
    or into a time."""
    out: list[DoubledTerm] = []
    for scope in facts.scopes:
        for b in scope.bindings:
            if b.kind != "assign" or b.value is None or not re.search("tok", b.target, re.I):
                continue
            term = _doubled_length(b.value)
            if term is None:
                continue
            part = _part(term.rsplit(".", 1)[-1])
            others = {
                m.group(0)
                for m in LENGTH_NAME_RE.finditer(facts.source)
                if _part(m.group(0)) not in ("", part)
            }
            div = _divided_by_a_time(facts, scope, b, is_time) if part and others else None
            if div is not None:
                stmt = facts.binding_node(b)
                out.append(DoubledTerm(stmt or div, b.target, term, sorted(others)[0], div))
    return out


def _part(name: str) -> str:
    """Which part of a request a length names: "input" (prompt, prefill) or "output"."""
    m = LENGTH_NAME_RE.match(name)
    if m is None:
        return ""
    return "input" if m.group(1) in ("input", "prompt", "prefill") else "output"


def _doubled_length(expr: cst.BaseExpression) -> str | None:
    """The term of `a + a` inside `expr` when it names a request length (`input_len`)."""
    found: list[str] = []

    class V(cst.CSTVisitor):
        def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
            if isinstance(node.operator, cst.Add):
                left, right = N.dotted(node.left), N.dotted(node.right)
                if left and left == right and LENGTH_NAME_RE.match(left.rsplit(".", 1)[-1]):
                    found.append(left)

    expr.visit(V())
    return found[0] if found else None
