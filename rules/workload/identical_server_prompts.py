"""BA208 identical-server-prompts: a serving client times the same prompt over and over."""

from __future__ import annotations

from auditor.analyses.base import FactsRule
from auditor.analyses.openloop import repeated_prompts
from auditor.core import Category, Severity
from auditor.rulemeta import RuleDocs, RuleMeta


class IdenticalServerPrompts(FactsRule):
    META = RuleMeta(
        code="BA208",
        name="identical-server-prompts",
        summary="A serving client times requests that all send the same prompt, which a server "
        "with prefix caching answers from its cache",
        category=Category.WORKLOAD,
        severity=Severity.WARNING,
        message="every timed request sends the same prompt (`{prompt}`): a server with prefix "
        "caching (vLLM, SGLang, TGI) serves its prefill from the cache after the first "
        "request, so the measured latency and throughput leave the prefill out",
        fix_title="Send distinct prompts (a dataset, or a unique prefix per request), or turn "
        "prefix caching off on the server and say so",
        docs=RuleDocs(
            what_it_does="In a client of an inference server (a file that names a server and "
            "loads no model of its own), finds timed requests whose prompt (the `prompt`/"
            "`messages` argument, or that key of a `json=` payload) is the same on every "
            "request: a literal or a constant sent from a loop, or the items of `[prompt] * n` "
            "handed out to concurrent requests.",
            why_is_this_bad="Servers cache the key/value states of prompt prefixes they have "
            "seen (automatic prefix caching in vLLM and SGLang, prefix reuse in TGI). A "
            "benchmark that repeats one prompt pays the prefill once, then measures decoding "
            "only: time-to-first-token and throughput look like a system with free prefill, "
            "which no workload of distinct prompts gets.",
            example=(
                "import time\n\nimport requests\n\n"
                'URL = "http://localhost:8000/v1/completions"\n'
                'PROMPT = "Summarise the plot of Hamlet in three sentences."\n'
                "for _ in range(3):\n"
                '    requests.post(URL, json={"prompt": "warm-up", "max_tokens": 8})\n'
                "times = []\n"
                "for _ in range(50):\n"
                "    t0 = time.perf_counter()\n"
                '    requests.post(URL, json={"prompt": PROMPT, "max_tokens": 128})\n'
                "    times.append(time.perf_counter() - t0)\n"
                "print(sorted(times)[25])\n"
            ),
            use_instead=(
                "import time\n\nimport requests\n\n"
                'URL = "http://localhost:8000/v1/completions"\n'
                'PLAYS = ["Hamlet", "Macbeth", "Othello", "King Lear", "The Tempest"]\n'
                "for _ in range(3):\n"
                '    requests.post(URL, json={"prompt": "warm-up", "max_tokens": 8})\n'
                "times = []\n"
                "for i in range(50):\n"
                '    prompt = f"[{i}] Summarise the plot of {PLAYS[i % 5]} in three sentences."\n'
                "    t0 = time.perf_counter()\n"
                '    requests.post(URL, json={"prompt": prompt, "max_tokens": 128})\n'
                "    times.append(time.perf_counter() - t0)\n"
                "print(sorted(times)[25])\n"
            ),
            known_problems="A prompt built by a call (`random.choice(prompts)`, a template "
            "function) is assumed to vary. Payloads built in another module are not read.",
            references=("https://docs.vllm.ai/en/latest/features/automatic_prefix_caching.html",),
        ),
    )

    def check(self) -> None:
        for hit in repeated_prompts(self.facts, self.regions):
            self.report(hit.request.node, prompt=hit.prompt)
