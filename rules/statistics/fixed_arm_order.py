"""BA303 fixed-arm-order: compared arms run once each, always in the same order."""

from __future__ import annotations

from auditor.analyses.arms import comparisons, second_arm_start
from auditor.analyses.base import FactsRule
from auditor.core import Category, Severity
from auditor.evidence import ArmsEvidence
from auditor.rulemeta import RuleDocs, RuleMeta


class FixedArmOrder(FactsRule):
    META = RuleMeta(
        code="BA303",
        name="fixed-arm-order",
        summary="Compared arms are timed one after the other in a fixed order, never "
        "interleaved or repeated",
        category=Category.STATISTICS,
        severity=Severity.WARNING,
        # Off by default (`--extend-select BA303` turns it on), as BA103: on the 242 labelled
        # real scripts of the development and extra sets it found no flaw the other statistics
        # rules missed, and three of its six findings there and in a later blind sample were
        # false alarms on arms of hundreds of warmed runs each, where a fixed order costs less
        # than the run-to-run noise.
        default_enabled=False,
        message="`{second}` is always timed after `{first}`, in a single pass, so drift over "
        "the run (clocks, temperature, caches, memory) is attributed to the arms",
        fix_title="Alternate the arms in several rounds (`for rep in range(n): for arm in "
        "arms: ...`), shuffling their order each round",
        docs=RuleDocs(
            what_it_does="Finds comparisons (timed regions or timing calls whose results are "
            "divided, put side by side in one dict, list or print, or stored under their own "
            'keys of one table (`results["eager"] = bench(model)`), or a loop over a '
            "collection of models or functions) in which every arm's "
            "measurement runs once, baseline first: no loop repeats the arms, and their order "
            "is not shuffled. It points at the opening timer read (or timing call) of the "
            "second arm.",
            why_is_this_bad="A GPU warms up over a run: boost clocks settle, temperature rises "
            "and may throttle, the allocator and caches fill. The arm that always runs second "
            "gets a systematically different machine. The effect is typically a few percent, "
            "so this is a warning, but it is a bias, not noise: repeating the measurement does "
            "not remove it, alternating the arms does.",
            example=(
                "import time\nimport torch\n\n"
                "base = torch.nn.Linear(4096, 4096).cuda()\n"
                "fast = torch.nn.Linear(4096, 4096).cuda().half()\n"
                'x = torch.randn(64, 4096, device="cuda")\n'
                "for _ in range(3):\n    base(x)\n    fast(x.half())\n"
                "torch.cuda.synchronize()\n"
                "t0 = time.perf_counter()\n"
                "for _ in range(100):\n    base(x)\n"
                "torch.cuda.synchronize()\n"
                "base_s = time.perf_counter() - t0\n"
                "t0 = time.perf_counter()\n"
                "for _ in range(100):\n    fast(x.half())\n"
                "torch.cuda.synchronize()\n"
                "fast_s = time.perf_counter() - t0\n"
                "speedup = base_s / fast_s\n"
            ),
            use_instead=(
                "import statistics\nimport time\nimport torch\n\n"
                "base = torch.nn.Linear(4096, 4096).cuda()\n"
                "fast = torch.nn.Linear(4096, 4096).cuda().half()\n"
                'x = torch.randn(64, 4096, device="cuda")\n'
                "for _ in range(3):\n    base(x)\n    fast(x.half())\n"
                "torch.cuda.synchronize()\n"
                "base_s, fast_s = [], []\n"
                "for _ in range(5):\n"
                "    t0 = time.perf_counter()\n"
                "    for _ in range(100):\n        base(x)\n"
                "    torch.cuda.synchronize()\n"
                "    base_s.append(time.perf_counter() - t0)\n"
                "    t0 = time.perf_counter()\n"
                "    for _ in range(100):\n        fast(x.half())\n"
                "    torch.cuda.synchronize()\n"
                "    fast_s.append(time.perf_counter() - t0)\n"
                "speedup = statistics.median(base_s) / statistics.median(fast_s)\n"
            ),
            known_problems="Arms built inside the loop from its entries (a loop over "
            "checkpoints or paths that loads each model, times it and releases it) are a "
            "comparison for the other rules (BA206, BA302) but are not flagged here: arms that "
            "never exist side by side cannot be alternated without holding them all in memory "
            "(so `fixtures/seed/model_evaluator.py`, which loads, times and releases its three "
            "arms in turn, is not flagged). Separate processes per arm are not detected.",
            references=("https://pytorch.org/docs/stable/benchmark_utils.html",),
        ),
    )

    def check(self) -> None:
        for comp in comparisons(self.facts, self.regions):
            if comp.interleaved or comp.built_in_loop:
                continue  # (arms loaded one at a time cannot be alternated without all held)
            node = second_arm_start(comp)
            if node is None:
                continue
            self.report(
                node,
                first=comp.arms[0].label,
                second=comp.arms[1].label,
                related=[(comp.arms[0].anchor, "the first arm is timed here")],
                evidence=ArmsEvidence(tuple(a.label for a in comp.arms)),
            )
