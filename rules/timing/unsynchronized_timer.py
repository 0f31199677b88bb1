"""BA101 unsynchronized-timer: a host clock closes a region while CUDA work may still run."""

from __future__ import annotations

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.base import FactsRule
from auditor.analyses.harness import harnesses, unsynced_work
from auditor.analyses.regions import RegionKind, declares_setup, helper_timings
from auditor.analyses.rewrites import sync_insertions
from auditor.analyses.sync import (
    event_read_synced,
    region_sync,
    unconsumed_lazy_results,
    unsynced_importer_uses,
    unsynced_step_callback_reads,
)
from auditor.core import Applicability, Category, Edit, Fix, Severity, Span
from auditor.evidence import UnsyncedEvidence
from auditor.rulemeta import RuleDocs, RuleMeta


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
        # [tool.benchaudit.rules.unsynchronized-timer] assume-gpu = true: check scripts that
        # never mention CUDA too (their device comes from a config or another module)
        options=(("assume_gpu", False),),
        docs=RuleDocs(
            what_it_does="Finds timed regions whose closing read of a host clock (`time.time`, "
            "`time.perf_counter`, `time.monotonic`, `timeit.default_timer`, their `_ns` forms, "
            "`datetime.now()`, under any alias, or a helper, context manager or `Timer` class "
            "around them, also imported from a sibling module, including a start time handed to a"
            " function that closes the interval, `report(t0)` or `end_measure(start)`) follows "
            "device work with no synchronisation in between; CUDA events whose `elapsed_time` is "
            "read without synchronising after the closing `record()`; `timeit` statements "
            "(callables or strings) that queue device work; and clock reads in a diffusers step "
            "callback. A timing helper that never synchronises is reported in its own file when a"
            " sibling script uses it around device work, and a script's call of a timing "
            "function of another module that times the CUDA model the script hands it "
            "(`benchmark_inference(model, x)`) is reported at the call. A faster-whisper "
            "`transcribe` timed without iterating the segment generator it returns (the "
            "decoding runs as it is iterated) is reported too.",
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
            "A script that never puts anything on a GPU (no `cuda` string, f-string included, "
            "no `.cuda()`, `device_map=`, `device=0`, `.to(0)`, `Accelerator()` or "
            "`torch.cuda` call) is treated as CPU-only and not checked, unless the "
            "`assume-gpu` option is set; a device chosen in another module is seen only when the "
            "module moves its work to a device it is handed (`x.to(args.device)`) and a "
            "script importing it names CUDA (`--device` defaulting to `cuda:0`). "
            "In a script that does use the GPU, work placed on the CPU where it runs (a model "
            'last moved with `.to(device)` while `device` holds `"cpu"`, `.cpu()`, a tensor '
            'made with `device="cpu"`) needs no synchronisation: a CPU baseline arm is '
            "not reported, nor a host timer that runs only in the `else` of a CUDA check "
            "(itself, or every call of its function in the file). A device chosen by a branch "
            '(`torch.device("cuda")` or `"cpu"`) counts as the GPU. Models whose calls return '
            "finished work (ONNX Runtime sessions, ultralytics predictors) need no "
            "synchronisation. A clock read only to throttle messages or check a timeout "
            "(`if now - last_report >= 5:`) is no measurement and is not checked; a logger "
            "handed to a helper (`log_rank0(msg, logger.info)`) and process-group queries "
            "(`dist.get_rank()`) queue no device work; a synchronisation under `if device is "
            "not None:` covers the work on the accelerator path. "
            "Timing context managers from libraries are known from a catalogue "
            "(`auditor.vocabulary.LIBRARY_CONTEXT_TIMERS`: contexttimer, codetiming, "
            "optimum-habana, Lightning, torchtnt); others are not timers to the rule. A "
            "timer read in a statement that names a set-up measurement "
            '(`print(f"Compilation time: ...")`, `load_s = ...`; words: compile, load, build, '
            "quantize, warm-up, setup, initialise, train, fine-tune) is not checked: its "
            "time is meant to include the set-up, and BA102 and BA302 skip it too.",
            references=(
                "https://pytorch.org/docs/stable/notes/cuda.html#asynchronous-execution",
                "https://pytorch.org/docs/stable/benchmark_utils.html",
            ),
        ),
    )

    def check(self) -> None:
        facts = self.facts
        reported: set[int] = set()
        gpu = facts.uses_gpu or bool(self.options["assume_gpu"])
        for region in self.regions if gpu else ():
            if region.kind is RegionKind.EVENT:
                work = [c for c in region.calls() if facts.kind(c).work]
                end = region.end_node
                if work and not event_read_synced(facts, region) and id(end) not in reported:
                    reported.add(id(end))
                    self.report(
                        end,
                        message=f"`{N.code(end)}` reads CUDA events without synchronising "
                        "after the closing `record()`, so the end event may not have completed",
                        evidence=UnsyncedEvidence(
                            N.code(end), N.short(N.code(work[0].node.func)) + "(...)"
                        ),
                    )
                continue
            if region.foreign or region.kind is RegionKind.SPLIT:
                continue  # the helper's own file reports its closing read
            if declares_setup(facts, region):
                continue  # "Compilation time: ...": a set-up measurement, not inference
            verdict = region_sync(facts, region)
            if verdict.synced or verdict.work is None or id(region.end_node) in reported:
                continue
            reported.add(id(region.end_node))
            end = region.end_node
            timer = N.short(N.code(end.func)) if isinstance(end, cst.Call) else region.timer
            work_text = N.short(N.code(verdict.work.node.func)) + "(...)"
            message = None
            if region.kind is RegionKind.PAIR and region.clock and region.clock != timer:
                # the closing helper reads the clock itself (`log_latency(label, t0)`)
                message = (
                    f"`{timer}()` reads `{region.clock}()` while CUDA work from `{work_text}` "
                    "may still be queued, so the time covers launching the work, not running it"
                )
            self.report(
                end,
                message=message,
                timer=timer,
                work=work_text,
                evidence=UnsyncedEvidence(timer, work_text),
                fix=self._fix(end),
                related=[
                    (region.start_node, "the timed region starts here"),
                    (verdict.work.node, "device work queued here"),
                ],
            )
        for h in harnesses(facts) if gpu else ():
            queued = unsynced_work(facts, h)
            if queued is not None:
                self.report(
                    h.call.node,
                    message=f"`{N.code(h.call.node.func)}` times `{queued}(...)` and reads its "
                    "clock without synchronising, so the time covers launching the work, not "
                    "running it",
                    evidence=UnsyncedEvidence(N.code(h.call.node.func), f"{queued}(...)"),
                )
        for ht in helper_timings(facts) if gpu else ():
            verdict = region_sync(ht.owner, ht.region)
            last = verdict.work
            if verdict.synced or last is None or declares_setup(ht.owner, ht.region):
                continue
            if (N.dotted(last.node.func) or "").split(".", 1)[0] != ht.param:
                continue  # the unsynced work is the helper's own, reported in its file
            end = ht.region.end_node
            timer = N.short(N.code(end.func)) if isinstance(end, cst.Call) else ht.region.timer
            helper = N.short(N.code(ht.call.node.func))
            arg = N.short(N.code(ht.arg))
            where = facts.where(ht.owner, ht.owner.pos(end)[0][0])
            self.report(
                ht.call.node,
                message=f"`{helper}(...)` times `{arg}` and reads `{timer}()` at {where} "
                f"without synchronising, while `{arg}` queues CUDA work here, so the time "
                "covers launching the work, not running it",
                timer=timer,
                work=f"{arg}(...)",
                evidence=UnsyncedEvidence(timer, f"{arg}(...)"),
            )
        for lazy in unconsumed_lazy_results(facts, self.regions):
            if declares_setup(facts, lazy.region):
                continue
            what = f"`{lazy.result}`" if lazy.result else "its result"
            self.report(
                lazy.call.node,
                message=f"`{N.short(N.code(lazy.call.node.func))}(...)` returns its segments as a "
                f"lazy generator and nothing iterates {what} before the timer is read, so the "
                "time covers reading the audio and detecting the language, not the "
                "transcription",
                evidence=UnsyncedEvidence(lazy.region.timer, "a lazy generator"),
            )
        for read in unsynced_step_callback_reads(facts) if gpu else ():
            self.report(
                read.node,
                message=f"`{N.code(read.node.func)}()` is read in a step callback while the "
                "step's CUDA work may still be queued, so per-step times measure launches",
                fix=self._fix(read.node),
                evidence=UnsyncedEvidence(N.code(read.node.func), "the step's work"),
            )
        for use in unsynced_importer_uses(facts):
            if id(use.timer.end_node) not in reported:
                reported.add(id(use.timer.end_node))
                self.report(
                    use.timer.end_node,
                    message=f"`{use.timer.name}` reads the clock when its block ends without "
                    f"synchronising, and `{use.user}` times CUDA work in it (`{use.work}(...)` "
                    f"at line {use.line}), so the time covers launching the work, not running it",
                    fix=self._fix(use.timer.end_node),
                    evidence=UnsyncedEvidence(use.timer.name, f"{use.work}(...)"),
                )

    def _fix(self, end_read: cst.CSTNode) -> Fix | None:
        if isinstance(end_read, cst.With):
            return None  # a library timer reads its clock when the block ends
        inserts = sync_insertions(self.facts, end_read)
        if inserts is None:
            return None
        edits = tuple(Edit(Span(line, 1, line, 1), text) for line, text in inserts)
        return Fix(title=self.META.fix_title, applicability=Applicability.SAFE, edits=edits)
