"""BA102 weak-warmup: the first timed region is not preceded by a warm-up at its configuration."""

from __future__ import annotations

from dataclasses import replace

from auditor.analyses import names as N
from auditor.analyses.base import FactsRule
from auditor.analyses.facts import FileFacts
from auditor.analyses.regions import declares_setup, helper_timings
from auditor.analyses.timed import setup_in_regions
from auditor.analyses.warmup import (
    MANY,
    WarmupReason,
    WarmupVerdict,
    assess,
    first_timed_regions,
    handed_cold,
    harness_warmups,
    reconfigured_cold,
)
from auditor.core import Category, Severity
from auditor.evidence import WarmupEvidence
from auditor.rulemeta import RuleDocs, RuleMeta


class WeakWarmup(FactsRule):
    META = RuleMeta(
        code="BA102",
        name="weak-warmup",
        summary="The first timed region is not preceded by a synchronised warm-up at the timed "
        "configuration",
        category=Category.TIMING,
        severity=Severity.WARNING,
        message="The first timed region of `{model}` has {reasons}, so its time includes "
        "one-time start-up costs",
        fix_title="Warm up with several calls at the timed batch shape, then "
        "`torch.cuda.synchronize()` before starting the timer",
        # [tool.benchaudit.rules.weak-warmup] min-calls = N: fewer warm-up calls are too few
        # (default 1: one synchronised warm-up at the timed configuration warms an eager model;
        # a compiled model needs two whatever this says)
        options=(("min_calls", 1),),
        docs=RuleDocs(
            what_it_does="Looks at the first timed region of each function (or of the script) "
            "and at the calls of the timed model that run before it. It reports a missing "
            "warm-up, fewer warm-up calls than the `min-calls` option asks (default 1: one "
            "synchronised call at the timed configuration warms an eager model), a warm-up "
            "at another batch shape than the timed "
            "calls (one prompt vs a batch) or at another resolution (`height`/`width` known "
            "on both sides, no size in common), a `generate()` warm-up of one new token before "
            "a timed call that generates more (the prefill ran, the decoding path did not), a "
            "warm-up not followed by a synchronisation before "
            "the timer starts, and a `torch.compile`d model warmed up fewer than two times. "
            "It also checks every later timed region: one whose model was changed after its "
            "last run (`torch.compile(pipe.unet)`, `pipe.fuse_qkv_projections()`, "
            "`tomesd.apply_patch(pipe)`, `register_*(pipe.unet)`) and not run again before the "
            "timer starts times the changed model cold. For the standard library's "
            "`timeit.timeit`/`Timer.timeit` (which neither warm up nor synchronise) around a "
            "function of the file, it reports no call of that function (or its model) before "
            "the harness, and a last warm-up call not synchronised before it. In a kernel "
            "benchmark (a file with no model object: `torch.mm`, a custom extension's op), the "
            "first timed region whose kernel was never called before it is reported cold. "
            "Also reported: a timed function that loads the model and then runs it (its first "
            "run is timed cold); a harness that times a function it is handed "
            "(`benchmark(fn, ...)`) when neither the harness nor its first caller ran that "
            "function (or a model passed beside it) first; a timing loop that sets an "
            "iteration aside only under a condition (`start = -1 if compile else 0`); a "
            "warm-up loop whose queued work nothing waits for before a timing loop; and, in a "
            "client of an inference server (a file that names a server and loads no model), "
            "no warm-up request before the first timed request (also when the requests are "
            "sent by a function of the file, one picked by a flag, or mapped over the prompts "
            "by a thread pool; a request function that also times each request is reported "
            "once, at the region that times the whole run). A helper handed the model "
            "that only reads its parameters or device (`warmup(model)` running an unrelated "
            "matmul) is no warm-up, and a region kept only on a loop's first iteration "
            "(`if i == 0: prefill = ...`) measures that cold iteration whatever the loop's "
            "later ones do (unless it is named as the cold start: `cold_s = ...`). A timing "
            "function is followed to its callers also through the names that hold it "
            "(`decode = manual if args.manual else hf`, a parameter it is "
            "passed as); when its caller runs it several times before the measured call "
            "(a warm-up loop of the whole function), those runs count as warm-up, and so does "
            "handing the function to a helper that runs it (`run_warmup(generate)`). A method "
            "nothing in its file calls (a backend's `generate`, `__call__`) and a function "
            "that a module importing it only hands on as a value (`run_cell(complete, ...)`) "
            "are judged where they are run, not here.",
            why_is_this_bad="The first calls pay for CUDA context creation, cuDNN/cuBLAS "
            "autotuning, allocator growth and compilation. On an H100 a cold first call of a "
            "bf16 transformer took 26x a warm one. Autotuning and compiled graphs are "
            "shape-specific, so a warm-up at another batch shape leaves the timed shape cold, "
            "and an unsynchronised warm-up lets its queued work leak into the timed region.",
            example=(
                "import time\nimport torch\nfrom diffusers import DiffusionPipeline\n\n"
                'pipe = DiffusionPipeline.from_pretrained("sd").to("cuda")\n'
                'prompts = ["a cat", "a dog", "a fox"]\n'
                "t0 = time.perf_counter()\n"
                "images = pipe(prompts).images\n"
                "elapsed = time.perf_counter() - t0\n"
            ),
            use_instead=(
                "import time\nimport torch\nfrom diffusers import DiffusionPipeline\n\n"
                'pipe = DiffusionPipeline.from_pretrained("sd").to("cuda")\n'
                'prompts = ["a cat", "a dog", "a fox"]\n'
                "for _ in range(3):\n    pipe(prompts)\n"
                "torch.cuda.synchronize()\n"
                "t0 = time.perf_counter()\n"
                "images = pipe(prompts).images\n"
                "elapsed = time.perf_counter() - t0\n"
            ),
            known_problems="Only the first timed region of each function is checked. For a "
            "region inside a loop only a missing warm-up is reported (no model call before the "
            "timing loop, in the loops around it or before the function's first call), a "
            "warm-up at another configuration, or one of a torch module's forward (or a "
            "pipeline asked for latents) that nothing waits for before the loop, and "
            "not when the loop sets iterations aside (`if i < warmup`, `continue`, "
            "`times[1:]`, `pop(0)`). When the timed model is a parameter, the warm-up is "
            "looked for before the first call of the function in this file or, when nothing "
            "here calls it, in the first calling module of the project that imports it (its "
            "folder, the folders above it up to the project root, and, below a root marked by "
            "`.git` or `pyproject.toml`, the whole project; with no marker, also everything "
            "below the folder that holds the file's top package, or below the file itself, "
            "where scripts reach it through `sys.path`); with no call found the rule stays "
            "silent. Only the first caller found is looked at; a script's own call of a "
            "timing function of another module is judged at that call, for the model it "
            "hands in (its warm-ups before the call, whether it is compiled, its device). A "
            "warm-up `generate()` that decodes greedily before timed beam search "
            "(`num_beams=4`) is a warm-up at another configuration.",
            references=(
                "https://pytorch.org/docs/stable/benchmark_utils.html",
                "https://pytorch.org/docs/stable/torch.compiler_faq.html",
            ),
        ),
    )

    def check(self) -> None:
        verdicts = []
        firsts = first_timed_regions(self.facts, self.regions)
        for region in firsts:
            verdicts.append(assess(self.facts, region, int(self.options["min_calls"])))
        first_ids = {id(r) for r in firsts}
        for region in self.regions:  # any later region whose model was changed just before it
            if id(region) not in first_ids:
                verdicts.append(
                    reconfigured_cold(self.facts, region) or handed_cold(self.facts, region)
                )
        for hw in harness_warmups(self.facts):
            harness = N.short(N.code(hw.harness.node.func))
            if hw.reason is WarmupReason.NONE:
                what = (
                    f"`{harness}(...)` times `{hw.function}` from its first call, with no "
                    f"warm-up call before it, so its time includes one-time start-up costs"
                )
            else:
                what = (
                    f"`{harness}(...)` starts its clock right after the warm-up call of "
                    f"`{hw.function}` with no synchronisation, so the warm-up's queued device "
                    "work is timed as part of the first run"
                )
            self.report(
                hw.harness.node,
                message=what,
                related=[(c.node, "warm-up call") for c in hw.warmups[-1:]],
                evidence=WarmupEvidence(
                    model=hw.function,
                    warmup_calls=len(hw.warmups),
                    reasons=(str(hw.reason),),
                    warm_shape=None,
                    timed_shape=None,
                ),
            )
        for ht in helper_timings(self.facts):
            if declares_setup(ht.owner, ht.region):
                continue  # the helper times a set-up step: no inference warm-up verdict
            cold = assess(
                ht.owner, ht.region, int(self.options["min_calls"]), (self.facts, ht.call)
            )
            if cold is None:
                continue
            detail = {k: v for k, v in cold.detail.items() if k != "caller"}
            cold = replace(cold, detail=detail)  # (the caller is this call)
            helper = N.short(N.code(ht.call.node.func))
            arg = N.short(N.code(ht.arg))
            where = self.facts.where(ht.owner, ht.owner.pos(ht.region.start_node)[0][0])
            self.report(
                ht.call.node,
                message=f"`{helper}(...)` times `{arg}` (its timer starts at {where}) with "
                f"{cold.describe()}, so its time includes one-time start-up costs",
                model=arg,
                reasons=cold.describe(),
                evidence=WarmupEvidence(
                    model=arg,
                    warmup_calls=cold.count if cold.count < MANY else None,
                    reasons=tuple(str(r) for r in cold.reasons),
                    warm_shape=cold.detail.get("warm_shape"),
                    timed_shape=cold.detail.get("timed_shape"),
                ),
            )
        if self.facts.serving_client:
            verdicts = _outermost(self.facts, verdicts)
        judged = {id(v.region) for v in verdicts if v is not None}
        for hit in setup_in_regions(self.facts, self.regions):
            if not hit.helper or id(hit.region) in judged:
                continue
            judged.add(id(hit.region))
            call = N.short(N.code(hit.call.node.func))
            self.report(
                hit.region.start_node,
                message=f"This timed region runs `{call}(...)`, which {hit.what}: the loaded "
                "model's first run is timed cold, and nothing can warm it up before the timer",
                model=call,
                reasons=str(WarmupReason.NONE),
                related=[(hit.call.node, "loads and runs the model")],
                evidence=WarmupEvidence(
                    model=call,
                    warmup_calls=0,
                    reasons=(str(WarmupReason.NONE),),
                    warm_shape=None,
                    timed_shape=None,
                ),
            )
        for verdict in verdicts:
            if verdict is None:
                continue
            region = verdict.region
            changed_by = verdict.detail.get("changed_by")
            message = None
            if changed_by is not None:
                message = (
                    f"This timed region runs `{verdict.model}` cold: `{changed_by}` changed it "
                    "after its last run and nothing ran it again before the timer started, so "
                    "its time includes compiling or tuning the changed model"
                )
            elif verdict.reasons == (WarmupReason.HANDED_COLD,):
                handed = verdict.detail["warm_shape"]
                message = (
                    f"This timed region hands `{verdict.model}` another model "
                    f"({verdict.detail['timed_shape']}) that no call ran before it: whatever "
                    f"warm-up `{verdict.model}` had, the first timed use of "
                    f"`{handed.split('=', 1)[-1]}` is cold, so its time includes one-time "
                    "start-up costs"
                )
            self.report(
                region.start_node,
                message=message,
                model=verdict.model,
                reasons=verdict.describe(),
                related=[(c.node, "warm-up call") for c in verdict.warmups[:3]],
                evidence=WarmupEvidence(
                    model=verdict.model,
                    warmup_calls=verdict.count if verdict.count < MANY else None,
                    reasons=tuple(str(r) for r in verdict.reasons),
                    warm_shape=verdict.detail.get("warm_shape"),
                    timed_shape=verdict.detail.get("timed_shape"),
                ),
            )


def _outermost(
    facts: FileFacts, verdicts: list[WarmupVerdict | None]
) -> list[WarmupVerdict | None]:
    """In a serving client, of cold regions nested through calls (a request function that
    times each request, called from a region that times the whole run), only the outer one:
    one missing warm-up request, reported once, where the run the script reports starts."""
    found = [v for v in verdicts if v is not None]
    inner: set[int] = set()
    for outer in found:
        for call in facts.reachable_calls(list(outer.region.calls())):
            for _, fn in facts.possible_callees(call):
                inner |= {id(v) for v in found if v is not outer and v.region.scope is fn}
    return [v for v in found if id(v) not in inner]
