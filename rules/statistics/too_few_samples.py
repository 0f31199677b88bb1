"""BA302 too-few-samples: a reported time rests on one run, or a harness budget too small."""

from __future__ import annotations

from auditor.analyses import names as N
from auditor.analyses.arms import comparisons, runs_once
from auditor.analyses.base import FactsRule
from auditor.analyses.harness import (
    DO_BENCH_REP_FOR_LONG_CALLS,
    MIN_RUN_TIME_FOR_LONG_CALLS,
    HarnessKind,
    harnesses,
)
from auditor.core import Category, RuleDocs, RuleMeta, Severity


class TooFewSamples(FactsRule):
    META = RuleMeta(
        code="BA302",
        name="too-few-samples",
        summary="A compared time rests on a single run, or a benchmark harness gets too small a "
        "budget for the call it times",
        category=Category.STATISTICS,
        severity=Severity.WARNING,
        message="{what}, so the reported time is one sample with no measure of its spread",
        fix_title="Time each arm several times (at least 5) and report the median with its "
        "spread, or give the harness a budget of many calls",
        docs=RuleDocs(
            what_it_does="Reports (1) a comparison whose every arm is one model call timed once, "
            "at the first arm's closing timer read; (2) `timeit.timeit(..., number=1)` and "
            "`Timer.timeit(1)` with no `repeat`; (3) `torch.utils.benchmark`'s "
            f"`blocked_autorange()` with `min_run_time` under {MIN_RUN_TIME_FOR_LONG_CALLS:g} s "
            "(default 0.2 s) around a diffusers pipeline, a transformers `pipeline` or "
            "`generate()`; (4) `triton.testing.do_bench` with `rep` under "
            f"{DO_BENCH_REP_FOR_LONG_CALLS:g} ms (default 100 ms) around such a call.",
            why_is_this_bad="Run-to-run variation of a GPU pipeline is a few percent (clock "
            "boost, thermal state, allocator, host jitter), and the first timed run of an arm "
            "is often an outlier. A single sample cannot tell a 5% speedup from noise, and "
            "harness budgets sized for microsecond kernels give a multi-second call one sample "
            "while reporting it as a statistic. A warning: it widens the error bars of a "
            "speedup rather than biasing it.",
            example=(
                "import timeit\nimport torch\nfrom diffusers import DiffusionPipeline\n\n"
                'pipe = DiffusionPipeline.from_pretrained("sd").to("cuda")\n'
                'prompts = ["a cat", "a dog"]\n'
                "def run():\n    return pipe(prompts).images\n\n"
                "for _ in range(3):\n    run()\n"
                "seconds = timeit.timeit(run, number=1)\n"
            ),
            use_instead=(
                "import statistics\nimport timeit\nimport torch\n"
                "from diffusers import DiffusionPipeline\n\n"
                'pipe = DiffusionPipeline.from_pretrained("sd").to("cuda")\n'
                'prompts = ["a cat", "a dog"]\n'
                "def run():\n    return pipe(prompts).images\n\n"
                "for _ in range(3):\n    run()\n"
                "samples = timeit.repeat(run, number=1, repeat=7)\n"
                "seconds = statistics.median(samples)\n"
            ),
            known_problems="A single run of a script that times one arm (no comparison) is "
            "not flagged. A mean of a few runs reported without spread is not detected yet.",
            references=(
                "https://pytorch.org/docs/stable/benchmark_utils.html",
                "https://triton-lang.org/main/python-api/generated/triton.testing.do_bench.html",
            ),
        ),
    )

    def check(self) -> None:
        facts = self.facts
        reported: set[int] = set()
        for comp in comparisons(facts, self.regions):
            first = runs_once(facts, comp)
            if first is not None and id(first.end_node) not in reported:
                reported.add(id(first.end_node))
                self.report(
                    first.end_node,
                    what=f"each of the {len(comp.arms)} compared arms is timed with one call, once",
                )
        for h in harnesses(facts):
            what = None
            call = N.code(h.call.node.func)
            if h.kind is HarnessKind.TIMEIT and h.number == 1 and not h.repeat:
                what = f"`{call}(..., number=1)` times a single call"
            elif (
                h.kind is HarnessKind.AUTORANGE
                and h.long
                and (h.budget is None or h.budget < MIN_RUN_TIME_FOR_LONG_CALLS)
            ):
                budget = "its default 0.2 s" if h.budget is None else f"{h.budget:g} s"
                what = f"`{call}()` gets {budget} for a multi-second pipeline call"
            elif (
                h.kind is HarnessKind.DO_BENCH
                and h.long
                and (h.budget is None or h.budget < DO_BENCH_REP_FOR_LONG_CALLS)
            ):
                budget = "its default 100 ms" if h.budget is None else f"{h.budget:g} ms"
                what = f"`{call}()` gets {budget} for a multi-second pipeline call"
            if what is not None:
                self.report(h.call.node, what=what)
