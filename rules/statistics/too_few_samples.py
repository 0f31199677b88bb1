"""BA302 too-few-samples: a reported time rests on one run, or a harness budget too small."""

from __future__ import annotations

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.arms import comparisons, runs_once
from auditor.analyses.base import FactsRule
from auditor.analyses.harness import (
    DO_BENCH_REP_FOR_LONG_CALLS,
    MIN_RUN_TIME_FOR_LONG_CALLS,
    HarnessKind,
    harnesses,
    helper_harnesses,
)
from auditor.analyses.repetition import FEW_RUNS, computes_spread, repetitions
from auditor.core import Category, Severity
from auditor.rulemeta import RuleDocs, RuleMeta


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
            "at the first arm's closing timer read; (1b) any timed region around model work (also "
            "a method of a class from another project module that calls the model) that "
            "runs once (no loop around it or inside it, and its function not called from a "
            "loop), whether or not the file compares arms: configurations are often compared "
            "across runs of the script; a loop over configurations (schedulers, attention "
            "backends, models) whose every iteration times one call and reports it on its own "
            "is one sample per configuration; in a client of an inference server, one burst of "
            "requests timed once is one sample; (1c) a region repeated by `range(N)` where N, "
            "a literal "
            "or a command-line default less the runs the script discards (`times[1:]`, "
            "`pop(0)`), is two to four (also counted through a progress bar, `tqdm(range(N))`), "
            "and the file computes no spread (standard deviation, "
            "percentiles, min and max); (1d) a timing loop whose elapsed time is computed in the "
            "loop but stored after it (`times.append(elapsed)` dedented out of the loop), so "
            "only the last run is kept; (2) `timeit.timeit(..., number=1)` and "
            "`Timer.timeit(1)` with no `repeat`, and `Timer.timeit(N)` around a multi-second call "
            "with N of two to four (a literal, a command-line default, or a parameter every "
            "caller passes the same value for): one block of N calls is one sample, its mean "
            "has no spread; (3) `torch.utils.benchmark`'s "
            f"`blocked_autorange()` with `min_run_time` under {MIN_RUN_TIME_FOR_LONG_CALLS:g} s "
            "(default 0.2 s) around a diffusers pipeline, a transformers `pipeline` or "
            "`generate()`, also when a timing helper of the file or a sibling module "
            "(`benchmark_fn(run_inference, pipe)`) builds the harness around the callable it "
            "is handed (reported at the call that hands it over); (4) "
            "`triton.testing.do_bench` with `rep` under "
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
            known_problems="A region that also times loading the model is left to BA204. A "
            "loop over a collection around a region (prompts, or a sweep of configurations) is "
            "not counted as repetition, and such a region is not flagged. A loop count that is "
            "neither a literal nor an argparse default is unknown and not flagged. Four or five "
            "runs without spread are not flagged (careful scripts often keep five samples). A "
            "mean over runs printed one by one is not flagged (the spread is visible).",
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
                # one finding for the comparison, at its first arm
                reported |= {id(a.region.end_node) for a in comp.arms if a.region is not None}
                reported.add(id(first.end_node))  # (a timing helper's region, for calls)
                self.report(
                    first.end_node,
                    what=f"each of the {len(comp.arms)} compared arms is timed with one call, once",
                )
        # two reads after one start, on one path, time the same run (in exclusive branches of
        # an `if`, each times its own)
        started: dict[int, list[cst.CSTNode]] = {}
        for rep in repetitions(facts, self.regions):
            end = rep.region.end_node
            ends = started.setdefault(id(rep.region.start_node), [])
            if id(end) in reported or any(not facts.exclusive(e, end) for e in ends):
                continue
            reported.add(id(end))
            ends.append(end)
            call = N.short(N.code(N.work_shown(rep.work.node))) + "(...)"
            if rep.runs == 1:
                how = "" if rep.source == "once" else f" ({rep.source})"
                self.report(end, what=f"this timer reads one run of `{call}`{how}")
            elif rep.printed_each:
                self.report(
                    end,
                    what=f"each of this timer's {rep.runs} runs of `{call}` ({rep.source}) is "
                    "printed on its own",
                )
            else:
                self.report(
                    end,
                    message=f"this timer's runs of `{call}` are averaged over {rep.runs} timed "
                    f"runs ({rep.source}) and no spread is computed, so the reported time cannot "
                    "be told from run-to-run noise",
                )
        for hh in helper_harnesses(facts):
            h = hh.harness
            if h.budget is not None and h.budget >= MIN_RUN_TIME_FOR_LONG_CALLS:
                continue
            budget = "its default 0.2 s" if h.budget is None else f"{h.budget:g} s"
            self.report(
                hh.call.node,
                what=f"`{hh.helper}` times the callable it is given with "
                f"`{N.code(h.call.node.func)}()` at {budget}, and this call gives it a "
                "multi-second pipeline call",
            )
        spread = computes_spread(facts.source)
        for h in harnesses(facts):
            what = None
            call = N.code(h.call.node.func)
            if h.kind is HarnessKind.TIMEIT and h.number == 1 and not h.repeat:
                what = f"`{call}(..., number=1)` times a single call"
            elif (
                h.kind is HarnessKind.TIMEIT
                and h.long
                and not h.repeat
                and h.number is not None
                and 1 < h.number <= FEW_RUNS
                and not spread
            ):
                how = f" ({h.number_source})" if h.number_source else ""
                what = (
                    f"`{call}(...)`{how} times {h.number} calls as one block and reports their mean"
                )
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
