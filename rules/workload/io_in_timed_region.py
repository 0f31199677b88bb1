"""BA203 io-in-timed-region: a timed region also saves, decodes, prints or writes its results."""

from __future__ import annotations

from auditor.analyses import names as N
from auditor.analyses.base import FactsRule
from auditor.analyses.timed import io_in_handed_functions, io_in_regions, loaders_in_regions
from auditor.core import Category, Severity
from auditor.evidence import OutputHandlingEvidence
from auditor.rulemeta import RuleDocs, RuleMeta


class IoInTimedRegion(FactsRule):
    META = RuleMeta(
        code="BA203",
        name="io-in-timed-region",
        summary="Host I/O or result formatting runs inside a timed region",
        category=Category.WORKLOAD,
        severity=Severity.WARNING,
        message="`{call}` {what} inside the timed region, so the time includes host I/O the "
        "model does not do",
        fix_title="Read inputs before the timer starts, and move saving, decoding, printing and "
        "file writes after the closing timer read",
        docs=RuleDocs(
            what_it_does="Finds calls inside a region that times model or device work which "
            "save images (`image.save`, `save_image`), convert outputs (`Image.fromarray`, "
            "`numpy_to_pil`), decode tokens (`tokenizer.decode`/`batch_decode`), print results "
            "a model produced, write files (`open(..., 'w')`, `json.dump`, `np.save`, "
            "`torch.save`), export profiler traces (`export_chrome_trace`), or read inputs "
            "(`open(path)`, `json.load`, `Image.open`, `cv2.imread`, `load_image`, "
            "`load_dataset`, `pd.read_csv`: the catalogue `auditor.analyses.timed."
            "INPUT_FUNCTIONS`). A loop inside the region over a `torch.utils.data.DataLoader` "
            "(directly, or through `enumerate`/`tqdm`) that runs the timed model is reported "
            "too: every batch is read, transformed and collated inside the timing (not for a "
            "`TensorDataset` of tensors already in memory).",
            why_is_this_bad="Disk writes and PNG encoding take tens to hundreds of milliseconds "
            "per image and vary with the file system; decoding and printing add host time per "
            "call. They are the same for both arms, so they shrink a real speedup toward 1x and "
            "add noise: a warning-level flaw that moves a ratio by a few percent to tens.",
            example=(
                "import time\nimport torch\nfrom diffusers import DiffusionPipeline\n\n"
                'pipe = DiffusionPipeline.from_pretrained("sd").to("cuda")\n'
                'prompts = ["a cat", "a dog"]\n'
                "for _ in range(3):\n    pipe(prompts)\n"
                "torch.cuda.synchronize()\n"
                "t0 = time.perf_counter()\n"
                "images = pipe(prompts).images\n"
                'images[0].save("cat.png")\n'
                "elapsed = time.perf_counter() - t0\n"
            ),
            use_instead=(
                "import time\nimport torch\nfrom diffusers import DiffusionPipeline\n\n"
                'pipe = DiffusionPipeline.from_pretrained("sd").to("cuda")\n'
                'prompts = ["a cat", "a dog"]\n'
                "for _ in range(3):\n    pipe(prompts)\n"
                "torch.cuda.synchronize()\n"
                "t0 = time.perf_counter()\n"
                "images = pipe(prompts).images\n"
                "elapsed = time.perf_counter() - t0\n"
                'images[0].save("cat.png")\n'
            ),
            known_problems="A `print` is reported only when it prints something a model call "
            "or a decode produced in the same function; progress messages are left alone, and "
            "so is a print that runs once beside a loop of timed runs inside the region (it "
            "costs microseconds against them). "
            "I/O inside functions of the same file called from the region is followed (a few "
            "calls deep) and reported at the call; functions of other modules are not. Input "
            "reads inside such a function are reported only when the function also runs the "
            "model (`run_task(pipe)` building its example inputs from an image on disk): a "
            "function that only reads may be the loader the region measures. A function of "
            "the file handed to a timing function of the project (`settings.apply(inference_"
            "func)`, `time_fn(generate)`, in this module or another, its class found through "
            "a parameter's annotation too) that times each call of what it is handed has its "
            "output handling reported where it is written. A "
            "`streamer=` passed to a timed call is reported: it decodes and prints every token.",
            references=("https://pytorch.org/docs/stable/benchmark_utils.html",),
        ),
    )

    def check(self) -> None:
        for hit in io_in_regions(self.facts, self.regions):
            self.report(
                hit.call.node,
                call=N.short(N.code(hit.call.node.func)) + "(...)",
                what=hit.what,
                related=[(hit.region.start_node, "the timed region starts here")],
                evidence=OutputHandlingEvidence(N.code(hit.call.node.func), hit.action),
            )
        for handed in io_in_handed_functions(self.facts):
            self.report(
                handed.call.node,
                message=f"`{N.short(N.code(handed.call.node.func))}(...)` {handed.what} in "
                f"`{handed.function}`, which `{handed.harness}` times ({handed.where}), so the "
                "time includes host I/O the model does not do",
                related=[(handed.handing.node, "handed to the timing function here")],
                evidence=OutputHandlingEvidence(N.code(handed.call.node.func), handed.action),
            )
        for loop in loaders_in_regions(self.facts, self.regions):
            self.report(
                loop.loop.iter,
                call=N.short(N.code(loop.loader)),
                what="reads, transforms and collates every batch (a `DataLoader` iterated)",
                related=[(loop.region.start_node, "the timed region starts here")],
                evidence=OutputHandlingEvidence(N.code(loop.loader), "read"),
            )
