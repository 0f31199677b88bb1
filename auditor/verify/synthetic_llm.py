"""Random-weight Llama-shaped language models and a tokenizer built in code, for the verifier's
LLM fixtures and tests (groundwork for verifying `generate()` benchmarks).

Nothing is downloaded. The tokenizer is character-level (`tokenizers` WordLevel over printable
characters) with `<pad>`, `<s>` and `</s>`, padding on the left as batched decoding needs; the
models are `LlamaForCausalLM` built from a config with weights drawn from a seeded generator, so
two builds with the same seed are the same model.

- `tiny_llama`: a few hundred KB; a 16-token greedy generation of a batch of 4 takes a fraction of
  a second on one CPU core.
- `llama_shaped`: about 1B parameters (hidden 2048, 16 layers, 32 heads with 8 key/value heads,
  MLP 5632, vocabulary 32000), bf16 on CUDA: the shape the GPU measurements use.
"""

from __future__ import annotations

import string
from typing import Any

import torch

SPECIAL = ("<pad>", "<s>", "</s>", "<unk>")


def tiny_llm_tokenizer(vocab_size: int | None = None) -> Any:
    """A character-level fast tokenizer with pad, bos, eos and unk tokens, left padding.
    `vocab_size`: fill the vocabulary up to this size with `<xN>` tokens, so every id a
    larger model emits decodes to text."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    chars = [c for c in string.printable if c not in "\t\n\r\x0b\x0c"]
    tokens = [*SPECIAL, *chars]
    tokens += [f"<x{i}>" for i in range(len(tokens), vocab_size or 0)]
    vocab = {tok: i for i, tok in enumerate(tokens)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")
    core.decoder = decoders.Fuse()  # characters back to text, no separators
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        padding_side="left",
    )
    return tok


def _llama(config: Any, seed: int, device: str, dtype: torch.dtype) -> Any:
    from transformers import LlamaForCausalLM

    torch.manual_seed(seed)
    model: Any = LlamaForCausalLM(config)
    return model.to(device=device, dtype=dtype).eval()


def tiny_llama(
    seed: int = 0, layers: int = 4, device: str = "cpu", vocab_size: int | None = None
) -> Any:
    """A Llama-shaped model with hidden size 64; `layers` sets its depth (and cost)."""
    from transformers import LlamaConfig

    tok = tiny_llm_tokenizer()
    config = LlamaConfig(
        vocab_size=vocab_size or len(tok),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
    )
    return _llama(config, seed, device, torch.float32)


def llama_shaped(seed: int = 0, layers: int = 16, device: str = "cuda") -> Any:
    """About 1B parameters at 16 layers, bf16: for GPU measurements."""
    from transformers import LlamaConfig

    config = LlamaConfig(
        vocab_size=32000,
        hidden_size=2048,
        intermediate_size=5632,
        num_hidden_layers=layers,
        num_attention_heads=32,
        num_key_value_heads=8,
        max_position_embeddings=4096,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    )
    return _llama(config, seed, device, torch.bfloat16)
