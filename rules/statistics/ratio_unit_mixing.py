"""BA301 ratio-unit-mixing: a speedup whose operands have different units."""

from __future__ import annotations

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.base import FactsRule
from auditor.analyses.facts import Pos, Scope
from auditor.analyses.generation import prompt_in_token_counts, total_length_token_counts
from auditor.analyses.tokens import (
    TokenSource,
    characters_as_tokens,
    doubled_token_terms,
    estimated_token_counts,
    foreign_tokenizer_counts,
    mixed_rate_ratios,
    prompt_in_retokenised_text,
    token_rates,
)
from auditor.analyses.units import (
    TIME_UNITS,
    UNIT_KEYS,
    Unit,
    UnitAnalysis,
    counts_requested_not_generated,
    cumulative_samples,
    miscounted_means,
    same_base_different_slice,
    whole_calls_reported_per_step,
)
from auditor.core import Category, Severity
from auditor.evidence import TokenCountEvidence, UnitMixEvidence
from auditor.rulemeta import RuleDocs, RuleMeta


class RatioUnitMixing(FactsRule):
    META = RuleMeta(
        code="BA301",
        name="ratio-unit-mixing",
        summary="A ratio divides time values of different units or workloads",
        category=Category.STATISTICS,
        severity=Severity.ERROR,
        message="`{left}` is {left_unit} but `{right}` is {right_unit}, so the ratio mixes units",
        fix_title="Divide like by like: per-sample by per-sample, or totals over the same samples",
        docs=RuleDocs(
            what_it_does="Tracks the unit of time values through assignments, accumulation, "
            "lists of samples (appended, or extended with another list), the returns of local "
            "functions (a key of a returned dict, a result of a function run on an executor: "
            "`future.result()`, the items of `pool.map(fn, ...)`): a total over a workload, a "
            "per-call time (a mean or median of per-call samples), a per-sample time (divided "
            "by a count) or a throughput (a count divided by a time). It reports a division "
            "whose two operands are time values of different units, or totals over different "
            "cuts of the same prompt list. It also reports a tokens/s that divides the whole "
            "output of a decoder-only `generate()` (`out.shape[-1]`, `out.numel()`, "
            "`len(out[0])`, also summed over a loop), prompt tokens included, by a time (or a "
            "time by it: a per-token latency): with 256 prompt and 128 new "
            "tokens such a figure read 3.0x the new-token rate on an H100; and one that "
            "re-encodes the `generated_text` of a transformers text-generation `pipeline` "
            "(which starts with the prompt unless `return_full_text=False`), or counts a "
            "configured total length the script itself splits into prompt and new tokens "
            "(`max_new_tokens = output_length - prompt_length`, then `batch * output_length` "
            "tokens over the latency). Token counts are "
            "traced to their source (a count the generator recorded, such as "
            '`record["new_tokens"]`, or a re-tokenisation of decoded text, '
            "`len(tokenizer(text).input_ids)`), and a ratio of two token rates (a speedup of "
            "means of per-question rates, say) whose counts come from different sources is "
            "reported: decoding strips special and stop tokens and re-encoding splits text "
            "differently, so the ratio carries the counting difference. A tokens/s whose "
            "count is the length of decoded text (`len(tokenizer.decode(ids))`: characters) "
            "is reported too. Per-iteration samples all read against one start taken before "
            "the loop (`t0` once, then `times.append(perf_counter() - t0)` each iteration) "
            "are times since the loop began: a mean, max or sum of them is reported (unless "
            "the start is read again in the loop or the stamps are differenced, `np.diff`). "
            "A total summed in a loop over `range(X)` under `if i >= K:` (X - K runs) but "
            "divided by another count of the same terms (`X`, or `X - K` when the loop ran "
            "`range(n + K)`) is reported: the mean is over a different count than was timed. "
            "Two more ways a rate or per-step figure miscounts: a whole "
            "pipeline call's time printed as `s/step` or `s/it` (the call's text encoding and "
            "decoding counted as step time), and a rate that divides the requested count N by "
            "the time of a `range(0, N, B)` loop that makes a full batch of B every time (it "
            "makes more than N unless B divides N). In a client of an inference server, a tokens/s "
            "counted with a `tiktoken` encoding is reported: the server's model has its own "
            "tokenizer, so the figure is in another tokenizer's units; and a token count that is "
            "estimated, not counted (a length of text over a characters-per-token constant, "
            "`len(piece) / CHARS_PER_TOKEN`), then divided by or into a time.",
            why_is_this_bad="A per-sample time over a total is off by the sample count; two "
            "totals over 12 and 4 prompts are off by 3x. The resulting speedup is a unit "
            "conversion, not a measurement.",
            example=(
                "import time\nimport torch\n\n"
                "def bench(model, x):\n"
                "    for _ in range(3):\n        model(x)\n"
                "    torch.cuda.synchronize()\n"
                "    t0 = time.perf_counter()\n"
                "    model(x)\n"
                "    torch.cuda.synchronize()\n"
                "    return time.perf_counter() - t0\n\n"
                "base_model = torch.nn.Linear(8, 8).cuda()\n"
                "fast_model = torch.nn.Linear(8, 8).cuda().half()\n"
                'samples = torch.randn(16, 8, device="cuda")\n'
                "base_per_sample = bench(base_model, samples) / len(samples)\n"
                "speedup = base_per_sample / bench(fast_model, samples)\n"
            ),
            use_instead=(
                "import time\nimport torch\n\n"
                "def bench(model, x):\n"
                "    for _ in range(3):\n        model(x)\n"
                "    torch.cuda.synchronize()\n"
                "    t0 = time.perf_counter()\n"
                "    model(x)\n"
                "    torch.cuda.synchronize()\n"
                "    return time.perf_counter() - t0\n\n"
                "base_model = torch.nn.Linear(8, 8).cuda()\n"
                "fast_model = torch.nn.Linear(8, 8).cuda().half()\n"
                'samples = torch.randn(16, 8, device="cuda")\n'
                "speedup = bench(base_model, samples) / bench(fast_model, samples)\n"
            ),
            known_problems="Units are followed within one file. Totals over differently named "
            "lists are not compared (their lengths are unknown statically); only different "
            "cuts of one list are. A token count is recognised by a tokenizer call "
            "(`tokenizer(...)`, `tok.encode(...)`) or a recorded field whose key names tokens; a "
            "divisor is a time by the unit analysis or by its name or key (`elapsed`, "
            "`wall_time`, `latency`). Rates compared across two scripts are not seen.",
            references=("https://pytorch.org/docs/stable/benchmark_utils.html",),
        ),
    )

    def check(self) -> None:
        facts = self.facts
        units = UnitAnalysis(facts, self.regions)

        def is_time(scope: Scope, expr: cst.BaseExpression, pos: Pos) -> bool:
            q = units.quantity(scope, expr, pos)
            return q is not None and q.unit in (Unit.TOTAL, Unit.PER_CALL, Unit.PER_SAMPLE)

        for hit in prompt_in_token_counts(facts, is_time):
            figure = (
                "the time per token divides by more tokens than were generated"
                if hit.per_token
                else "the tokens/s divides more tokens than were generated"
            )
            self.report(
                hit.division,
                message=f"`{hit.count}` counts the whole output of "
                f"`{N.code(hit.call.func)}(...)`, prompt tokens included, so {figure}",
                evidence=TokenCountEvidence(str(hit.count), "prompt-included"),
            )
        for mean in miscounted_means(facts):
            self.report(
                mean.division,
                message=f"`{mean.total}` sums {mean.summed} runs (the loop's iterations after "
                f"the ones it skips) but is divided by `{mean.divisor}`, so the mean is "
                "taken over a different count than was timed",
            )
        for cumulative in cumulative_samples(facts, self.regions):
            start = N.short(N.code(cumulative.region.start_node))
            line = facts.pos(cumulative.region.start_node)[0][0]
            self.report(
                cumulative.aggregate,
                message=f"the samples in `{cumulative.samples}` are each read against one start "
                f"(`{start}`, line {line}, before the loop), so each is the time since the "
                f"loop began, not one iteration's: `{N.short(N.code(cumulative.aggregate))}` "
                "mixes cumulative totals as if they were per-iteration times",
                related=[(cumulative.store, "each cumulative time is stored here")],
            )
        for total in total_length_token_counts(facts, is_time):
            self.report(
                total.division,
                message=f"this tokens/s counts `{total.total}`, but the tokens generated are "
                f"`{N.code(total.new)}` (line {total.line}): the count includes the prompt, so "
                "the rate divides more tokens than were generated",
                evidence=TokenCountEvidence(total.total, "prompt-included"),
            )
        rates = token_rates(facts, is_time)
        for retok in prompt_in_retokenised_text(facts, rates):
            self.report(
                retok.division,
                message=f"`{N.short(retok.count.text)}` re-tokenises the `generated_text` of a "
                "transformers `pipeline`, which starts with the prompt unless "
                "`return_full_text=False`, so the tokens/s counts prompt tokens as generated",
            )
        for chars in characters_as_tokens(facts, rates):
            if chars.count.source is TokenSource.WORDS:
                message = (
                    f"`{N.short(chars.count.text)}` counts the whitespace-separated words of "
                    "the text, not tokens (a word is often several tokens, and code or other "
                    "languages differ more), so this tokens/s is a words/s"
                )
            else:
                message = (
                    f"`{N.short(chars.count.text)}` counts the characters of decoded text, "
                    "not tokens, so this tokens/s is a characters/s (several characters a token)"
                )
            self.report(chars.division, message=message)
        for per_step in whole_calls_reported_per_step(facts, units):
            steps = N.keyword(per_step.call, "num_inference_steps")
            count = N.code(steps.value) if steps is not None else "?"
            self.report(
                per_step.node,
                message=f"`{N.short(N.code(per_step.value))}` is the time of a whole "
                f"`{N.short(N.code(per_step.call.func))}(...)` call ({count} denoising "
                "step(s) plus text encoding and decoding) but is reported as "
                f'"{per_step.label}": the figure counts the whole call, not one step',
            )
        for over in counts_requested_not_generated(facts, units):
            self.report(
                over.division,
                message=f"`{over.count}` counts the items requested, but the timed loop runs "
                f"`{N.short(N.code(over.loop.iter))}` with a full batch of `{over.step}` "
                f"every time: unless `{over.count}` is a multiple of `{over.step}` it "
                "generates more than it counts, and the rate reads low",
            )
        for est in estimated_token_counts(facts, is_time):
            self.report(
                est.division,
                message=f"`{est.name}` is not counted but estimated as characters / "
                f"`{est.divisor}` (line {facts.pos(est.assign)[0][0]}), so this per-token "
                "figure is in an assumed unit that differs by tokenizer and language (count "
                "the tokens the server reports, or tokenise with the model's tokenizer)",
            )
        for twice in doubled_token_terms(facts, is_time):
            self.report(
                twice.division,
                message=f"`{twice.name}` adds `{twice.term}` to itself (line "
                f"{facts.pos(twice.assign)[0][0]}) where the script also has `{twice.missing}`: "
                "one length is counted twice and the other not at all, so the token rate is "
                "off by their difference",
            )
        for foreign in foreign_tokenizer_counts(facts, rates):
            self.report(
                foreign.division,
                message=f"`{N.short(foreign.count.text)}` counts tokens with "
                f"`{N.short(foreign.encoding)}`, OpenAI's encoding, while the server counts "
                "with its own model's tokenizer: the tokens/s is in another tokenizer's units "
                "(use the server's reported usage, or its model's tokenizer)",
            )
        for mixed in mixed_rate_ratios(facts):
            sides = [
                f"`{N.short(N.code(r.division))}` at line {facts.pos(r.division)[0][0]} counts "
                f"`{N.short(r.count.text)}` ({r.count.source})"
                for r in (mixed.left, mixed.right)
            ]
            self.report(
                mixed.division,
                message=f"This ratio divides token rates counted differently: {sides[0]}, "
                f"{sides[1]}; it is off by how much the two counts differ, not only by the "
                "speed difference",
            )
        for scope in facts.scopes:
            for div in facts.binary_operations(scope, cst.Divide):
                pos, _ = facts.pos(div)
                left = units.quantity(scope, div.left, pos)
                right = units.quantity(scope, div.right, pos)
                if left is None or right is None:
                    continue
                if left.unit not in TIME_UNITS or right.unit not in TIME_UNITS:
                    continue
                ltext, rtext = N.code(div.left), N.code(div.right)
                if left.unit != right.unit:
                    self.report(
                        div,
                        left=ltext,
                        right=rtext,
                        left_unit=str(left.unit),
                        right_unit=str(right.unit),
                        evidence=UnitMixEvidence(
                            ltext, rtext, UNIT_KEYS[left.unit], UNIT_KEYS[right.unit]
                        ),
                    )
                elif (
                    left.unit in (Unit.TOTAL, Unit.PER_CALL)
                    and left.workload
                    and right.workload
                    and same_base_different_slice(left.workload, right.workload)
                ):
                    self.report(
                        div,
                        message=f"`{ltext}` is a total over `{left.workload}` but `{rtext}` is "
                        f"a total over `{right.workload}`, so the ratio compares different "
                        "sample counts",
                    )
