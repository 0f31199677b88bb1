"""BA202 inconsistent-step-source: compared arms take their step count from different places."""

from __future__ import annotations

import libcst as cst

from auditor.analyses.base import FactsRule
from auditor.analyses.facts import CallSite
from auditor.analyses.steps import (
    StepKind,
    StepSource,
    declared_steps,
    runs_loaded_module,
    step_sources,
    takes_steps,
)
from auditor.core import Category, Severity
from auditor.evidence import StepSourceEvidence
from auditor.rulemeta import RuleDocs, RuleMeta


class InconsistentStepSource(FactsRule):
    META = RuleMeta(
        code="BA202",
        name="inconsistent-step-source",
        summary="Compared runs get `num_inference_steps` from different sources or values",
        category=Category.WORKLOAD,
        severity=Severity.ERROR,
        message="`num_inference_steps` comes from {source} here, {context}, so the compared arms "
        "may not run the step counts their models declare",
        fix_title="Read each model's declared step count (`getattr(module, "
        '"num_inference_steps", default)`) or pass one shared value to every arm',
        docs=RuleDocs(
            what_it_does="Follows the `num_inference_steps` of every timed pipeline call to its "
            "source: a literal, a command-line option, the model module's declaration, or the "
            "pipeline's default when the keyword is omitted. It reports a command-line default "
            "used beside other sources (one branch passing steps, another leaving them to the "
            "model), and a command-line default applied to model modules loaded at run time, "
            "which may declare their own step count. With `--model NAME=PATH`, the message says "
            "which step count each module declares.",
            why_is_this_bad="The step count is the workload: diffusion time is nearly linear "
            "in it. Forcing one CLI default on both arms of an H100 comparison hid a 20-to-10 "
            "step reduction entirely (1.0x instead of 1.85x).",
            example=(
                "import argparse, importlib, time\nimport torch\n\n"
                "parser = argparse.ArgumentParser()\n"
                'parser.add_argument("--model")\n'
                'parser.add_argument("--steps", type=int, default=50)\n'
                "args = parser.parse_args()\n"
                "module = importlib.import_module(args.model)\n"
                'pipe = module.load_model().to("cuda")\n'
                'prompts = ["a cat", "a dog"]\n'
                "for _ in range(3):\n    pipe(prompts, num_inference_steps=args.steps)\n"
                "t0 = time.perf_counter()\n"
                "pipe(prompts, num_inference_steps=args.steps)\n"
                "elapsed = time.perf_counter() - t0\n"
            ),
            use_instead=(
                "import argparse, importlib, time\nimport torch\n\n"
                "parser = argparse.ArgumentParser()\n"
                'parser.add_argument("--model")\n'
                'parser.add_argument("--steps", type=int, default=50)\n'
                "args = parser.parse_args()\n"
                "module = importlib.import_module(args.model)\n"
                'steps = getattr(module, "num_inference_steps", args.steps)\n'
                'pipe = module.load_model().to("cuda")\n'
                'prompts = ["a cat", "a dog"]\n'
                "for _ in range(3):\n    pipe(prompts, num_inference_steps=steps)\n"
                "t0 = time.perf_counter()\n"
                "pipe(prompts, num_inference_steps=steps)\n"
                "elapsed = time.perf_counter() - t0\n"
            ),
            known_problems="Two different literals in two arms are not flagged: that is usually "
            "the speed-up being measured. Step counts set through a config object or a "
            "function the rule cannot follow are treated as unknown and not flagged.",
            references=("https://huggingface.co/docs/diffusers/using-diffusers/schedulers",),
        ),
    )

    def check(self) -> None:
        facts = self.facts
        arms: list[tuple[CallSite, list[StepSource]]] = []
        seen: set[int] = set()
        for region in self.regions:
            for call in facts.reachable_calls(region.calls()):
                kind = facts.kind(call)
                if id(call) in seen or not kind.model or not (kind.pipeline_call or kind.opaque):
                    continue
                seen.add(id(call))
                if not takes_steps(facts, call):
                    continue
                arms.append((call, step_sources(facts, call)))
        others = list(
            dict.fromkeys(
                s
                for _, sources in arms
                for s in sources
                if s.kind not in (StepKind.CLI, StepKind.UNKNOWN)
            )
        )
        for call, sources in arms:
            cli = next((s for s in sources if s.kind is StepKind.CLI), None)
            if cli is None:
                continue
            info = (
                facts.model_info(call.scope, call.node.func, call.start)
                if isinstance(call.node.func, cst.Name | cst.Attribute)
                else None
            )
            dynamic = bool(info and info.dynamic) or runs_loaded_module(facts, call)
            if not others and not dynamic:
                continue
            parts = [f"`num_inference_steps` comes from {cli.describe()} here"]
            if others:
                parts.append(
                    "while other timed calls use " + " and ".join(o.describe() for o in others)
                )
            declared = self._declared() if dynamic else {}
            if dynamic and declared:
                listed = ", ".join(f"{name} declares {value}" for name, value in declared.items())
                parts.append(
                    f"for model modules loaded at run time ({listed}), so every arm "
                    f"runs {cli.value} steps instead of its declared count"
                )
            elif dynamic:
                parts.append(
                    "for model modules loaded at run time, which may declare their own "
                    "`num_inference_steps`, so the arms may not run their declared "
                    "step counts"
                )
            else:
                parts.append("so the compared arms run step counts from different places")
            self.report(
                call.node,
                message=", ".join(parts),
                evidence=StepSourceEvidence(
                    cli_steps=int(cli.value) if cli.value and cli.value.isdigit() else None,
                    cli_option=cli.option,
                    declared=self._declared_steps(),
                ),
            )

    def _declared(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, path in sorted(self.ctx.model_paths.items()):
            value = declared_steps(path)
            out[name] = str(value) if value is not None else "nothing"
        return out

    def _declared_steps(self) -> tuple[tuple[str, int | None], ...]:
        return tuple(
            (name, declared_steps(path)) for name, path in sorted(self.ctx.model_paths.items())
        )
