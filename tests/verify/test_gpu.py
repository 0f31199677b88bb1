"""On a CUDA device: the tiny fixtures through CUDA events (skipped without CUDA)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from verify_helpers import TINY

from auditor.verify import runner

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.gpu


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_tiny_models_on_cuda_use_cuda_events(tmp_path: Path) -> None:
    arms = [
        {
            "id": f"{n}:canonical",
            "model": n,
            "variant": "canonical",
            "per_prompt": False,
            "steps": None,
            "synchronize": True,
            "warmup_calls": 2,
        }
        for n in ("base", "speedup")
    ]
    job = {
        "models": [{"name": n, "path": str(TINY / f"{n}.py")} for n in ("base", "speedup")],
        "device": "cuda",
        "threads": None,
        "prompts": ["a cat", "a dog", "a car"],
        "batch_size": 3,
        "steps_override": None,
        "seed": 0,
        "output_type": "pil",
        "budget_s": 0.2,
        "min_samples": 5,
        "max_samples": 50,
        "arms": arms,
    }
    out = runner.run_supervised(job, timeout=120)
    assert not out.errors, json.dumps(out.errors)
    assert out.env is not None and out.env["device"] == "cuda"
    base = out.arms["base:canonical"]
    assert len(base["samples"]) >= 5
    # the GPU itself was sampled (nvidia-smi, by UUID) before the rounds and after each one
    state = out.device_state
    assert state is not None and state["samples"] == len(base["samples"]) + 1
    assert state["sm_clock_mhz"] is not None and state["temperature_c"] is not None
    # CUDA events and the host clock after a sync agree to within the launch overhead
    for dev, host in zip(base["samples"], base["host_samples"], strict=True):
        assert dev <= host * 1.05
