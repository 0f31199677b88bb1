"""From a traced run of a script to the arms the verifier re-times (issue 13, `verify SCRIPT`).

The tracer (`trace.py`) ran the script in the worker process and kept the model objects it
called, their names in the script and the arguments of their calls. Here:

- `arms_of`: the arms are the distinct (model object, call settings) pairs whose calls fell in
  a timed region, in the order the script first timed them; each keeps the arguments of its
  first timed call, the regions it was timed in and the script's own seconds per sample;
- `loaded_model`: each arm as a `LoadedModel` the worker's backends run like a model module's:
  a diffusers-style pipeline at the step count and settings the script called it with, a
  transformers model's `generate()` with the tokenizer the script had in scope (its prompts are
  the script's input ids decoded), or a plain `nn.Module` forward replayed on the script's own
  input tensors (one row at a time for a per-prompt arm) in the grad and inference mode it ran
  in (a compiled module's guards check them: another mode would recompile it);
- `prompts_and_batch`: the prompts and batch size of the canonical harness: the script's
  prompts, as many per batched call as the script timed per region.

Used by the worker process only (imports torch).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from auditor.verify import llm
from auditor.verify.models import LoadedModel, ModelModuleError, PipelineAdapter
from auditor.verify.trace import CallArgs, Trace

#: Pipeline arguments the harness sets itself (prompts, steps, noise, output), or that hold
#: per-call data that would not fit another batch; every other simple argument the script set
#: is passed on every call.
_HARNESS_ARGS = frozenset(
    {
        "prompt",
        "prompt_2",
        "num_inference_steps",
        "generator",
        "output_type",
        "latents",
        "prompt_embeds",
        "negative_prompt_embeds",
        "callback",
        "callback_on_step_end",
        "return_dict",
    }
)
#: generate() arguments the generate backend sets itself (inputs, length, end of sequence,
#: greedy decoding).
_GENERATE_OWN = frozenset(
    {
        "inputs",
        "input_ids",
        "attention_mask",
        "max_new_tokens",
        "min_new_tokens",
        "max_length",
        "min_length",
        "generation_config",
        "pad_token_id",
        "eos_token_id",
        "do_sample",
        "temperature",
        "top_p",
        "top_k",
        "streamer",
    }
)


@dataclass(slots=True)
class TracedArm:
    name: str
    index: int  # the object's index in the trace
    obj: Any
    kind: str  # "diffusers", "generate" or "forward"
    type: str
    work: dict[str, Any]
    line: int  # the line of its first timed call
    file: str  # and its file (the script, or a helper module of its project)
    calls: list[int] = field(default_factory=list)  # its timed calls
    regions: list[int] = field(default_factory=list)  # the regions it was timed in
    args: CallArgs | None = None  # its first timed call's arguments
    kept: list[CallArgs] = field(default_factory=list)  # its timed calls' arguments (kept)
    grad: bool = False  # grad mode at its first timed call
    inference_mode: bool = False  # and whether it ran under `torch.inference_mode()`
    tokenizer: Any = None
    script_per_sample_s: list[float] = field(default_factory=list)  # per region

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "type": self.type,
            "line": self.line,
            "file": Path(self.file).name,
            "work": self.work,
            "calls": self.calls,
            "regions": self.regions,
            "script_per_sample_s": self.script_per_sample_s,
        }


def _kind(obj: Any, method: str) -> str:
    if method == "generate" or llm.is_text_pipeline(obj):
        return "generate"
    if isinstance(obj, torch.nn.Module) and not (type(obj).__module__ or "").startswith(
        "diffusers.pipelines"
    ):
        return "forward"
    return "diffusers"


def _suffix(key: str, value: Any) -> str:
    if key == "num_inference_steps":
        return f"{value}steps"
    if key == "max_new_tokens":
        return f"{value}tok"
    return re.sub(r"[^A-Za-z0-9_.]+", "", f"{key}{value}")


def arms_of(trace: Trace, regions: list[dict[str, Any]]) -> list[TracedArm]:
    """The arms the script timed, in the order it first timed them (see the module's docstring)."""
    region_of: dict[int, int] = {}
    for r, region in enumerate(regions):
        for call in region["calls"]:
            region_of.setdefault(call, r)
    arms: dict[tuple[int, str], TracedArm] = {}
    for call in trace.calls:
        found = region_of.get(call["index"])
        if found is None:
            continue
        r = found
        key = (call["object"], json.dumps(call["work"], sort_keys=True))
        arm = arms.get(key)
        if arm is None:
            obj = trace.live[call["object"]]
            arm = arms[key] = TracedArm(
                name=trace.names.get(call["object"], f"model{call['object'] + 1}"),
                index=call["object"],
                obj=obj,
                kind=_kind(obj, call["method"]),
                type=call["type"],
                work=dict(call["work"]),
                line=call["line"],
                file=call["file"],
                args=trace.arguments.get(call["index"]),
                grad=bool(call.get("grad", False)),
                inference_mode=bool(call.get("inference_mode", False)),
                tokenizer=trace.tokenizers.get(call["object"]),
            )
        arm.calls.append(call["index"])
        if r not in arm.regions:
            arm.regions.append(r)
        kept = trace.arguments.get(call["index"])
        if kept is not None:
            arm.kept.append(kept)
    out = list(arms.values())
    _name(out)
    by_index = {c["index"]: c for c in trace.calls}
    for arm in out:
        for r in arm.regions:
            mine = [i for i in regions[r]["calls"] if i in arm.calls]
            samples = sum(by_index[i].get("batch") or 1 for i in mine)
            seconds = regions[r]["seconds"]
            if seconds is not None and samples and len(mine) == len(regions[r]["calls"]):
                # (a region that times this arm only)
                arm.script_per_sample_s.append(seconds / samples)
    return out


def _name(arms: list[TracedArm]) -> None:
    """Arms of one object at different settings get the setting in their name; names that
    still collide get a number."""
    by_object: dict[int, list[TracedArm]] = {}
    for arm in arms:
        by_object.setdefault(arm.index, []).append(arm)
    for group in by_object.values():
        if len(group) < 2:
            continue
        keys = sorted({k for a in group for k in a.work})
        differing = [k for k in keys if len({repr(a.work.get(k)) for a in group}) > 1]
        for arm in group:
            parts = [_suffix(k, arm.work[k]) for k in differing if k in arm.work]
            if parts:
                arm.name = f"{arm.name}-{'-'.join(parts)}"
    seen: dict[str, int] = {}
    for arm in arms:
        count = seen.get(arm.name, 0) + 1
        seen[arm.name] = count
        if count > 1:
            arm.name = f"{arm.name}-{count}"


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    return []


def prompts_of(arm: TracedArm) -> list[str]:
    """The prompts the script timed this arm on, in order, each once: a pipeline's prompt
    strings, a language model's input ids decoded with the script's tokenizer, and for a
    forward, one placeholder per row of its input."""
    seen: dict[str, None] = {}
    if arm.kind == "forward":
        rows = _rows(arm.args) if arm.args is not None else 1
        return [f"#{i}" for i in range(rows)]
    for args in arm.kept:
        if arm.kind == "generate":
            ids = args.first()
            if ids is None or arm.tokenizer is None or not hasattr(ids, "shape"):
                continue
            texts = arm.tokenizer.batch_decode(ids, skip_special_tokens=True)
        else:
            texts = _texts(args.first())
        for text in texts:
            seen.setdefault(text, None)
    return list(seen)


def _rows(args: CallArgs) -> int:
    first = args.first()
    shape = getattr(first, "shape", None)
    return int(shape[0]) if shape is not None and len(shape) >= 1 else 1


#: What a pipeline arm is re-timed on when the script's calls held no prompt text
#: (`prompt_embeds` only, say).
FALLBACK_PROMPT = "a photograph of an astronaut riding a horse"


def prompts_and_batch(arm: TracedArm) -> tuple[list[str], int]:
    """The arm's prompts for the canonical harness (`prompts_of`, never empty) and how many of
    them the script timed per region: the batch of one canonical call."""
    prompts = prompts_of(arm) or [FALLBACK_PROMPT]
    if arm.kind == "forward":
        return prompts, len(prompts)
    per_region = len(arm.calls) // max(1, len(arm.regions))
    return prompts, min(len(prompts), max(1, per_region * _first_batch(arm)))


def _first_batch(arm: TracedArm) -> int:
    if arm.args is None:
        return 1
    first = arm.args.first()
    if arm.kind == "generate":
        return _rows(arm.args)
    return len(_texts(first)) or 1


def _device_of(obj: Any) -> str:
    device = getattr(obj, "device", None)
    if device is None and isinstance(obj, torch.nn.Module):
        with contextlib.suppress(StopIteration):
            device = next(obj.parameters()).device
    return str(device) if device is not None else "cpu"


def _simple(value: Any) -> bool:
    return isinstance(value, int | float | str | bool) and value is not None


def _set_arguments(fn: Any, named: dict[str, Any], skip: frozenset[str]) -> dict[str, Any]:
    """The simple arguments the script set: named values other than the callee's defaults."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    out: dict[str, Any] = {}
    for key, value in named.items():
        if key in skip or not _simple(value):
            continue
        param = params.get(key)
        if param is not None and param.default is not inspect.Parameter.empty:
            with contextlib.suppress(Exception):
                if param.default == value:
                    continue
        out[key] = value
    return out


@dataclass(slots=True)
class ForwardAdapter:
    """Replays an `nn.Module` call on the script's own inputs: the whole batch, or the rows a
    per-prompt arm asks for (every tensor argument whose first dimension is the batch is
    sliced), in the grad mode the script's call ran in."""

    module: Any
    args: CallArgs
    rows: int
    grad: bool
    inference_mode: bool = False

    def __call__(self, prompts: list[str], *, steps: int, seed: int, output_type: str) -> object:
        picked = [int(p[1:]) for p in prompts if p.startswith("#") and p[1:].isdigit()]
        positional, named = self.args.positional, self.args.named
        if picked and picked != list(range(self.rows)):
            positional = tuple(self._take(v, picked) for v in positional)
            named = {k: self._take(v, picked) for k, v in named.items()}
        with torch.inference_mode(self.inference_mode), torch.set_grad_enabled(self.grad):
            return self.module(*positional, **named)

    def _take(self, value: Any, rows: list[int]) -> Any:
        shape = getattr(value, "shape", None)
        if shape is None or len(shape) < 1 or int(shape[0]) != self.rows:
            return value
        if rows == list(range(rows[0], rows[-1] + 1)):
            return value[rows[0] : rows[-1] + 1]
        return value[rows]


def loaded_model(arm: TracedArm, where: str) -> LoadedModel:
    """The arm as the worker's backends run it (see the module's docstring); ModelModuleError
    when it cannot be re-timed (a language model with no tokenizer in the script's scope)."""
    t0 = time.perf_counter()
    device = _device_of(arm.obj)
    dtype = getattr(arm.obj, "dtype", None)
    if dtype is None and isinstance(arm.obj, torch.nn.Module):
        with contextlib.suppress(StopIteration):
            dtype = next(arm.obj.parameters()).dtype
    dtype_name = str(dtype).removeprefix("torch.") if dtype is not None else None
    if arm.kind == "generate":
        model, tokenizer = arm.obj, arm.tokenizer
        if llm.is_text_pipeline(model):
            tokenizer = tokenizer or getattr(model, "tokenizer", None)
            model = model.model
        if tokenizer is None:
            raise ModelModuleError("no tokenizer in the script's scope at its generate() call")
        if getattr(tokenizer, "pad_token_id", None) is None and getattr(
            tokenizer, "eos_token", None
        ):
            tokenizer.pad_token = tokenizer.eos_token
        length = arm.work.get("max_new_tokens")
        config = getattr(model, "generation_config", None)
        if not isinstance(length, int):
            length = getattr(config, "max_new_tokens", None) or llm.DEFAULT_MAX_NEW_TOKENS
        named = arm.args.named if arm.args is not None else {}
        extra = {k: v for k, v in named.items() if k not in _GENERATE_OWN and _simple(v)}
        try:
            generate = llm.GenerateAdapter(model, tokenizer, device, int(length), extra)
        except llm.GenerateSetupError as exc:
            raise ModelModuleError(str(exc)) from None
        return LoadedModel(
            name=arm.name,
            path=where,
            adapter=None,
            declared_steps=int(length),
            dtype=dtype_name,
            load_s=time.perf_counter() - t0,
            uses_inference_fn=False,
            kind="generate",
            generate=generate,
            max_new_tokens_source="script",
        )
    if arm.kind == "forward":
        if arm.args is None:
            raise ModelModuleError("its call's arguments were not kept")
        forward = ForwardAdapter(arm.obj, arm.args, _rows(arm.args), arm.grad, arm.inference_mode)
        return LoadedModel(
            name=arm.name,
            path=where,
            adapter=forward,
            declared_steps=None,
            dtype=dtype_name,
            load_s=time.perf_counter() - t0,
            uses_inference_fn=False,
            kind="forward",
        )
    named = arm.args.named if arm.args is not None else {}
    extra = _set_arguments(arm.obj.__call__, named, _HARNESS_ARGS)
    set_progress = getattr(arm.obj, "set_progress_bar_config", None)
    if callable(set_progress):
        set_progress(disable=True)
    steps = arm.work.get("num_inference_steps")
    return LoadedModel(
        name=arm.name,
        path=where,
        adapter=PipelineAdapter(arm.obj, device, extra),
        declared_steps=int(steps) if isinstance(steps, int) else None,
        dtype=dtype_name,
        load_s=time.perf_counter() - t0,
        uses_inference_fn=False,
        kind="diffusers",
    )
