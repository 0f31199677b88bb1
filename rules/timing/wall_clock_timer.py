"""BA103 wall-clock-timer: an interval is measured with `time.time()`."""

from __future__ import annotations

from auditor.analyses import names as N
from auditor.analyses.base import FactsRule
from auditor.analyses.wallclock import perf_counter_rewrites, wall_clock_regions
from auditor.core import Applicability, Category, Edit, Fix, Severity
from auditor.rulemeta import RuleDocs, RuleMeta


class WallClockTimer(FactsRule):
    META = RuleMeta(
        code="BA103",
        name="wall-clock-timer",
        summary="An interval is timed with the wall clock `time.time()`",
        category=Category.TIMING,
        severity=Severity.INFO,
        # Off by default, as ruff and Bandit leave their low-severity, high-volume checks to
        # opt-in: on 68 real benchmark scripts it was half of all findings (71 of 137, in 41
        # files) and the only one in 5 of the 11 careful scripts, while its error is a few
        # percent at most. `--extend-select BA103` turns it on; its fix stays safe.
        default_enabled=False,
        message="`{read}` closes an interval read from the wall clock, which NTP can step and "
        "whose resolution is coarse, so the interval can be off or even negative",
        fix_title="Use `time.perf_counter()` for both reads of the interval",
        docs=RuleDocs(
            what_it_does="Finds timed intervals whose closing read is `time.time()` or "
            "`time.time_ns()` (under any alias): a subtraction of two reads, a read whose start "
            "another method stored (`self._t0` set in `__enter__`), or the closing read inside "
            "a timing helper. It points at the closing read.",
            why_is_this_bad="`time.time()` follows the system clock: NTP slews or steps it, and "
            "on some platforms it ticks in milliseconds or worse. `time.perf_counter()` is "
            "monotonic and has the highest resolution available. The error is usually small "
            "next to a GPU kernel (a few percent at most) and shows as outliers, so this is a "
            "warning; with a synchronised region it is the only flaw left.",
            example=(
                "import time\n\n"
                "def work():\n    return sum(range(10_000))\n\n"
                "t0 = time.time()\n"
                "work()\n"
                "elapsed = time.time() - t0\n"
            ),
            use_instead=(
                "import time\n\n"
                "def work():\n    return sum(range(10_000))\n\n"
                "t0 = time.perf_counter()\n"
                "work()\n"
                "elapsed = time.perf_counter() - t0\n"
            ),
            known_problems="Off by default (enable it with `--extend-select BA103` or "
            '`extend-select = ["BA103"]`): on real benchmark scripts it was half of all '
            "findings and often the only one in careful scripts, for an error of a few percent "
            "at most, so it is a style check, not a pre-commit gate. The safe fix rewrites "
            "both reads only when each is used in nothing but the interval's subtraction and "
            "is spelled `time.time()`; a start value that is also logged as a timestamp is "
            "left for a person to split.",
            references=(
                "https://docs.python.org/3/library/time.html#time.perf_counter",
                "https://peps.python.org/pep-0418/",
            ),
        ),
    )

    def check(self) -> None:
        for region in wall_clock_regions(self.facts, self.regions):
            rewrites = perf_counter_rewrites(self.facts, region)
            fix = None
            if rewrites:
                fix = Fix(
                    title=self.META.fix_title,
                    applicability=Applicability.SAFE,
                    edits=tuple(Edit(self.span_of(r.node), r.text) for r in rewrites),
                )
            self.report(
                region.end_node,
                read=N.code(region.end_node),
                fix=fix,
                related=[(region.start_node, "the interval starts here")],
            )
