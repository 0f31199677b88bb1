"""BA304 closed-client-percentiles: latency percentiles of a client that waits for each
response before sending the next request (coordinated omission)."""

from __future__ import annotations

from auditor.analyses.base import FactsRule
from auditor.analyses.openloop import closed_loop_latencies
from auditor.core import Category, Severity
from auditor.rulemeta import RuleDocs, RuleMeta


class ClosedClientPercentiles(FactsRule):
    META = RuleMeta(
        code="BA304",
        name="closed-client-percentiles",
        summary="Latency percentiles measured by a client that sends the next request only "
        "after the previous response (coordinated omission)",
        category=Category.STATISTICS,
        severity=Severity.WARNING,
        message="`{samples}` holds the latency of requests sent one after another, each "
        "waiting for the previous response, and line {line} takes a percentile of it: when "
        "the server stalls the client stops sending, so the stall counts once instead of for "
        "every request that would have queued behind it, and high percentiles read low",
        fix_title="Send requests on an arrival schedule fixed in advance (a constant or "
        "Poisson rate) and measure each from its scheduled start",
        docs=RuleDocs(
            what_it_does="In a client of an inference server (a file that names a server and "
            "loads no model of its own), finds per-request times appended to a list inside "
            "the loop that sends the requests, where the list is summarised with a percentile "
            "or quantile, and the file has no arrival schedule (a request rate, Poisson or "
            "exponential inter-arrival times, a sleep between sends).",
            why_is_this_bad="A closed-loop client measures latency at the pace the server "
            "allows. During a 2 s stall a client that would send 10 requests a second sends "
            "none: one sample of 2 s enters the distribution where a user-facing service "
            "would have had 20 requests waiting 0-2 s. The p99 of the closed-loop samples can "
            "be several times lower than what an open-loop load at the same rate produces "
            "(coordinated omission). Mean throughput is unaffected; tail latency is what it "
            "hides.",
            example=(
                "import statistics\nimport time\n\nimport requests\n\n"
                'URL = "http://localhost:8000/v1/completions"\n'
                "latencies = []\n"
                "for i in range(200):\n"
                "    t0 = time.perf_counter()\n"
                '    requests.post(URL, json={"prompt": f"q{i}", "max_tokens": 64})\n'
                "    latencies.append(time.perf_counter() - t0)\n"
                "print(statistics.quantiles(latencies, n=100)[98])\n"
            ),
            use_instead=(
                "import random\nimport statistics\nimport threading\nimport time\n\n"
                "import requests\n\n"
                'URL = "http://localhost:8000/v1/completions"\n'
                "RATE = 10.0  # requests per second, fixed in advance\n"
                "latencies = []\n\n\n"
                "def send(i, scheduled):\n"
                '    requests.post(URL, json={"prompt": f"q{i}", "max_tokens": 64})\n'
                "    latencies.append(time.perf_counter() - scheduled)  # from the scheduled "
                "start\n\n\n"
                "start = time.perf_counter()\nnext_send = start\nthreads = []\n"
                "for i in range(200):\n"
                "    next_send += random.expovariate(RATE)  # Poisson arrivals\n"
                "    time.sleep(max(0.0, next_send - time.perf_counter()))\n"
                "    t = threading.Thread(target=send, args=(i, next_send))\n"
                "    t.start()\n    threads.append(t)\n"
                "for t in threads:\n    t.join()\n"
                "print(statistics.quantiles(latencies, n=100)[98])\n"
            ),
            known_problems="Percentiles are recognised by name (`percentile`, `quantile`, "
            "`quantiles`, `sorted(xs)[int(...)]`); a fixed pool of closed-loop workers is "
            "recognised only when each worker's loop appends its own times. A client that "
            "limits its rate some other way (a token bucket in another module) is reported.",
            references=(
                "https://www.scylladb.com/2021/04/22/on-coordinated-omission/",
                "https://github.com/giltene/wrk2",
            ),
        ),
    )

    def check(self) -> None:
        for hit in closed_loop_latencies(self.facts, self.regions):
            self.report(
                hit.store.node,
                samples=hit.samples,
                line=str(hit.summary_line),
                related=[(hit.request.node, "the request, sent after the previous returned")],
            )
