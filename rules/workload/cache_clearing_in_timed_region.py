"""BA205 cache-clearing-in-timed-region: the allocator or garbage collector is reset mid-timing."""

from __future__ import annotations

from auditor.analyses import names as N
from auditor.analyses.base import FactsRule
from auditor.analyses.timed import cache_clearing_in_harnesses, cache_clearing_in_regions
from auditor.core import Category, Severity
from auditor.rulemeta import RuleDocs, RuleMeta


class CacheClearingInTimedRegion(FactsRule):
    META = RuleMeta(
        code="BA205",
        name="cache-clearing-in-timed-region",
        summary="`empty_cache()`, `gc.collect()` or a memory-stats reset runs inside a timed "
        "region",
        category=Category.WORKLOAD,
        severity=Severity.WARNING,
        message="`{call}` {what} inside the timed region, so the time includes the clearing "
        "and the re-allocation it forces",
        fix_title="Clear caches and reset memory statistics before the timer starts",
        docs=RuleDocs(
            what_it_does="Finds `torch.cuda.empty_cache()`, `gc.collect()`, "
            "`torch.cuda.reset_peak_memory_stats()` (and the other memory-counter resets) "
            "inside a region that times model or device work, and inside a function of the "
            'file that a benchmark harness times (`Timer(stmt="run(pipe)")`, '
            "`timeit.timeit(lambda: run(pipe))`, `do_bench(fn)`), where every measured call "
            "pays for it; clearing in the harness's `setup` is fine.",
            why_is_this_bad="`empty_cache()` synchronises the device and returns the caching "
            "allocator's blocks to the driver, so the timed work pays `cudaMalloc` again; a "
            "full `gc.collect()` takes milliseconds to tens of milliseconds with a large model "
            "in memory. Both are host overheads that shrink a speedup toward 1x and add "
            "variance: a warning-level flaw (a few percent to tens).",
            example=(
                "import gc\nimport time\nimport torch\n\n"
                "model = torch.nn.Linear(4096, 4096).cuda()\n"
                'x = torch.randn(64, 4096, device="cuda")\n'
                "for _ in range(3):\n    model(x)\ntorch.cuda.synchronize()\n"
                "t0 = time.perf_counter()\n"
                "gc.collect()\n"
                "torch.cuda.empty_cache()\n"
                "y = model(x)\n"
                "torch.cuda.synchronize()\n"
                "elapsed = time.perf_counter() - t0\n"
            ),
            use_instead=(
                "import gc\nimport time\nimport torch\n\n"
                "model = torch.nn.Linear(4096, 4096).cuda()\n"
                'x = torch.randn(64, 4096, device="cuda")\n'
                "for _ in range(3):\n    model(x)\n"
                "gc.collect()\n"
                "torch.cuda.empty_cache()\n"
                "torch.cuda.synchronize()\n"
                "t0 = time.perf_counter()\n"
                "y = model(x)\n"
                "torch.cuda.synchronize()\n"
                "elapsed = time.perf_counter() - t0\n"
            ),
            known_problems="Calls inside helper functions that the region calls are not "
            "followed, except where the helper itself holds the timed region or opens or "
            "closes it (`start = start_measure()` reading the clock and then clearing; "
            "`end_measure(start)` clearing before its read).",
            references=("https://pytorch.org/docs/stable/notes/cuda.html#memory-management",),
        ),
    )

    def check(self) -> None:
        for hit in cache_clearing_in_regions(self.facts, self.regions):
            self.report(
                hit.call.node,
                call=N.code(hit.call.node.func) + "()",
                what=hit.what,
                related=[(hit.region.start_node, "the timed region starts here")],
            )
        for timed in cache_clearing_in_harnesses(self.facts):
            self.report(
                timed.call.node,
                message=f"`{N.code(timed.call.node.func)}()` {timed.what} inside "
                f"`{timed.function}`, which `{N.short(N.code(timed.harness.node.func))}()` at "
                f"line {timed.harness.start[0]} times, so every timed call includes the "
                "clearing and the re-allocation it forces",
                related=[(timed.harness.node, "the harness that times it")],
            )
