"""Backends: how the verifier calls each kind of model on one group of prompts, and what the
call produced.

The timing method is written once, over any backend (`worker.arm_for`): which batch call i runs,
one call per batch or one per prompt, the seeds, and the counting of what each call produced;
`timing.measure` then warms the arms up and times them in rounds. A backend knows only its kind
of model:

- `PipelineBackend`: a diffusers-style pipeline call, or the module's own `inference()` (see
  `models.py`), at the arm's step count, with a fresh seeded generator per call; it counts
  nothing.
- `GenerateBackend`: transformers `generate()` (see `llm.py`), at the arm's length, with the
  arm's end-of-sequence handling and decoding, or one raw forward of the batch; it counts the new
  tokens each call produced.

Variants only a language model has (prefill, EOS, decoding, a raw forward: `GENERATE_ONLY`) are
measured for language models only.

Used by the worker process only (it imports torch through the adapters).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from auditor.verify.llm import GenerateAdapter
from auditor.verify.models import Adapter, LoadedModel, ModelModuleError
from auditor.verify.probes import GENERATE_ONLY


class Backend(Protocol):
    #: whether a call reports what it produced (new tokens), recorded per timed call
    counts: bool

    def call(self, prompts: list[str], spec: Mapping[str, Any], seed: int) -> float:
        """Run one group of prompts as the arm `spec` says; what the call produced (0 when the
        backend counts nothing)."""
        ...


@dataclass(slots=True)
class PipelineBackend:
    adapter: Adapter
    steps: int  # the model's step count when the arm does not force one
    output_type: str
    counts: bool = False

    def call(self, prompts: list[str], spec: Mapping[str, Any], seed: int) -> float:
        steps = spec.get("steps") or self.steps
        self.adapter(prompts, steps=steps, seed=seed, output_type=self.output_type)
        return 0.0


@dataclass(slots=True)
class GenerateBackend:
    adapter: GenerateAdapter
    eos: int | None  # the end-of-sequence id rows may stop at, for arms that allow it
    counts: bool = True

    def call(self, prompts: list[str], spec: Mapping[str, Any], seed: int) -> float:
        if spec.get("forward"):
            self.adapter.forward(prompts)
            return 0.0
        out = self.adapter(
            prompts,
            new_tokens=spec.get("new_tokens"),
            eos=self.eos if spec.get("eos") else None,
            decode=bool(spec.get("decode")),
        )
        return float(out.new_tokens)


def applies(spec: Mapping[str, Any], model: LoadedModel) -> bool:
    """Arms of language-model variants exist for language models only."""
    return model.kind == "generate" or not any(spec.get(k) for k in GENERATE_ONLY)


def backend_for(spec: Mapping[str, Any], model: LoadedModel, job: Mapping[str, Any]) -> Backend:
    """The backend that runs `model` for the arm `spec`; ModelModuleError when it cannot run
    that variant (an EOS arm of a model without an end-of-sequence token)."""
    if model.generate is not None:
        eos = job.get("eos_ids", {}).get(model.name)
        if spec.get("eos") and eos is None:
            raise ModelModuleError("no end-of-sequence token to let generation stop")
        return GenerateBackend(model.generate, eos)
    assert model.adapter is not None
    return PipelineBackend(model.adapter, job["steps"][model.name], job["output_type"])
