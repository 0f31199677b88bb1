"""Model modules: what `benchaudit verify --model NAME=PATH` loads, and how it is run.

A model module is a Python file that the verifier imports in a worker process (never in the
`benchaudit` process itself). It must provide the pipeline in one of these shapes, looked up in
this order:

1. `load_model()` or `get_pipeline()`: a function returning the pipeline. If it has a parameter
   named `device`, the verifier passes the device it measures on (`"cuda"` or `"cpu"`);
   otherwise the verifier moves the result with `.to(device)` when it has that method.
2. `pipe`: a module-level pipeline object (moved with `.to(device)` likewise).

Optional module attributes:

- `num_inference_steps: int`: the step count this model is meant to run at (`steps_source`
  "declared"). Without it the verifier uses 50, diffusers' default ("default"); `--steps N` on the
  command line overrides every model ("override").
- `inference(pipe, prompts)`: how to run one batch of prompts, when a plain pipeline call is not
  the model's method (a custom sampler, a compiled graph). The verifier passes
  `num_inference_steps`, `generator` and `output_type` as keyword arguments when the function
  accepts them (by name or through `**kwargs`). Without it, the verifier calls
  `pipe(prompts, num_inference_steps=..., generator=..., output_type=...)`.
- `call_kwargs: dict`: extra keyword arguments for every pipeline call (`height`, `width`,
  `guidance_scale`, ...).

While the module is imported, the environment variable `BENCHAUDIT_DEVICE` holds the device, so
a module-level `pipe` can be placed there directly. Each call gets a fresh
`torch.Generator(device).manual_seed(seed)`, so every arm sees the same noise.

A language model (issue 12's generate backend, `llm.py`): the loader returns a transformers model
with `generate()` or a text-generation pipeline; the module also gives `load_tokenizer()` or a
module-level `tokenizer` (with a pad token), and optionally `max_new_tokens` (its generation
length, default 128) and `generate_kwargs` (extra `generate()` arguments). `--kind` (see KINDS)
overrides the recognition.

Adapters say *what* to run (a pipeline call, a module's `inference` function); the probes in
`probes.py` say *how* to run it (batched or per prompt, which step count, synchronised or not).
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch

from auditor.verify import llm
from auditor.verify.llm import GenerateAdapter

DEFAULT_STEPS = 50
_LOADERS = ("load_model", "get_pipeline")


class ModelModuleError(Exception):
    """The module does not have one of the accepted shapes."""


class Adapter(Protocol):
    def __call__(
        self, prompts: list[str], *, steps: int, seed: int, output_type: str
    ) -> object: ...


@dataclass(slots=True)
class PipelineAdapter:
    """Calls a diffusers-style pipeline: `pipe(prompts, num_inference_steps=..., ...)`."""

    pipe: Any
    device: str
    extra: dict[str, Any]

    def __call__(self, prompts: list[str], *, steps: int, seed: int, output_type: str) -> object:
        generator = torch.Generator(self.device).manual_seed(seed)
        return self.pipe(
            prompts,
            num_inference_steps=steps,
            generator=generator,
            output_type=output_type,
            **self.extra,
        )


@dataclass(slots=True)
class InferenceFunctionAdapter:
    """Calls the module's own `inference(pipe, prompts, ...)`."""

    fn: Callable[..., object]
    pipe: Any
    device: str
    accepted: frozenset[str]

    def __call__(self, prompts: list[str], *, steps: int, seed: int, output_type: str) -> object:
        offered = {
            "num_inference_steps": steps,
            "generator": torch.Generator(self.device).manual_seed(seed),
            "output_type": output_type,
        }
        kwargs = {k: v for k, v in offered.items() if "**" in self.accepted or k in self.accepted}
        return self.fn(self.pipe, prompts, **kwargs)


#: What `--kind` may say a module's model is ("auto": recognised from what the loader returns).
KINDS = ("auto", "diffusers", "inference", "generate")


@dataclass(slots=True)
class LoadedModel:
    name: str
    path: str
    adapter: Adapter | None  # diffusers and inference(): None for the generate kind
    declared_steps: int | None
    dtype: str | None
    load_s: float
    uses_inference_fn: bool
    kind: str = "diffusers"  # "diffusers", "inference" or "generate"
    generate: GenerateAdapter | None = None
    max_new_tokens_source: str | None = None  # "declared", "default" or "override"


def _accepted_kwargs(fn: Callable[..., object]) -> frozenset[str]:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return frozenset()
    names = {p.name for p in params}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        names.add("**")
    return frozenset(names)


def import_module_from_path(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"benchaudit_model_{name}", path)
    if spec is None or spec.loader is None:
        raise ModelModuleError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # let the module import its siblings
    try:
        spec.loader.exec_module(module)
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return module


def _pipeline_of(module: Any, device: str) -> Any:
    for attr in _LOADERS:
        loader = getattr(module, attr, None)
        if callable(loader):
            if "device" in _accepted_kwargs(loader):
                return loader(device=device)
            return _to_device(loader(), device)
    if hasattr(module, "pipe"):
        return _to_device(module.pipe, device)
    raise ModelModuleError(
        "defines none of `load_model()`, `get_pipeline()` or a module-level `pipe`"
    )


def _to_device(pipe: Any, device: str) -> Any:
    mover = getattr(pipe, "to", None)
    moved = mover(device) if callable(mover) else None
    return moved if moved is not None else pipe


def _dtype_of(pipe: Any) -> str | None:
    dtype = getattr(pipe, "dtype", None)
    return str(dtype).removeprefix("torch.") if dtype is not None else None


def _is_language_model(obj: object) -> bool:
    """A transformers model or text-generation pipeline: something with `generate()` (or a
    transformers `Pipeline`) that is not a diffusers pipeline."""
    module = type(obj).__module__ or ""
    if module.startswith("diffusers"):
        return False
    return llm.is_text_pipeline(obj) or llm.is_generator(obj)


def _positive_int(module: Any, attr: str) -> int | None:
    value = getattr(module, attr, None)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ModelModuleError(f"`{attr}` must be a positive int, not {value!r}")
    return value


def _tokenizer_of(module: Any) -> Any:
    loader = getattr(module, "load_tokenizer", None)
    if callable(loader):
        return loader()
    return getattr(module, "tokenizer", None)


def _generate_model(
    name: str, path: str, module: Any, model: Any, device: str, t0: float, override: int | None
) -> LoadedModel:
    """The generate kind: a transformers model with `generate()`, or a text-generation
    pipeline (its model and tokenizer)."""
    tokenizer = _tokenizer_of(module)
    if llm.is_text_pipeline(model):
        tokenizer = tokenizer or getattr(model, "tokenizer", None)
        model = model.model
    if not callable(getattr(model, "generate", None)):
        raise ModelModuleError(
            f"--kind generate needs a model with generate(); the loader returned "
            f"{type(model).__name__}"
        )
    declared = _positive_int(module, "max_new_tokens")
    extra = getattr(module, "generate_kwargs", None) or {}
    if not isinstance(extra, dict):
        raise ModelModuleError(f"`generate_kwargs` must be a dict, not {type(extra).__name__}")
    length = override or declared or llm.DEFAULT_MAX_NEW_TOKENS
    source = "override" if override else "declared" if declared else "default"
    try:
        adapter = llm.GenerateAdapter(model, tokenizer, device, length, dict(extra))
    except llm.GenerateSetupError as exc:
        raise ModelModuleError(str(exc)) from None
    return LoadedModel(
        name=name,
        path=path,
        adapter=None,
        declared_steps=length,
        dtype=_dtype_of(model),
        load_s=time.perf_counter() - t0,
        uses_inference_fn=False,
        kind="generate",
        generate=adapter,
        max_new_tokens_source=source,
    )


def load(
    name: str,
    path: str,
    device: str,
    kind: str = "auto",
    max_new_tokens: int | None = None,
) -> LoadedModel:
    """Import the module and build its model. `kind` (see KINDS) says what the model is;
    "auto" recognises it: a module's `inference()`, a transformers model or text-generation
    pipeline (generate), else a diffusers-style pipeline."""
    os.environ["BENCHAUDIT_DEVICE"] = device
    t0 = time.perf_counter()
    module = import_module_from_path(name, Path(path))
    pipe = _pipeline_of(module, device)
    if pipe is None:
        raise ModelModuleError("the loader returned None instead of a model")
    inference = getattr(module, "inference", None)
    if kind == "generate" or (
        kind == "auto" and not callable(inference) and _is_language_model(pipe)
    ):
        return _generate_model(name, path, module, pipe, device, t0, max_new_tokens)
    if kind == "inference" and not callable(inference):
        raise ModelModuleError("--kind inference needs an `inference(pipe, prompts)` function")
    set_progress = getattr(pipe, "set_progress_bar_config", None)
    if callable(set_progress):
        set_progress(disable=True)
    steps = _positive_int(module, "num_inference_steps")
    if kind == "diffusers":
        inference = None
    adapter: Adapter
    if callable(inference):
        adapter = InferenceFunctionAdapter(inference, pipe, device, _accepted_kwargs(inference))
    else:
        if not callable(pipe):
            raise ModelModuleError("the pipeline is not callable and there is no `inference`")
        adapter = PipelineAdapter(pipe, device, dict(getattr(module, "call_kwargs", {}) or {}))
    return LoadedModel(
        name=name,
        path=path,
        adapter=adapter,
        declared_steps=steps,
        dtype=_dtype_of(pipe),
        load_s=time.perf_counter() - t0,
        uses_inference_fn=callable(inference),
        kind="inference" if callable(inference) else "diffusers",
    )
