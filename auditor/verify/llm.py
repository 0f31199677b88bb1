"""The generate backend: how the verifier loads, batches, calls and counts a language model.

A model module whose loader returns a transformers model with `generate()` (or a transformers
text-generation `Pipeline`, whose model and tokenizer are used) is run by `GenerateAdapter`:

- prompts are tokenised once per batch, outside every timer, left-padded (a tokenizer without a
  pad token is an error for that model: batched decoding needs one);
- decoding is greedy, and by default the length is fixed: generation runs with no
  end-of-sequence token (as vLLM's `ignore_eos`), so nothing stops a row early and every arm
  produces the same count, without the per-token logits processor `min_new_tokens` would add;
- each call reports what it produced (`GenerateRun`): the new tokens of every row (up to and
  including the first end-of-sequence token when one may stop it), the prompt tokens (padding
  excluded) and the requested count.

The variants the probes ask for are arguments of the call: `new_tokens=1` is the prefill (time to
first token), `eos` lets an end-of-sequence token stop rows as a script that does not fix the
length lets it, `decode` turns the output back into text inside the timed call (as a script that
decodes, prints or streams in its timed region does).

This module imports torch and transformers lazily and is used by the worker process only.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

DEFAULT_MAX_NEW_TOKENS = 128


class GenerateSetupError(Exception):
    """The model or tokenizer cannot be run by the generate backend."""


@dataclass(frozen=True, slots=True)
class GenerateRun:
    new_tokens: int  # produced by every row together
    prompt_tokens: int  # prompt tokens of every row, padding excluded
    requested: int  # rows x max_new_tokens
    rows: int


def is_text_pipeline(obj: object) -> bool:
    return (type(obj).__module__ or "").startswith("transformers.pipelines")


def is_generator(obj: object) -> bool:
    module = type(obj).__module__ or ""
    return callable(getattr(obj, "generate", None)) and module.startswith("transformers")


@dataclass(slots=True)
class GenerateAdapter:
    model: Any
    tokenizer: Any
    device: str
    max_new_tokens: int
    extra: dict[str, Any] = field(default_factory=dict)
    _encoded: dict[tuple[str, ...], Any] = field(default_factory=dict)
    _configs: dict[tuple[int, int | None], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        tok = self.tokenizer
        if tok is None:
            raise GenerateSetupError(
                "no tokenizer: define `load_tokenizer()` or a module-level `tokenizer`"
            )
        if getattr(tok, "pad_token_id", None) is None:
            raise GenerateSetupError(
                "the tokenizer has no pad token, which batched generation needs (set one in "
                "load_tokenizer(), e.g. `tok.pad_token = tok.eos_token`)"
            )
        if getattr(tok, "padding_side", "left") != "left":
            tok.padding_side = "left"  # a decoder-only model continues from the right edge

    @property
    def eos_token_id(self) -> int | None:
        config = getattr(self.model, "generation_config", None)
        eos = getattr(config, "eos_token_id", None)
        if eos is None:
            eos = getattr(self.tokenizer, "eos_token_id", None)
        if isinstance(eos, list | tuple):
            eos = eos[0] if eos else None
        return int(eos) if eos is not None else None

    def config(self, n: int, eos: int | None) -> Any:
        """The model's generation config, greedy, `n` new tokens; with `eos=None` no
        end-of-sequence token at all, so every row runs to `n` (as vLLM's `ignore_eos`) without
        the logits processor `min_new_tokens` adds (about 7% per token on a tiny CPU model)."""
        key = (n, eos)
        config = self._configs.get(key)
        if config is None:
            from transformers import GenerationConfig

            base = getattr(self.model, "generation_config", None)
            config = copy.deepcopy(base) if base is not None else GenerationConfig()
            config.max_new_tokens = n
            config.min_new_tokens = None
            config.do_sample = False
            config.pad_token_id = self.tokenizer.pad_token_id
            config.eos_token_id = eos
            self._configs[key] = config
        return config

    def encode(self, prompts: list[str]) -> Any:
        key = tuple(prompts)
        enc = self._encoded.get(key)
        if enc is None:
            enc = self.tokenizer(prompts, return_tensors="pt", padding=True).to(self.device)
            self._encoded[key] = enc
        return enc

    def __call__(
        self,
        prompts: list[str],
        *,
        new_tokens: int | None = None,
        eos: int | None = None,
        decode: bool = False,
    ) -> GenerateRun:
        """One greedy `generate()` of the batch. `eos`: an end-of-sequence id that may stop
        rows early (None: the length is fixed). `decode`: `batch_decode` the output too."""
        n = new_tokens or self.max_new_tokens
        generated = self.generated(prompts, n, eos)
        if decode:
            self.tokenizer.batch_decode(generated, skip_special_tokens=True)
        rows = int(generated.shape[0])
        return GenerateRun(
            new_tokens=produced(generated, eos),
            prompt_tokens=self.prompt_tokens(prompts),
            requested=rows * n,
            rows=rows,
        )

    def generated(self, prompts: list[str], n: int, eos: int | None) -> Any:
        """The new tokens of one greedy `generate()` of the batch (rows x up to `n`)."""
        import torch

        enc = self.encode(prompts)
        with torch.inference_mode():
            out = self.model.generate(**enc, generation_config=self.config(n, eos), **self.extra)
        return out[:, enc["input_ids"].shape[1] :]

    def prompt_tokens(self, prompts: list[str]) -> int:
        """The batch's prompt tokens, padding excluded."""
        return int(self.encode(prompts)["attention_mask"].sum())

    def forward(self, prompts: list[str]) -> Any:
        """One forward pass of the batch (the prefill, no KV cache kept): the raw call a script
        times when it times a model's `forward` instead of `generate()`."""
        import torch

        with torch.inference_mode():
            return self.model(**self.encode(prompts), use_cache=False)


def produced(generated: Any, eos: int | None) -> int:
    """New tokens of every row: the whole row, or up to and including its first `eos`."""
    if eos is None:
        return int(generated.numel())
    total = 0
    for row in generated.tolist():
        total += row.index(eos) + 1 if eos in row else len(row)
    return total


def frequent_token(adapter: GenerateAdapter, prompts: list[str], exclude: set[int]) -> int | None:
    """The token a model emits most often on `prompts` (greedy, fixed length): an
    end-of-sequence token that stops rows at different points, for random-weight models that
    never emit their real one."""
    generated = adapter.generated(prompts, adapter.max_new_tokens, None)
    counts = Counter(t for row in generated.tolist() for t in row)
    for token, _ in counts.most_common():
        if token not in exclude:
            return int(token)
    return None
