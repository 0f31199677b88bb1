"""Verifying language-model benchmarks: the generate backend, its metrics and its probes, on
tiny random-weight Llama-shaped models on the CPU."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")
pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "fixtures" / "models" / "tiny_llm"
SEED = ROOT / "fixtures" / "seed" / "llm_test.py"
PROMPTS = [
    "Once upon a time",
    "The capital of France is",
    "In a hole in the ground there lived",
    "Hello, my name is",
    "The quick brown fox",
    "To be or not to be",
    "It was the best of times",
    "Call me Ishmael",
]


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _adapter(layers: int = 4, n: int = 8):
    from auditor.verify.llm import GenerateAdapter
    from auditor.verify.synthetic_llm import tiny_llama, tiny_llm_tokenizer

    return GenerateAdapter(tiny_llama(seed=0, layers=layers), tiny_llm_tokenizer(), "cpu", n)


def test_a_fixed_length_call_counts_every_new_token_and_the_prompt_without_padding(
    one_thread,
) -> None:
    adapter = _adapter(n=8)
    prompts = ["hi", "a longer prompt"]
    run = adapter(prompts)
    assert run.rows == 2 and run.requested == 16 and run.new_tokens == 16
    assert run.prompt_tokens == len("hi") + len("a longer prompt")
    assert adapter(prompts, new_tokens=1).new_tokens == 2  # the prefill: one token a row
    assert adapter(prompts, decode=True).new_tokens == 16


def test_an_end_of_sequence_token_the_model_emits_cuts_rows_short(one_thread) -> None:
    from auditor.verify.llm import frequent_token, produced

    adapter = _adapter(n=12)
    token = frequent_token(adapter, PROMPTS[:4], {adapter.tokenizer.pad_token_id})
    assert token is not None
    run = adapter(PROMPTS[:4], eos=token)
    assert 4 <= run.new_tokens < run.requested  # at least the EOS itself, fewer than asked
    rows = torch.tensor([[5, 7, 9, 7], [1, 2, 3, 4]])
    assert produced(rows, 7) == 2 + 4 and produced(rows, None) == 8


def test_a_tokenizer_without_a_pad_token_is_a_clear_error() -> None:
    from auditor.verify.llm import GenerateAdapter, GenerateSetupError
    from auditor.verify.synthetic_llm import tiny_llm_tokenizer

    tok = tiny_llm_tokenizer()
    tok.pad_token = None
    with pytest.raises(GenerateSetupError, match="no pad token"):
        GenerateAdapter(object(), tok, "cpu", 4)
    with pytest.raises(GenerateSetupError, match="no tokenizer"):
        GenerateAdapter(object(), None, "cpu", 4)


def _verify(
    tmp_path: Path,
    *models: str,
    extra: tuple[str, ...] = (),
    script: Path = SEED,
    batch_size: int = 4,
) -> dict:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("\n".join(PROMPTS) + "\n")
    out = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "auditor.cli", "verify", str(script), "--isolated"]
    for m in models:
        cmd += ["--model", m]
    cmd += ["--prompts", str(prompts), "--batch-size", str(batch_size), "--device", "cpu"]
    cmd += ["--min-samples", "5", "-f", "json", "-o", str(out)]
    proc = subprocess.run([*cmd, *extra], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 1, proc.stderr  # findings present
    assert "Traceback" not in proc.stderr
    return json.loads(out.read_text())


def test_verify_times_generate_with_per_metric_speedups_and_prices_each_finding(
    tmp_path: Path,
) -> None:
    report = _verify(tmp_path, f"base={TINY / 'base.py'}", f"fast={TINY / 'fast.py'}", batch_size=8)
    models = {m["name"]: m for m in report["models"]}
    for name in ("base", "fast"):
        m = models[name]
        assert m["error"] is None and m["kind"] == "generate"
        g = m["generation"]
        assert g["new_tokens"] == 16 and g["new_tokens_source"] == "declared"
        assert g["prompt_tokens"] > 0
        for key in ("ttft_s", "decode_s_per_token", "latency_s", "tokens_per_s"):
            assert g[key]["median"] > 0 and g[key]["ci_low"] <= g[key]["ci_high"]
        # tokens/s counts the produced tokens: 8 rows x 16 tokens per batch
        arms = report["statistics"]["arms"]
        assert set(arms[f"{name}:canonical"]["units"]) == {128.0}
        assert g["ttft_s"]["median"] < g["latency_s"]["median"]
    from auditor.review import render_payload

    md = render_payload(report, "markdown")  # the pull-request comment a reviewer reads
    assert "| Candidate | Baseline | Time to first token | Decode | End-to-end | Tokens/s |" in md
    assert "| `fast` | 16 |" in md
    html = render_payload(report, "html")
    assert "<h2>Language models</h2>" in html and "<th>Time to first token</th>" in html
    (speed,) = report["generation_speedups"]
    assert speed["candidate"] == "fast" and speed["baseline"] == "base"
    # half the layers: faster on every metric
    for key in ("ttft", "decode", "latency", "tokens_per_s"):
        assert speed[key]["ratio"] > 1.15, (key, speed[key])
    impacts = {i["code"]: i for i in report["impacts"]}
    assert set(impacts) >= {"BA102", "BA201", "BA206"}
    per_prompt = impacts["BA201"]
    assert per_prompt["verdict"] == "confirmed" and per_prompt["ratio"] > 1.5
    eos = impacts["BA206"]
    assert "of the requested tokens" in eos["explanation"]
    assert "tokens/s from the requested count" in eos["explanation"]
    notes = report["notes"]
    # every finding the default rules raise on the seed is priced by a probe (BA303, which has
    # none, is opt-in; the unpriced path is tests/verify/test_assess.py's)
    assert not any("no probe" in n for n in notes)
    assert any(n.startswith("EOS probe: rows may stop at each model's own") for n in notes)
    assert any("an end-of-sequence token may stop rows" in n for n in notes)
    # the 2-layer model emits its end-of-sequence token on some prompts: under the script's
    # method (one prompt per call, EOS allowed) it generates less than the fixed-length
    # canonical arm, so the script's speedup reads higher than the canonical one
    arms = report["statistics"]["arms"]
    assert max(arms["fast:script"]["units"]) < min(arms["fast:canonical"]["units"])
    assert min(arms["base:script"]["units"]) == 128.0
    (comparison,) = report["comparisons"]
    assert comparison["script_speedup"] > comparison["canonical_speedup"]
    assert comparison["discrepancy_pct"] > 0


def test_models_that_declare_different_lengths_are_said_to_compare_different_work() -> None:
    from auditor.verify.assess import (
        Assessment,
        GenerationMetrics,
        ModelResult,
        generation_notes,
    )
    from auditor.verify.runner import Outcome
    from auditor.verify.stats import Summary

    s = Summary.of([1.0, 1.1, 0.9])

    def model(name: str, n: int) -> ModelResult:
        g = GenerationMetrics(n, "declared", 100.0, s, s, s, s)
        return ModelResult(
            name,
            f"{name}.py",
            s,
            (1.0,),
            None,
            None,
            n,
            "declared",
            None,
            None,
            None,
            "generate",
            g,
        )

    same = Assessment((model("base", 128), model("fast", 128)), (), (), ())
    assert generation_notes(same, Outcome()) == []
    differ = Assessment((model("base", 128), model("fast", 64)), (), (), ())
    (note,) = generation_notes(differ, Outcome())
    assert "different lengths (base 128, fast 64 new tokens" in note


def test_one_language_model_that_fails_leaves_the_others_measured(tmp_path: Path) -> None:
    nopad = tmp_path / "nopad.py"
    nopad.write_text(
        "from auditor.verify.synthetic_llm import tiny_llama, tiny_llm_tokenizer\n"
        "def load_model(device='cpu'):\n    return tiny_llama(layers=2, device=device)\n"
        "def load_tokenizer():\n    tok = tiny_llm_tokenizer()\n    tok.pad_token = None\n"
        "    return tok\n"
    )
    raiser = tmp_path / "raiser.py"
    raiser.write_text(
        "from auditor.verify.synthetic_llm import tiny_llama, tiny_llm_tokenizer\n"
        "def load_model(device='cpu'):\n"
        "    model = tiny_llama(layers=2, device=device)\n"
        "    def broken(**kwargs):\n        raise ValueError('cache layout mismatch')\n"
        "    model.generate = broken\n    return model\n"
        "def load_tokenizer():\n    return tiny_llm_tokenizer()\n"
    )
    report = _verify(
        tmp_path,
        f"base={TINY / 'base.py'}",
        f"nopad={nopad}",
        f"raiser={raiser}",
        extra=("--eos-token", "auto"),
    )
    assert any(
        n.startswith("EOS probe: rows may stop at the token the baseline emits")
        for n in report["notes"]
    )
    # the planted token stops the baseline's rows early in the EOS probe's arm
    probe_units = report["statistics"]["arms"]["base:probe-unfixed-generation-length"]["units"]
    assert max(probe_units) < 64
    models = {m["name"]: m for m in report["models"]}
    assert models["base"]["error"] is None and models["base"]["generation"] is not None
    assert "no pad token" in models["nopad"]["error"]
    assert "cache layout mismatch" in models["raiser"]["error"]


def test_an_unknown_kind_is_a_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditor.cli",
            "verify",
            str(SEED),
            "--model",
            f"base={TINY / 'base.py'}",
            "--kind",
            "llm",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == "error: --kind must be one of auto, diffusers, inference, generate; got `llm`"
    )


PREFILL = ROOT / "fixtures" / "seed" / "llm_prefill.py"


def test_an_unsynchronised_timer_is_priced_on_a_raw_prefill_forward_with_generate_as_control(
    tmp_path: Path,
) -> None:
    report = _verify(
        tmp_path, f"base={TINY / 'base.py'}", f"fast={TINY / 'fast.py'}", script=PREFILL
    )
    (impact,) = [i for i in report["impacts"] if i["code"] == "BA101"]
    assert "raw prefill forward" in impact["explanation"]
    assert "the control, generate() timed unsynchronised" in impact["explanation"]
    arms = report["statistics"]["arms"]
    for model in ("base", "fast"):
        assert arms[f"{model}:probe-unsynchronized-forward"]["samples"]
        assert arms[f"{model}:probe-synchronized-forward"]["samples"]
    # the forward is the prefill alone: cheaper than a whole generate() of 16 tokens
    forward = arms["base:probe-synchronized-forward"]["samples"]
    assert max(forward) < min(arms["base:canonical"]["samples"])


def test_a_text_generation_pipeline_is_run_through_its_model_and_tokenizer(
    tmp_path: Path, one_thread
) -> None:
    from auditor.verify.models import ModelModuleError, load

    module = tmp_path / "pipe.py"
    module.write_text(
        "from transformers import pipeline\n"
        "from auditor.verify.synthetic_llm import tiny_llama, tiny_llm_tokenizer\n"
        "max_new_tokens = 8\n"
        "def load_model(device='cpu'):\n"
        "    return pipeline('text-generation', model=tiny_llama(layers=2),\n"
        "                    tokenizer=tiny_llm_tokenizer(), device=device)\n"
    )
    model = load("pipe", str(module), "cpu")
    assert model.kind == "generate" and model.generate is not None
    assert type(model.generate.model).__name__ == "LlamaForCausalLM"
    run = model.generate(["hello there", "hi"])
    assert run.new_tokens == 16 and run.prompt_tokens == len("hello there") + len("hi")
    # an object that is no language model, said to be one, is an error for that model
    other = tmp_path / "other.py"
    other.write_text("class Thing:\n    pass\n\ndef load_model():\n    return Thing()\n")
    with pytest.raises(ModelModuleError, match="--kind generate needs a model with generate"):
        load("other", str(other), "cpu", kind="generate")


def test_a_language_model_probe_on_a_pipeline_says_why_it_is_not_priced() -> None:
    from auditor.core import Finding, Severity, Span
    from auditor.evidence import GenerationLengthEvidence
    from auditor.verify import assess, probes
    from auditor.verify.runner import Outcome

    finding = Finding(
        code="BA206",
        name="unfixed-generation-length",
        path="bench.py",
        span=Span(3, 1, 3, 10),
        severity=Severity.WARNING,
        message="m",
        help="h",
        source_line="x",
        evidence=GenerationLengthEvidence("model.generate(...)", False),
    )
    plan = probes.plan(["base"], "base", [finding], n_batches=1, aa=False)
    outcome = Outcome(
        loads={"base": {"kind": "diffusers", "steps": 4}},
        arms={"base:canonical": {"samples": [1.0] * 5, "call_s": [1.0] * 5, "warmup_s": [1.0]}},
    )
    result = assess.assess([("base", "base.py")], "base", plan, outcome, 1, [finding])
    ((unpriced, why),) = result.unpriced
    assert unpriced is finding
    assert why == "its probe runs language models only, and base is a diffusers model"
