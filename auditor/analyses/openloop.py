"""Latency percentiles from a closed-loop client (coordinated omission).

A client that sends a request, waits for its response, then sends the next (one at a time in a
loop, or each of a fixed pool of workers doing so) measures latency only at the pace the server
lets it: when the server stalls, the client stops sending, so the stall is one slow sample
instead of every request that would have arrived during it. Percentiles of such samples (p99 above
all) read low. An open-loop schedule sends requests at arrival times fixed in advance (a constant
or Poisson rate) and measures each from its scheduled start, which counts the queueing a stall
causes.

Found in serving clients (`serving`) only: per-request times appended to a list from a timed
request inside a loop, the list summarised with a percentile or quantile, and no arrival
schedule in the file (a rate, Poisson or exponential inter-arrival times, a sleep between
sends).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.facts import CallSite, FileFacts, Pos, Scope
from auditor.analyses.regions import Region

#: An arrival schedule: the client paces its sends itself.
SCHEDULE_RE = re.compile(
    r"poisson|expovariate|exponential\(|request_rate|arrival|\bqps\b|rps\b|sleep\(", re.I
)


@dataclass(frozen=True, slots=True)
class ClosedLoopLatencies:
    store: CallSite  # `latencies.append(...)` in the loop
    samples: str  # "latencies"
    summary_line: int  # where a percentile of them is taken
    request: CallSite  # the timed request


def _percentile_re(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?:percentile|quantile|quantiles)\w*\(\s*(?:sorted\()?\s*{re.escape(name)}\b"
        rf"|sorted\(\s*{re.escape(name)}\s*\)\s*\[\s*int\("
    )


def closed_loop_latencies(facts: FileFacts, regions: list[Region]) -> list[ClosedLoopLatencies]:
    if not facts.serving_client or SCHEDULE_RE.search(facts.source):
        return []
    out: list[ClosedLoopLatencies] = []
    seen: set[str] = set()
    for region in regions:
        requests = [c for c in region.calls() if facts.kind(c).model and facts.kind(c).work]
        loops = region.loops(facts)
        if not requests or not loops:
            continue
        loop = loops[-1]
        for c in region.scope.calls:
            if N.call_name(c.node) != "append" or loop not in c.loops:
                continue
            if c.start < region.content_start or len(c.node.args) != 1:
                continue
            receiver = N.receiver(c.node)
            name = N.dotted(receiver) if receiver is not None else None
            if not name or name in seen:
                continue
            value = c.node.args[0].value
            if not (N.contains(value, region.end_node) or _elapsed_name(facts, region, value)):
                continue
            match = _percentile_re(name).search(facts.source)
            if match is None:
                continue
            seen.add(name)
            line = facts.source.count("\n", 0, match.start()) + 1
            out.append(ClosedLoopLatencies(c, name, line, requests[0]))
    return out


def _elapsed_name(facts: FileFacts, region: Region, value: cst.BaseExpression) -> bool:
    """`latencies.append(elapsed)` where `elapsed` was computed from the closing read."""
    names = N.names_in(value)
    return any(
        b.target in names and b.value is not None and N.contains(b.value, region.end_node)
        for b in region.scope.bindings
    )


# ------------------------------------------------------------ the same prompt, again and again
#: Payload keys and keywords that carry the prompt of a request.
PROMPT_KEYS = ("prompt", "inputs", "text", "messages", "input", "query")


@dataclass(frozen=True, slots=True)
class RepeatedPrompt:
    request: CallSite  # the timed request
    prompt: str  # the prompt expression, as written


def _prompt_expr(call: cst.Call) -> cst.BaseExpression | None:
    """The prompt a request sends: a `prompt=`/`messages=` keyword (OpenAI-compatible), or
    that key of a `json=` payload written as a dict."""
    for key in PROMPT_KEYS:
        arg = N.keyword(call, key)
        if arg is not None:
            return arg.value
    payload = N.keyword(call, "json") or N.keyword(call, "data")
    if payload is not None and isinstance(payload.value, cst.Dict):
        for el in payload.value.elements:
            if isinstance(el, cst.DictElement) and N.string_value(el.key) in PROMPT_KEYS:
                return el.value
    return None


def repeated_prompts(facts: FileFacts, regions: list[Region]) -> list[RepeatedPrompt]:
    """Timed requests of a serving client that send one prompt every time: the request sits
    in a loop (or a comprehension handing out requests) and its prompt does not change with
    the loop, or the loop hands out the items of `[prompt] * n`."""
    if not facts.serving_client:
        return []
    out: list[RepeatedPrompt] = []
    seen: set[int] = set()
    for region in regions:
        for call in facts.reachable_calls(region.calls()):
            kind = facts.kind(call)
            if not (kind.work and kind.model) or id(call) in seen:
                continue
            prompt = _prompt_expr(call.node)
            if prompt is None:
                continue
            loops: list[cst.CSTNode] = list(call.loops)
            loops += [lp for lp in region.loops(facts) if lp not in loops]
            if not loops and call.scope is region.scope:
                continue  # one request: a single sample, not a repeated prompt (BA302)
            if _varies(facts, call, prompt, loops, region):
                continue
            seen.add(id(call))
            params = N.names_in(prompt) & set(call.scope.params)
            shown = (_params_repeat(facts, call, params, region) if params else None) or N.code(
                prompt
            )
            out.append(RepeatedPrompt(call, N.short(shown)))
    return out


def _varies(
    facts: FileFacts,
    call: CallSite,
    prompt: cst.BaseExpression,
    loops: list[cst.CSTNode],
    region: Region,
) -> bool:
    """The prompt changes between requests: it depends on a loop variable (other than one
    over `[p] * n`) or on a parameter (the caller may pass different prompts)."""
    names = set(N.names_in(prompt))
    if not names:
        return False  # a literal
    scope = call.scope
    values: list[cst.CSTNode] = [prompt]
    # names bound in the function from other names: follow one level (`body = {...q...}`)
    for b in scope.bindings:
        if b.target in names and b.kind == "assign" and b.value is not None:
            names |= N.names_in(b.value)
            values.append(b.value)
    if any(_has_call(v) for v in values):
        return True  # `random.choice(prompts)`, `make_prompt(i)`: may differ each time
    if names & set(scope.params):
        return _params_repeat(facts, call, names & set(scope.params), region) is None
    for b in scope.bindings:
        if b.target in names and b.kind in ("for", "comp"):
            return _repeated_items(facts, scope, b.value, b.start) is None
    return False


def _params_repeat(
    facts: FileFacts, call: CallSite, params: set[str], region: Region
) -> str | None:
    """`ask(client, QUESTION) for _ in range(64)`, `send(s, p) for p in ["hi"] * 32`: the
    calls of the request function that the timed region makes all hand in one prompt. That
    prompt, as written, or None."""
    shown: str | None = None
    timed = {id(c) for c in region.calls()}
    for site in facts.calls_to_function(call.scope.name):
        if id(site) not in timed:
            continue  # a warm-up, or another region's call
        for param in params:
            arg = facts.argument(site.node, param, call.scope.params.index(param))
            value = _constant_prompt(facts, site, arg)
            if value is None or (shown is not None and value != shown):
                return None
            shown = value
    return shown


def _constant_prompt(
    facts: FileFacts, site: CallSite, arg: cst.BaseExpression | None
) -> str | None:
    """The one prompt an argument always holds: a string literal, a name bound to one, or
    the loop variable over `[p] * n`."""
    if isinstance(arg, cst.SimpleString | cst.ConcatenatedString):
        return N.code(arg)
    if not isinstance(arg, cst.Name):
        return None
    b = facts.binding_before(site.scope, arg.value, site.start)
    if b is None and site.scope.parent is not None:
        b = facts.binding_before(facts.module_scope, arg.value, (10**9, 0))
    if b is None:
        return None
    if b.kind in ("for", "comp"):
        return _repeated_items(facts, site.scope, b.value, b.start)
    if b.kind == "assign" and isinstance(b.value, cst.SimpleString | cst.FormattedString):
        return arg.value if not _has_call(b.value) else None
    return None


def _repeated_items(
    facts: FileFacts, scope: Scope, value: cst.BaseExpression | None, pos: Pos
) -> str | None:
    """`[p] * n` (or `n * [p]`), directly or through a name: `p`, as written."""
    if isinstance(value, cst.Name):
        b = facts.binding_before(scope, value.value, pos)
        value = b.value if b is not None and b.kind == "assign" else None
    if not isinstance(value, cst.BinaryOperation) or not isinstance(value.operator, cst.Multiply):
        return None
    side = value.left if isinstance(value.left, cst.List) else value.right
    if isinstance(side, cst.List) and len(side.elements) == 1:
        return N.code(side.elements[0].value)
    return None


def _has_call(node: cst.CSTNode) -> bool:
    return any(isinstance(n, cst.Call) for n in N.nodes_in(node, into_lambdas=True))
