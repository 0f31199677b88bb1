"""BA206 unfixed-generation-length: a timed `generate()` may stop at end-of-sequence early."""

from __future__ import annotations

from auditor.analyses import names as N
from auditor.analyses.arms import comparisons
from auditor.analyses.base import FactsRule
from auditor.analyses.facts import CallSite
from auditor.analyses.generation import (
    Length,
    counts_produced_tokens,
    is_generate,
    output_length,
    reports_token_rate,
)
from auditor.core import Category, Severity
from auditor.evidence import GenerationLengthEvidence
from auditor.rulemeta import RuleDocs, RuleMeta


class UnfixedGenerationLength(FactsRule):
    META = RuleMeta(
        code="BA206",
        name="unfixed-generation-length",
        summary="A timed `generate()` has no fixed output length in a comparison or a tokens/s "
        "figure",
        category=Category.WORKLOAD,
        severity=Severity.ERROR,
        message="`{call}` is timed without a fixed output length (no `min_new_tokens` equal to "
        "`max_new_tokens`, no `ignore_eos=True`), so {why} depends on when each run emits "
        "end-of-sequence",
        fix_title="Pass `min_new_tokens` equal to `max_new_tokens` (or `ignore_eos=True`) so "
        "every run generates the same number of tokens",
        docs=RuleDocs(
            what_it_does="Finds a timed transformers (or vLLM) `generate()` whose keywords, "
            "`**kwargs` dictionaries (also imported from a sibling module) and "
            "`GenerationConfig` do not fix the number of new tokens, in a script that compares "
            "arms or reports tokens per second.",
            why_is_this_bad="`max_new_tokens` is only an upper bound: a model that emits "
            "end-of-sequence after 40 tokens is timed for 40, another for 256. Two arms (a "
            "draft-assisted and a plain decoder, two checkpoints, two dtypes) then generate "
            "different amounts of text, and the time ratio can be off by 2x or more; a "
            "tokens/s figure divides by a count the script assumed rather than measured.",
            example=(
                "import time\nimport torch\n"
                "from transformers import AutoModelForCausalLM, AutoTokenizer\n\n"
                'tok = AutoTokenizer.from_pretrained("gpt2")\n'
                'model = AutoModelForCausalLM.from_pretrained("gpt2").to("cuda")\n'
                'inputs = tok("Hello", return_tensors="pt").to("cuda")\n'
                "for _ in range(3):\n"
                "    model.generate(**inputs, max_new_tokens=128)\n"
                "t0 = time.perf_counter()\n"
                "model.generate(**inputs, max_new_tokens=128)\n"
                "elapsed = time.perf_counter() - t0\n"
                'print(f"{128 / elapsed:.1f} tokens/s")\n'
            ),
            use_instead=(
                "import time\nimport torch\n"
                "from transformers import AutoModelForCausalLM, AutoTokenizer\n\n"
                'tok = AutoTokenizer.from_pretrained("gpt2")\n'
                'model = AutoModelForCausalLM.from_pretrained("gpt2").to("cuda")\n'
                'inputs = tok("Hello", return_tensors="pt").to("cuda")\n'
                "for _ in range(3):\n"
                "    model.generate(**inputs, max_new_tokens=128, min_new_tokens=128)\n"
                "t0 = time.perf_counter()\n"
                "model.generate(**inputs, max_new_tokens=128, min_new_tokens=128)\n"
                "elapsed = time.perf_counter() - t0\n"
                'print(f"{128 / elapsed:.1f} tokens/s")\n'
            ),
            known_problems="Settings passed through a dictionary or config object the rule "
            "cannot read (built at run time, loaded from JSON) are unknown and not flagged. A "
            "tokens/s figure from the tokens actually produced (the output's shape, size, "
            "`numel()` or length) is not flagged; a script that also compares the arms' times "
            "still is, since their lengths may differ.",
            references=(
                "https://huggingface.co/docs/transformers/main_classes/text_generation",
                "https://docs.vllm.ai/en/latest/api/inference_params.html",
            ),
        ),
    )

    def check(self) -> None:
        facts = self.facts
        rate = reports_token_rate(facts)
        compared: set[int] = set()
        for comp in comparisons(facts, self.regions):
            if len(comp.arms) >= 2:
                for arm in comp.arms:
                    compared |= {id(c) for c in arm.calls}
        seen: set[int] = set()
        for region in self.regions:
            for call in facts.reachable_calls(region.calls()):
                if id(call) in seen or not is_generate(facts, call):
                    continue
                seen.add(id(call))
                if id(call) not in compared and (not rate or counts_produced_tokens(facts, call)):
                    continue  # no comparison, and no tokens/s, or one from the produced count
                if output_length(facts, call) is Length.VARIABLE:
                    self._flag(call, rate)

    def _flag(self, call: CallSite, rate: bool) -> None:
        why = "the reported tokens/s" if rate else "the compared time"
        text = N.code(call.node.func) + "(...)"
        self.report(call.node, call=text, why=why, evidence=GenerationLengthEvidence(text, rate))
