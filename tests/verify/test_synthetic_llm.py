"""The LLM fixtures: Llama-shaped random-weight models and a tokenizer built in code, usable
offline for batched greedy generation of a fixed length (groundwork for verifying `generate()`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "models" / "tiny_llm"


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"tiny_llm_{name}", FIXTURES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_tokenizer_pads_on_the_left_and_round_trips_text() -> None:
    from auditor.verify.synthetic_llm import tiny_llm_tokenizer

    tok = tiny_llm_tokenizer()
    assert tok.pad_token_id is not None and tok.eos_token_id is not None
    batch = tok(["a cat", "a lighthouse at dusk"], return_tensors="pt", padding=True)
    ids = batch.input_ids
    assert ids.shape == (2, len("a lighthouse at dusk"))
    assert int(ids[0, 0]) == tok.pad_token_id and int(batch.attention_mask[0, 0]) == 0
    assert tok.decode(ids[1], skip_special_tokens=True) == "a lighthouse at dusk"


def test_modules_generate_a_fixed_length_batch_and_builds_are_reproducible() -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        base, fast = _module("base"), _module("fast")
        tok = base.load_tokenizer()
        prompts = ["hello", "a much longer prompt"]
        batch = tok(prompts, return_tensors="pt", padding=True)
        n = base.max_new_tokens
        outs = {}
        for name, module in (("base", base), ("fast", fast)):
            model = module.load_model()
            with torch.inference_mode():
                out = model.generate(
                    **batch,
                    max_new_tokens=n,
                    min_new_tokens=n,
                    do_sample=False,
                    pad_token_id=tok.pad_token_id,
                )
            assert out.shape == (2, batch.input_ids.shape[1] + n)  # exactly n new tokens each
            outs[name] = out
        layers = {
            m: m_.load_model().config.num_hidden_layers for m, m_ in (("b", base), ("f", fast))
        }
        assert layers == {"b": 4, "f": 2}
        again = base.load_model()
        with torch.inference_mode():
            repeat = again.generate(
                **batch,
                max_new_tokens=n,
                min_new_tokens=n,
                do_sample=False,
                pad_token_id=tok.pad_token_id,
            )
        assert torch.equal(repeat, outs["base"])  # same seed, same model, same greedy output
    finally:
        torch.set_num_threads(threads)


def test_a_language_model_module_loads_as_the_generate_kind() -> None:
    """A module whose loader returns a transformers model with `generate()` (and no
    `inference()`) is run by the generate backend, with its declared length."""
    from auditor.verify.models import load

    threads = torch.get_num_threads()
    try:
        model = load("base", str(FIXTURES / "base.py"), "cpu")
        assert model.kind == "generate" and model.adapter is None
        assert model.generate is not None and model.generate.max_new_tokens == 16
        assert model.max_new_tokens_source == "declared"
        forced = load("base", str(FIXTURES / "base.py"), "cpu", max_new_tokens=4)
        assert forced.generate is not None and forced.generate.max_new_tokens == 4
        assert forced.max_new_tokens_source == "override"
    finally:
        torch.set_num_threads(threads)
