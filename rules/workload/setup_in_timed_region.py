"""BA204 setup-in-timed-region: loading, moving, compiling or offloading a model is timed."""

from __future__ import annotations

from auditor.analyses import names as N
from auditor.analyses.base import FactsRule
from auditor.analyses.timed import setup_in_regions
from auditor.core import Category, Severity
from auditor.rulemeta import RuleDocs, RuleMeta


class SetupInTimedRegion(FactsRule):
    META = RuleMeta(
        code="BA204",
        name="setup-in-timed-region",
        summary="Model loading, device transfer, compilation or CPU offload setup runs inside "
        "a timed region",
        category=Category.WORKLOAD,
        severity=Severity.ERROR,
        message="`{call}` {what} inside a region that times inference, so one-time setup is "
        "counted as inference time",
        fix_title="Load, move, compile and warm up the model before the timer starts",
        docs=RuleDocs(
            what_it_does="Finds, inside a region that also times a model call: "
            "`from_pretrained`/`from_single_file`, `.to(device)`/`.cuda()` of a model, "
            "`torch.compile(...)`, `enable_model_cpu_offload()`/"
            "`enable_sequential_cpu_offload()`, an engine or model class built from a "
            "checkpoint path and then run in the same region (`engine = Engine(model_path)` "
            "then `engine.decode(ids)`, vLLM's `LLM(model=...)`; not a wrapper built around a "
            "model already in memory), and the first call of a `torch.compile`d model "
            "that no call outside the region has warmed up. A region that times only loading "
            "(a load-time measurement) is not flagged, nor one whose closing read says it "
            'measures set-up (`print(f"compilation + first call: {time.perf_counter() - t0}")`, '
            '`with Timer("load"):`).',
            why_is_this_bad="Loading a checkpoint takes seconds, moving it to the GPU copies "
            "gigabytes, and compiling takes tens of seconds to minutes: each can exceed the "
            "inference it is mixed with, so a speedup moves by 2x or more, or flips.",
            example=(
                "import time\nimport torch\nfrom diffusers import DiffusionPipeline\n\n"
                'prompts = ["a cat", "a dog"]\n'
                "t0 = time.perf_counter()\n"
                'pipe = DiffusionPipeline.from_pretrained("sd").to("cuda")\n'
                "images = pipe(prompts).images\n"
                "elapsed = time.perf_counter() - t0\n"
            ),
            use_instead=(
                "import time\nimport torch\nfrom diffusers import DiffusionPipeline\n\n"
                'prompts = ["a cat", "a dog"]\n'
                'pipe = DiffusionPipeline.from_pretrained("sd").to("cuda")\n'
                "for _ in range(3):\n    pipe(prompts)\n"
                "torch.cuda.synchronize()\n"
                "t0 = time.perf_counter()\n"
                "images = pipe(prompts).images\n"
                "elapsed = time.perf_counter() - t0\n"
            ),
            known_problems="Setup inside a helper function called from the region is not "
            "followed. A compiled model passed in as a parameter is assumed to be warmed up by "
            "the caller.",
            references=("https://pytorch.org/docs/stable/torch.compiler_faq.html",),
        ),
    )

    def check(self) -> None:
        for hit in setup_in_regions(self.facts, self.regions):
            self.report(
                hit.call.node,
                call=N.short(N.code(hit.call.node.func)) + "(...)",
                what=hit.what,
                related=[(hit.region.start_node, "the timed region starts here")],
            )
