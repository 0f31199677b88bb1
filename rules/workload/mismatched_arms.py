"""BA207 mismatched-arms: compared arms differ in a setting besides the change under test."""

from __future__ import annotations

from collections.abc import Sequence

from auditor.analyses.arms import comparisons, timed_model_calls
from auditor.analyses.base import FactsRule
from auditor.analyses.configs import (
    BranchDeviation,
    Deviation,
    ScriptDeviation,
    branch_arm_deviations,
    deviations,
    script_arm_deviations,
    selected_arm_deviations,
)
from auditor.core import Category, Severity
from auditor.evidence import ArmsEvidence
from auditor.rulemeta import RuleDocs, RuleMeta


class MismatchedArms(FactsRule):
    META = RuleMeta(
        code="BA207",
        name="mismatched-arms",
        summary="Compared arms differ in dtype, seed, resolution, guidance, output type, "
        "autograd mode, attention backend, offload, a global switch or their input draw",
        category=Category.WORKLOAD,
        severity=Severity.ERROR,
        message="`{second}` differs from `{first}` in {differences}, so the comparison measures "
        "that too",
        fix_title="Give every arm the same settings except the one change being measured",
        docs=RuleDocs(
            what_it_does="Finds the arms of a comparison (see BA303) and compares how each is "
            "built and called: `torch_dtype`, `.half()` or an enclosing `torch.autocast`; "
            "`attn_implementation`, `set_attn_processor`, "
            "`enable_xformers_memory_efficient_attention`; CPU offload; the `generator`, "
            "`height`/`width`, `guidance_scale` and `output_type` of the timed call; the "
            "generation length a timed `generate()` asks for (`max_new_tokens`, `max_length`, "
            "`min_new_tokens`; through the timing function's parameter, from each arm's call of "
            "it); the autograd "
            "mode of a torch module's forward (`no_grad`/`inference_mode` around one arm's call "
            "in the comparison's own code, or decorating it); a converter's precision flag "
            "(`torch2trt(..., fp16_mode=True)`); `torch.compile` on one arm only (of the model "
            "or a component, `pipe.unet = torch.compile(pipe.unet)`; reported when the arms are "
            "different models, a checkpoint or class apart); the inputs, when the "
            "function that times each arm "
            "draws them at random (`random.sample(prompts, 8)`, `random.shuffle`) with no seed "
            "set before the draw, so each arm runs on prompts of its own (a quantized load, "
            "`quantization_config=`/`load_in_4bit=`, or a pre-quantized checkpoint named so, "
            "`...-AWQ`/`...-GPTQ-Int4`, is its own precision, not float32, and its checkpoint "
            "differs from the base one by that quantization alone); and "
            "global "
            "switches (`torch.backends.cuda.matmul.allow_tf32`, `cudnn.benchmark`, "
            "`set_float32_matmul_precision`, a seed) set between two arms. It points at the "
            "second arm's deviating line. Seeds, resolution, guidance, output type and "
            "input draws and generation lengths are always reported; dtype, attention, "
            "offload, compilation and switches only "
            "when the arms also "
            "differ in something else (then they ride along with the change under test). Arms "
            "chosen by a command-line option, one arm per run (`--precision int4|bf16`), are "
            "compared too: when the factory that builds the timed model (in this file or a "
            "module it imports) turns on CPU offload or an attention processor under a test of "
            "that option for some of its values only, the finding names the option, the values "
            "and the line. Scripts compared through a shared timing function are arms as "
            "well: when two scripts that import this file pass models of the same checkpoint "
            "to the function that times them, built differently (a project class whose "
            "`from_pretrained` defaults to float16 against the library's float32, say), the "
            "timed call is reported with both scripts' lines. So are models built on the two "
            "branches of an `if` on a command-line option or an environment variable "
            "(`if args.awq: model = ...from_quantized(...) else: model = "
            "...from_pretrained(...)`; with nothing assigned on the other branch, the model the "
            "`if` falls through with), followed from the timed call through the parameters "
            "the model is passed as: a converter's precision flag on one side only, a dtype "
            "(not compared against a quantized checkpoint's loader, whose weights bring their "
            "own), and library defaults the catalogue knows (AutoAWQ's `from_quantized` fuses "
            "attention and MLP layers unless `fuse_layers=False`).",
            why_is_this_bad="Half precision alone is 2x or more on tensor cores, so a dtype "
            "mismatch can manufacture or hide a whole speedup: it is an error. The other "
            "settings (a 768 px arm against a 1024 px one, guidance that skips the "
            "unconditional pass, offload, TF32) move a ratio by percents to tens of percents "
            "and are warnings.",
            example=(
                "import time\nimport torch\nfrom diffusers import DiffusionPipeline\n\n"
                'base = DiffusionPipeline.from_pretrained("sd-base", torch_dtype=torch.float16)'
                '.to("cuda")\n'
                'small = DiffusionPipeline.from_pretrained("sd-small", torch_dtype=torch.float32)'
                '.to("cuda")\n'
                'prompts = ["a cat", "a dog"]\n'
                'arms = {"base": base, "small": small}\n'
                "times = {name: [] for name in arms}\n"
                "for _ in range(5):\n"
                "    for name, pipe in arms.items():\n"
                "        t0 = time.perf_counter()\n"
                "        pipe(prompts)\n"
                "        times[name].append(time.perf_counter() - t0)\n"
            ),
            use_instead=(
                "import time\nimport torch\nfrom diffusers import DiffusionPipeline\n\n"
                'base = DiffusionPipeline.from_pretrained("sd-base", torch_dtype=torch.float16)'
                '.to("cuda")\n'
                'small = DiffusionPipeline.from_pretrained("sd-small", torch_dtype=torch.float16)'
                '.to("cuda")\n'
                'prompts = ["a cat", "a dog"]\n'
                'arms = {"base": base, "small": small}\n'
                "times = {name: [] for name in arms}\n"
                "for _ in range(5):\n"
                "    for name, pipe in arms.items():\n"
                "        t0 = time.perf_counter()\n"
                "        pipe(prompts)\n"
                "        times[name].append(time.perf_counter() - t0)\n"
            ),
            known_problems="A comparison of one setting alone (fp16 against fp32 of one "
            "checkpoint) is the measurement, not a mismatch, and is not reported; when two such "
            "settings change together the rule cannot tell which is under test and stays "
            "silent. Settings applied inside functions the rule does not follow are missed.",
            references=(
                "https://huggingface.co/docs/diffusers/optimization/fp16",
                "https://pytorch.org/docs/stable/notes/cuda.html#tensorfloat-32-tf32-on-ampere-and-later-devices",
            ),
        ),
    )

    def check(self) -> None:
        by_node: dict[int, list[Deviation]] = {}
        first: dict[int, str] = {}
        arms: dict[int, tuple[str, ...]] = {}
        for comp in comparisons(self.facts, self.regions):
            if len(comp.arms) < 2:
                continue
            for dev in deviations(self.facts, comp):
                by_node.setdefault(id(dev.node), []).append(dev)
                first.setdefault(id(dev.node), comp.arms[0].label)
                arms.setdefault(id(dev.node), tuple(a.label for a in comp.arms))
        timed = timed_model_calls(self.facts, [c for r in self.regions for c in r.calls()])
        for sel in selected_arm_deviations(self.facts, timed):
            self.report(
                sel.build,
                message=f"`{sel.option}` chooses the arm of each run "
                f"({', '.join(sel.values)}), but `{sel.factory}` also applies {sel.label} "
                f"(`{sel.method}()`, {sel.where}) for {', '.join(sel.chosen)} only, so runs "
                f"of different arms differ in {sel.label} too",
                severity=Severity.WARNING,
                evidence=ArmsEvidence(
                    sel.values, ((sel.key, "off", "on for " + ", ".join(sel.chosen)),)
                ),
            )
        by_build: dict[int, list[BranchDeviation]] = {}
        for bdev in branch_arm_deviations(self.facts, timed):
            by_build.setdefault(id(bdev.node), []).append(bdev)
        for branch in by_build.values():
            b0 = branch[0]
            self.report(
                b0.node,
                message=f"{b0.option[0].upper()}{b0.option[1:]} chooses the arm of each run, "
                "but the model built here "
                f"differs from the other branch's (line {b0.other_line}) in "
                f"{_differences(branch)}, so runs of the two arms differ in that too",
                severity=_severity(branch),
                evidence=ArmsEvidence(
                    (b0.option, f"line {b0.other_line}"),
                    tuple((d.key, d.first, d.second) for d in branch),
                ),
            )
        by_call: dict[int, list[ScriptDeviation]] = {}
        for sdev in script_arm_deviations(self.facts, timed):
            by_call.setdefault(id(sdev.call), []).append(sdev)
        for across in by_call.values():
            d0 = across[0]
            self.report(
                d0.call,
                message=f"The scripts that time their models with this call are compared arms "
                f"of one checkpoint, but the model passed at {d0.second_where} differs from "
                f"the one passed at {d0.first_where} in {_differences(across)}, so the "
                "comparison measures that too",
                severity=_severity(across),
                evidence=ArmsEvidence(
                    (d0.first_where, d0.second_where),
                    tuple((d.key, d.first, d.second) for d in across),
                ),
            )
        for key, devs in by_node.items():
            unique = list({d.key: d for d in devs}.values())
            self.report(
                unique[0].node,
                first=first[key],
                second=unique[0].arm.label,
                differences=_differences(unique),
                severity=_severity(unique),
                evidence=ArmsEvidence(arms[key], tuple((d.key, d.first, d.second) for d in unique)),
            )


def _differences(devs: Sequence[Deviation | ScriptDeviation | BranchDeviation]) -> str:
    return ", ".join(f"{d.label} ({d.second}, against {d.first})" for d in devs)


def _severity(devs: Sequence[Deviation | ScriptDeviation | BranchDeviation]) -> Severity:
    """A dtype mismatch can make or hide a whole speedup: an error; the rest are warnings."""
    return Severity.ERROR if any(d.key == "dtype" for d in devs) else Severity.WARNING
