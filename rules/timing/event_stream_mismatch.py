"""BA104 event-stream-mismatch: CUDA events bracket work that runs on another stream."""

from __future__ import annotations

from auditor.analyses import names as N
from auditor.analyses.base import FactsRule
from auditor.analyses.regions import RegionKind
from auditor.analyses.streams import mismatched_streams
from auditor.core import Category, Severity
from auditor.rulemeta import RuleDocs, RuleMeta


class EventStreamMismatch(FactsRule):
    META = RuleMeta(
        code="BA104",
        name="event-stream-mismatch",
        summary="CUDA events are recorded on one stream around work issued on another",
        category=Category.TIMING,
        severity=Severity.WARNING,
        message="`{end}` records on {event_stream} but the timed work `{work}` runs on "
        "`{work_stream}`, so the events do not wait for it and the elapsed time misses it",
        fix_title="Record both events on the stream that runs the work (`event.record(stream)` or "
        "inside its `with torch.cuda.stream(...)`), or make that stream wait for the work first",
        docs=RuleDocs(
            what_it_does="For CUDA events read with `elapsed_time`, compares the stream each "
            "event is recorded on (`record()` on the current stream, `record(s)` on `s`) with "
            "the streams the timed work runs on (`with torch.cuda.stream(s):` blocks, also "
            "inside functions and methods the region calls). It reports the closing "
            "`record()` when work runs on another stream and nothing joins the two streams "
            "(`wait_stream`, `wait_event`, a synchronisation) before it.",
            why_is_this_bad="An event completes when the work queued on its own stream before "
            "it completes. Work on another stream runs concurrently and is not covered: the "
            "measured time can be near zero or cover only part of the work, misreporting a "
            "stream-overlap optimisation by an unknown amount (a warning: in practice the "
            "events often still land after the work because the host launches slowly).",
            example=(
                "import torch\n\n"
                "model = torch.nn.Linear(4096, 4096).cuda()\n"
                'x = torch.randn(64, 4096, device="cuda")\n'
                "side = torch.cuda.Stream()\n"
                "start = torch.cuda.Event(enable_timing=True)\n"
                "end = torch.cuda.Event(enable_timing=True)\n"
                "start.record()\n"
                "with torch.cuda.stream(side):\n    y = model(x)\n"
                "end.record()\n"
                "torch.cuda.synchronize()\n"
                "ms = start.elapsed_time(end)\n"
            ),
            use_instead=(
                "import torch\n\n"
                "model = torch.nn.Linear(4096, 4096).cuda()\n"
                'x = torch.randn(64, 4096, device="cuda")\n'
                "side = torch.cuda.Stream()\n"
                "start = torch.cuda.Event(enable_timing=True)\n"
                "end = torch.cuda.Event(enable_timing=True)\n"
                "start.record(side)\n"
                "with torch.cuda.stream(side):\n    y = model(x)\n"
                "end.record(side)\n"
                "torch.cuda.synchronize()\n"
                "ms = start.elapsed_time(end)\n"
            ),
            known_problems="Streams are compared by how they are spelled, so two names for one "
            "stream look different (and are reported); `torch.cuda.set_stream` is not followed.",
            references=(
                "https://pytorch.org/docs/stable/notes/cuda.html#cuda-streams",
                "https://docs.nvidia.com/cuda/cuda-runtime-api/group__CUDART__EVENT.html",
            ),
        ),
    )

    def check(self) -> None:
        facts = self.facts
        for region in self.regions:
            if region.kind is not RegionKind.EVENT:
                continue
            start, end = region.start_record, region.end_record
            if start is None or end is None:
                continue
            mismatch = mismatched_streams(facts, region.calls(), start, end)
            if mismatch is None:
                continue
            stream = mismatch.event_stream
            self.report(
                end.node,
                end=N.code(end.node),
                event_stream=f"`{stream}`" if stream else "the current stream",
                work=N.code(mismatch.work.node.func) + "(...)",
                work_stream=mismatch.work_stream,
                related=[(start.node, "the start event is recorded here")],
            )
