"""BA201 per-prompt-loop: a timed loop calls the pipeline once per prompt instead of per batch."""

from __future__ import annotations

from auditor.analyses import names as N
from auditor.analyses.base import FactsRule
from auditor.analyses.batching import per_prompt_loop
from auditor.analyses.facts import CallSite
from auditor.analyses.regions import Region, declares_setup
from auditor.analyses.rewrites import batched_call
from auditor.analyses.units import UnitAnalysis, outputs_counted_one_call_each
from auditor.core import Applicability, Category, Edit, Fix, Severity
from auditor.evidence import PerPromptEvidence
from auditor.rulemeta import RuleDocs, RuleMeta


class PerPromptLoop(FactsRule):
    META = RuleMeta(
        code="BA201",
        name="per-prompt-loop",
        summary="A pipeline or model is called once per prompt inside a timed region",
        category=Category.WORKLOAD,
        severity=Severity.ERROR,
        message="`{call}` is called once per prompt of `{prompts}` inside a timed region, so the "
        "time pays a full call per sample and none of the batching a benchmark claims",
        fix_title="Pass the whole batch in one call, e.g. `pipe(batch_prompts, ...)`",
        docs=RuleDocs(
            what_it_does="Finds a pipeline or model call inside a timed region that receives one "
            "prompt per iteration of a `for` loop, `while` loop or comprehension over a list "
            "of prompts, the loop inside the region (or inside a function the region calls). "
            "A region inside the loop times each prompt on its own (a per-image latency "
            "benchmark) and is not flagged. Chunked loops "
            "(`for i in range(0, n, bs): pipe(prompts[i:i + bs])`) and loops over prebuilt "
            "batches are not flagged. A throughput of outputs (`num_images / total_time`) is "
            "flagged when the region it divides makes those outputs one call each: a loop "
            "inside the region (directly, in a helper it calls, or a function handed to a "
            "thread or process pool per item) calls the model with a single prompt and no "
            "`num_images_per_prompt=`/`batch_size=`, so the figure is batch-size-1 "
            "throughput.",
            why_is_this_bad="A batch in one call shares kernel launches, weight reads and "
            "Python overhead across its samples. Looping over prompts times batch size 1 while "
            "reporting a batch. On an H100 (SD-1.5 shape, fp16, 512x512) the per-prompt loop "
            "made every arm 2.6x (batch 3) to 3.6x (batch 8) slower per sample.",
            example=(
                "import time\nimport torch\nfrom diffusers import DiffusionPipeline\n\n"
                'pipe = DiffusionPipeline.from_pretrained("sd").to("cuda")\n'
                'prompts = ["a cat", "a dog", "a fox"]\n'
                "for _ in range(3):\n    pipe(prompts)\n"
                "torch.cuda.synchronize()\n"
                "t0 = time.perf_counter()\n"
                "for prompt in prompts:\n    pipe(prompt)\n"
                "elapsed = time.perf_counter() - t0\n"
            ),
            use_instead=(
                "import time\nimport torch\nfrom diffusers import DiffusionPipeline\n\n"
                'pipe = DiffusionPipeline.from_pretrained("sd").to("cuda")\n'
                'prompts = ["a cat", "a dog", "a fox"]\n'
                "for _ in range(3):\n    pipe(prompts)\n"
                "torch.cuda.synchronize()\n"
                "t0 = time.perf_counter()\n"
                "pipe(prompts)\n"
                "elapsed = time.perf_counter() - t0\n"
            ),
            known_problems="A loop over a list the rule cannot identify as prompts (a parameter "
            "with a neutral name, the result of an unknown function) is not flagged. A "
            "benchmark that means to measure batch size 1 should time one prompt per call "
            "without claiming a batch size.",
            references=("https://huggingface.co/docs/diffusers/optimization/fp16",),
        ),
    )

    def check(self) -> None:
        facts = self.facts
        timed_calls: dict[int, tuple[CallSite, list[Region]]] = {}
        for region in self.regions:
            if declares_setup(facts, region):
                continue  # a training run or a set-up measurement: not an inference time
            for call in facts.reachable_calls(region.calls()):
                if facts.kind(call).model:
                    timed_calls.setdefault(id(call), (call, []))[1].append(region)
        for call, regions in timed_calls.values():
            loop = per_prompt_loop(facts, call)
            if loop is None:
                continue
            if any(
                call.scope is region.scope and facts.pos(loop)[0] < region.content_start
                for region in regions
            ):
                # a region inside the loop times each prompt on its own (a total around the
                # loop, as well, is their sum)
                continue
            iterable = _iterable_text(loop)
            rewrite = batched_call(facts, call, loop)
            fix = None
            if rewrite is not None:
                fix = Fix(
                    title="Replace the loop with one batched call (changes what is collected)",
                    applicability=Applicability.UNSAFE,
                    edits=(Edit(self.span_of(rewrite.node), rewrite.code),),
                )
            self.report(
                call.node,
                call=N.code(call.node.func) + "(...)",
                prompts=iterable,
                fix=fix,
                related=[(loop, "the loop over prompts")],
                evidence=PerPromptEvidence(N.code(call.node.func) + "(...)", iterable),
            )
        # the loop repeats one prompt (`range(num_images)`) but the count reports a set
        for hit in outputs_counted_one_call_each(facts, UnitAnalysis(facts, self.regions)):
            loop_line = facts.pos(hit.loop)[0][0]
            call_text = N.code(hit.call.func) + "(...)"
            self.report(
                hit.division,
                message=f"`{N.short(N.code(hit.division))}` counts `{hit.count}` outputs as "
                f"one workload, but the loop at line {loop_line} makes them one "
                f"`{call_text}` call each, one prompt and one output per call: the figure is "
                "batch-size-1 throughput, with none of the batching the count suggests (pass "
                "the prompts as a list, or `num_images_per_prompt=`, in one call)",
                related=[(hit.call, "the call that makes one output"), (hit.loop, "the loop")],
                evidence=PerPromptEvidence(call_text, N.short(N.code(hit.loop))),
            )


def _iterable_text(loop: object) -> str:
    import libcst as cst

    if isinstance(loop, cst.For):
        return N.code(loop.iter)
    if isinstance(loop, cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp):
        return N.code(loop.for_in.iter)
    if isinstance(loop, cst.While):
        return N.code(loop.test)
    return "prompts"
