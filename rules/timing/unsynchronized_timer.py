"""BA101 unsynchronized-timer: a host clock closes a region while CUDA work may still run."""

from __future__ import annotations

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.base import FactsRule
from auditor.analyses.regions import RegionKind
from auditor.analyses.sync import event_read_synced, region_sync
from auditor.core import Applicability, Category, Edit, Fix, RuleDocs, RuleMeta, Severity, Span


class UnsynchronizedTimer(FactsRule):
    META = RuleMeta(
        code="BA101",
        name="unsynchronized-timer",
        summary="A host timer or CUDA event is read while device work may still be queued",
        category=Category.TIMING,
        severity=Severity.ERROR,
        message="`{timer}()` is read while CUDA work from `{work}` may still be queued, so the "
        "time covers launching the work, not running it",
        fix_title="Call `torch.cuda.synchronize()` before reading the timer",
        docs=RuleDocs(
            what_it_does="Finds timed regions whose closing read of a host clock (`time.time`, "
            "`time.perf_counter`, `time.monotonic`, `timeit.default_timer`, their `_ns` forms, "
            "under any alias, or a local helper or context manager around them) follows device "
            "work with no synchronisation in between, and CUDA events whose `elapsed_time` is "
            "read without synchronising after the closing `record()`.",
            why_is_this_bad="CUDA kernels run asynchronously: a call returns once its work is "
            "queued. A clock read right after measures the launch, not the computation. On an "
            "H100 a matmul loop read 40x too fast without a sync.",
            example=(
                "import time\nimport torch\n\n"
                "model = torch.nn.Linear(4096, 4096).cuda()\n"
                'x = torch.randn(64, 4096, device="cuda")\n'
                "for _ in range(3):\n    model(x)\ntorch.cuda.synchronize()\n"
                "t0 = time.perf_counter()\n"
                "y = model(x)\n"
                "elapsed = time.perf_counter() - t0\n"
            ),
            use_instead=(
                "import time\nimport torch\n\n"
                "model = torch.nn.Linear(4096, 4096).cuda()\n"
                'x = torch.randn(64, 4096, device="cuda")\n'
                "for _ in range(3):\n    model(x)\ntorch.cuda.synchronize()\n"
                "t0 = time.perf_counter()\n"
                "y = model(x)\n"
                "torch.cuda.synchronize()\n"
                "elapsed = time.perf_counter() - t0\n"
            ),
            known_problems="The rule cannot see inside libraries: a whole diffusers pipeline "
            'call with `output_type="latent"` synchronised internally on an H100 (timing '
            "unchanged), yet is flagged. `benchaudit verify` measures whether it mattered. "
            "Scripts that never mention CUDA are treated as CPU-only and not checked.",
            references=(
                "https://pytorch.org/docs/stable/notes/cuda.html#asynchronous-execution",
                "https://pytorch.org/docs/stable/benchmark_utils.html",
            ),
        ),
    )

    def check(self) -> None:
        facts = self.facts
        if not facts.uses_gpu:
            return
        reported: set[int] = set()
        for region in self.regions:
            if region.kind is RegionKind.EVENT:
                work = [c for c in region.calls() if facts.kind(c).work]
                if work and not event_read_synced(facts, region):
                    end = region.end_node
                    if id(end) not in reported:
                        reported.add(id(end))
                        self.report(
                            end,
                            message=f"`{N.code(end)}` reads CUDA events without synchronising "
                            "after the closing `record()`, so the end event may not have "
                            "completed",
                        )
                continue
            verdict = region_sync(facts, region)
            if verdict.synced or verdict.work is None or id(region.end_node) in reported:
                continue
            reported.add(id(region.end_node))
            work_text = _short(N.code(verdict.work.node.func)) + "(...)"
            self.report(
                region.end_node,
                timer=_short(N.code(region.end_node.func))
                if isinstance(region.end_node, cst.Call)
                else region.timer,
                work=work_text,
                fix=self._fix(region.end_node),
                related=[
                    (region.start_node, "the timed region starts here"),
                    (verdict.work.node, "device work queued here"),
                ],
            )

    def _fix(self, end_read: cst.CSTNode) -> Fix | None:
        """Insert `torch.cuda.synchronize()` on its own line before the statement that reads
        the clock, when `torch` is imported under its own name and the statement starts its
        line."""
        if not self.facts.module_imported_as("torch"):
            return None
        stmt = self.facts.enclosing_statement(end_read)
        if stmt is None:
            return None
        span = self.span_of(stmt)
        line = self.ctx.lines[span.line - 1]
        indent = line[: len(line) - len(line.lstrip())]
        if len(indent) + 1 != span.column:
            return None
        return Fix(
            title=self.META.fix_title,
            applicability=Applicability.SAFE,
            edits=(Edit(Span(span.line, 1, span.line, 1), f"{indent}torch.cuda.synchronize()\n"),),
        )


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."
