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
from auditor.analyses.facts import CallSite, FileFacts
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
        if not requests or not region.loops(facts):
            continue
        loop = region.loops(facts)[-1]
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
