"""Each way user code can fail gives an error for that model while the others are measured."""

from __future__ import annotations

from pathlib import Path

import pytest
from verify_helpers import runtime

from auditor.verify import runner

GOOD = """
import time
num_inference_steps = 4

class Pipe:
    def __call__(self, prompts, num_inference_steps=50, generator=None, output_type="pil"):
        time.sleep(0.001 * num_inference_steps * len(prompts))
        return prompts

pipe = Pipe()
"""

MODULES = {
    "good": GOOD,
    "importerr": "import definitely_not_a_module_xyz\n",
    "raiser": "def load_model():\n    raise ValueError('weights not found')\n",
    "noshape": "x = 1\n",
    "hang": "import time\ntime.sleep(600)\n",
    "crash": "import os\nos._exit(3)\n",
    "printer": "print('{\"ev\": \"done\"}')\nprint('noise on stdout')\n" + GOOD,
    "oom": GOOD.replace(
        "time.sleep(", "raise RuntimeError('CUDA out of memory. Tried to allocate 2 GiB'); ("
    ),
    "good2": GOOD,
}


def _job(paths: dict[str, Path]) -> dict[str, object]:
    arms = [
        {
            "id": f"{n}:canonical",
            "model": n,
            "variant": "canonical",
            "per_prompt": False,
            "steps": None,
            "synchronize": True,
            "warmup_calls": 1,
        }
        for n in paths
    ]
    return {
        "models": [{"name": n, "path": str(p)} for n, p in paths.items()],
        "device": "cpu",
        "threads": 1,
        "prompts": ["a", "b", "c"],
        "batch_size": 3,
        "steps_override": None,
        "seed": 0,
        "output_type": "pil",
        "budget_s": 0.01,
        "min_samples": 3,
        "max_samples": 5,
        "arms": arms,
    }


@runtime
@pytest.mark.slow
def test_failures_are_per_model(tmp_path: Path) -> None:
    paths = {}
    for name, text in MODULES.items():
        paths[name] = tmp_path / f"{name}.py"
        paths[name].write_text(text)
    events: list[dict[str, object]] = []
    out = runner.run_supervised(_job(paths), timeout=8.0, progress=events.append)

    assert set(out.errors) == {"importerr", "raiser", "noshape", "hang", "crash", "oom"}
    assert "definitely_not_a_module_xyz" in out.errors["importerr"]
    assert "weights not found" in out.errors["raiser"]
    assert "load_model" in out.errors["noshape"]
    assert "timed out" in out.errors["hang"] and "loading" in out.errors["hang"]
    assert "died" in out.errors["crash"] and "exit code 3" in out.errors["crash"]
    assert "out of GPU memory" in out.errors["oom"]
    for name in ("good", "printer", "good2"):
        arm = out.arms[f"{name}:canonical"]
        assert arm["error"] is None
        assert len(arm["samples"]) >= 3
        assert out.loads[name]["steps"] == 4
        assert out.loads[name]["steps_source"] == "declared"
    assert out.env is not None and out.env["threads"] == 1
