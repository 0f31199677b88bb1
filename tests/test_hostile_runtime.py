"""`benchaudit verify` against model modules that misbehave in ways tests/verify/
test_worker_failures.py does not cover: floods of output on both streams, closed standard
streams, crashes and out-of-memory errors while *running* (not loading), exceptions that cannot
even be printed, and processes left behind. Each costs at most its own model."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")

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


def calling(body: str) -> str:
    """GOOD, with `body` run at the start of every call."""
    return GOOD.replace(
        "        time.sleep(0.001",
        "        " + body.replace("\n", "\n        ") + "\n        time.sleep(0.001",
    )


LOUD = (
    "import sys\nsys.stdout.write('x' * 2_000_000)\nsys.stderr.write('y' * 2_000_000)\n"
    + calling("import sys\nprint('z' * 200_000)\nprint('w' * 200_000, file=sys.stderr)")
)
MODULES = {
    "good": GOOD,
    "loud": LOUD,
    "call_crash": calling("import os\nos._exit(9)"),
    "memory": calling("raise MemoryError()"),
    "cuda_oom": calling("import torch\nraise torch.cuda.OutOfMemoryError('CUDA out of memory.')"),
    "good2": GOOD,
}


def _job(paths: dict[str, Path]) -> dict[str, object]:
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
        "arms": [
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
        ],
    }


def _write(tmp_path: Path, modules: dict[str, str]) -> dict[str, Path]:
    paths = {}
    for name, text in modules.items():
        paths[name] = tmp_path / f"{name}.py"
        paths[name].write_text(text)
    return paths


@pytest.mark.slow
def test_misbehaving_models_cost_only_themselves(tmp_path: Path) -> None:
    out = runner.run_supervised(_job(_write(tmp_path, MODULES)), timeout=30.0)
    assert out.fatal is None
    assert set(out.errors) == {"call_crash", "memory", "cuda_oom"}, out.errors
    assert "died" in out.errors["call_crash"] and "running" in out.errors["call_crash"]
    assert "MemoryError" in out.errors["memory"]
    assert "out of GPU memory" in out.errors["cuda_oom"]
    for name in ("good", "loud", "good2"):
        arm = out.arms[f"{name}:canonical"]
        assert arm["error"] is None, (name, arm)
        assert len(arm["samples"]) >= 3


@pytest.mark.slow
def test_a_model_that_closes_stdout_and_stderr(tmp_path: Path) -> None:
    """The protocol runs on its own pipe, so closing the standard streams breaks nothing the
    supervisor relies on, and a model loaded after it in the same worker can still print."""
    closer = "import os, sys\nos.close(1)\nos.close(2)\nsys.stdout.close()\n" + GOOD
    printer = "print('loading printer')\nimport sys\nprint('to stderr', file=sys.stderr)\n" + GOOD
    out = runner.run_supervised(
        _job(_write(tmp_path, {"good": GOOD, "closer": closer, "printer": printer})),
        timeout=30.0,
    )
    assert out.fatal is None and out.errors == {}, out.errors
    for name in ("good", "closer", "printer"):
        assert len(out.arms[f"{name}:canonical"]["samples"]) >= 3


UNPRINTABLE = """
class Weird(Exception):
    def __str__(self):
        raise RuntimeError("cannot describe myself")

def load_model():
    raise Weird()
"""


@pytest.mark.slow
def test_an_exception_that_cannot_be_printed_costs_only_its_model(tmp_path: Path) -> None:
    out = runner.run_supervised(
        _job(_write(tmp_path, {"good": GOOD, "weird": UNPRINTABLE})), timeout=30.0
    )
    assert out.fatal is None, out.fatal
    assert "weird" in out.errors
    assert out.arms["good:canonical"]["error"] is None


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan killed here may wait for an init that never reaps)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


FORKER = (
    """
import os, time
pid = os.fork()
if pid == 0:
    open({pidfile!r}, "w").write(str(os.getpid()))
    time.sleep(600)
    os._exit(0)
"""
    + GOOD
)


@pytest.mark.slow
def test_processes_a_model_started_do_not_outlive_the_run(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    modules = {"good": GOOD, "forker": FORKER.format(pidfile=str(pidfile))}
    t0 = time.monotonic()
    out = runner.run_supervised(_job(_write(tmp_path, modules)), timeout=30.0)
    assert time.monotonic() - t0 < 60
    assert out.arms["good:canonical"]["error"] is None
    child = int(pidfile.read_text())
    time.sleep(0.5)
    alive = _running(child)
    if alive:
        os.kill(child, signal.SIGKILL)
    assert not alive, "a process started by a model module outlived `verify`"
