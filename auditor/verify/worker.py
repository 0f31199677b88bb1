"""The worker process (`python -m auditor.verify.worker`): imports model modules, measures them.

Invoked as `python -m auditor.verify.worker SPEC.json FD`. It reads the job from SPEC.json and
writes one JSON object per line to file descriptor FD, a pipe that only the supervisor reads, so a
model that prints to stdout (or closes it) cannot confuse the protocol; the supervisor sends the
worker's stdout and stderr to a log.

Events, in order: `env`; per model `load_start` then `load_ok` or `model_error`; per timed or
warm-up call `call` (which arm, which phase, seconds left): this doubles as the heartbeat the
supervisor's timeout watches and tells it which model to blame if the process dies or hangs;
`model_error` when a call raises (an out-of-memory error included: the model's memory is freed and
the others go on); finally `result` with every arm's samples, then `done`.

All models of one run share this process, and their arms are interleaved call by call (see
`timing.measure`): the arms then see the same CUDA context, clocks, allocator and thermal state,
and drift is shared instead of landing on whichever model ran last. Alternating between one
process per model would need a lock-step protocol and would keep several CUDA contexts competing
for one GPU. The cost is that one model that crashes the interpreter takes the process down; the
supervisor then blames that model (from the last `load_start`/`call` event), and starts a fresh
worker without it.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO, cast

import torch

from auditor.verify import backends
from auditor.verify import llm as llm_mod
from auditor.verify import models as model_modules
from auditor.verify import monitor as monitor_mod
from auditor.verify.backends import Backend
from auditor.verify.timing import Arm, Budget, Clock, measure, paired_convergence


class CudaEventTimer:
    def start(self) -> object:
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        return (start, end)

    def stop(self, token: object) -> None:
        _, end = cast(tuple[Any, Any], token)
        end.record()

    def elapsed_s(self, token: object) -> float:
        start, end = cast(tuple[Any, Any], token)
        return float(start.elapsed_time(end)) / 1000.0


def _monitor(device: str) -> monitor_mod.DeviceMonitor | None:
    """A monitor of the GPU this process uses (found by UUID, which survives
    CUDA_VISIBLE_DEVICES renumbering); None on a CPU run."""
    if not device.startswith("cuda"):
        return None
    gpu: str | None = None
    with contextlib.suppress(Exception):  # older torch has no uuid; then the first GPU
        uuid = str(torch.cuda.get_device_properties(torch.cuda.current_device()).uuid)
        gpu = uuid if uuid.startswith("GPU-") else f"GPU-{uuid}"
    return monitor_mod.DeviceMonitor(gpu)


def resolve_device(requested: str) -> str:
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _driver() -> str | None:
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout else None


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def environment(device: str) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tf32_matmul = bool(torch.backends.cuda.matmul.allow_tf32)
        tf32_cudnn = bool(torch.backends.cudnn.allow_tf32)
    cuda = device.startswith("cuda")
    return {
        "device": device,
        "device_name": torch.cuda.get_device_name() if cuda else _cpu_name(),
        "driver": _driver() if cuda else None,
        "cuda": torch.version.cuda if cuda else None,
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "torch": torch.__version__,
        "diffusers": _version("diffusers"),
        "transformers": _version("transformers"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "tf32_matmul": tf32_matmul,
        "tf32_cudnn": tf32_cudnn,
        "cudnn_benchmark": bool(torch.backends.cudnn.benchmark),
        "cudnn_deterministic": bool(torch.backends.cudnn.deterministic),
    }


class Emitter:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, event: str, **data: Any) -> None:
        self.stream.write(json.dumps({"ev": event, **data}) + "\n")
        self.stream.flush()


class Hooks:
    def __init__(self, emit: Emitter, loaded: dict[str, model_modules.LoadedModel]) -> None:
        self.emit = emit
        self.loaded = loaded

    def before_call(self, arm: Arm, phase: str, index: int, eta_s: float | None) -> None:
        self.emit(
            "call", arm=arm.id, model=arm.id.split(":", 1)[0], phase=phase, index=index, eta_s=eta_s
        )

    def failed(self, arm: Arm, exc: BaseException) -> bool:
        model = arm.id.split(":", 1)[0]
        text = _first_line(exc)
        oom = isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in text
        prefix = "out of GPU memory while running" if oom else "raised while running"
        self.emit(
            "model_error",
            model=model,
            error=f"{prefix} arm {arm.id}: {type(exc).__name__}: {text}",
        )
        self.loaded.pop(model, None)
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        return True


def _batches(job: dict[str, Any]) -> list[list[str]]:
    prompts: list[str] = job["prompts"]
    size: int = job["batch_size"]
    return [prompts[i : i + size] for i in range(0, len(prompts), size)]


def arm_for(spec: dict[str, Any], backend: Backend, job: dict[str, Any]) -> Arm:
    """The timing method, once for every kind of model: call i runs batch i (cycling), in one
    call or one call per prompt (prompt j of a batch seeded `seed + j`), and what the calls
    produced is counted when the backend counts."""
    batches = _batches(job)
    seed: int = job["seed"]
    last: dict[int, float] = {}

    def run(i: int) -> object:
        batch = batches[i % len(batches)]
        if spec["per_prompt"]:
            produced = sum(backend.call([p], spec, seed + j) for j, p in enumerate(batch))
        else:
            produced = backend.call(batch, spec, seed)
        last[i] = produced
        return produced

    def items(i: int) -> int:
        return len(batches[i % len(batches)])

    def units(i: int) -> float:
        return last.pop(i, 0.0)

    return Arm(
        spec["id"],
        run,
        items,
        spec["warmup_calls"],
        spec["synchronize"],
        units if backend.counts else None,
    )


def _prompt_tokens(model: model_modules.LoadedModel, job: dict[str, Any]) -> list[int] | None:
    """A language model's prompt tokens per batch (padding excluded), counted outside timers."""
    if model.generate is None:
        return None
    return [model.generate.prompt_tokens(b) for b in _batches(job)]


def _eos_ids(
    job: dict[str, Any], loaded: dict[str, model_modules.LoadedModel], emit: Emitter
) -> dict[str, int]:
    """The end-of-sequence id each language model may stop at in the EOS probe's arms: its own
    (`--eos-token tokenizer`), one given id, or ("auto") the token the baseline emits most
    often on the first batch, planted for every model (random weights rarely emit their own)."""
    how = job.get("eos_token", "tokenizer")
    generate = {n: m.generate for n, m in loaded.items() if m.generate is not None}
    if not generate:
        return {}
    if how == "tokenizer":
        ids = {n: a.eos_token_id for n, a in generate.items()}
        found = {n: i for n, i in ids.items() if i is not None}
        emit("eos", how="tokenizer", ids=found)
        return found
    if how == "auto":
        base = generate.get(job.get("baseline", ""), next(iter(generate.values())))
        exclude = {base.tokenizer.pad_token_id}
        token = llm_mod.frequent_token(base, _batches(job)[0], exclude)
        if token is None:
            return {}
        emit("eos", how="auto", ids=dict.fromkeys(generate, token))
        return dict.fromkeys(generate, token)
    emit("eos", how="given", ids=dict.fromkeys(generate, int(how)))
    return dict.fromkeys(generate, int(how))


def _start(job: dict[str, Any], emit: Emitter) -> str:
    """The device, with torch's threads set for it; emits `env`."""
    device = resolve_device(job["device"])
    if device == "cpu":
        torch.set_num_threads(job.get("threads") or 1)
    elif job.get("threads"):
        torch.set_num_threads(job["threads"])
    emit("env", **environment(device))
    return device


def _resolve_steps(model: model_modules.LoadedModel, override: int | None) -> tuple[int, str]:
    if override is not None:
        return override, "override"
    if model.declared_steps is not None:
        return model.declared_steps, "declared"
    return model_modules.DEFAULT_STEPS, "default"


def run_job(
    job: dict[str, Any],
    emit: Emitter,
    *,
    clock: Clock | None = None,
    load: Callable[..., model_modules.LoadedModel] = model_modules.load,
    monitor: monitor_mod.DeviceMonitor | None = None,
) -> None:
    """Load every model, measure every arm, emit the events (see the module's docstring).

    `clock`, `load` and `monitor` default to the real ones; tests pass a fake clock and models
    whose calls cost scripted (fake) seconds, so what is measured is exact on any machine.
    """
    device = _start(job, emit)

    loaded: dict[str, model_modules.LoadedModel] = {}
    job["steps"] = {}
    for entry in job["models"]:
        name = entry["name"]
        _restore_standard_streams()
        emit("load_start", model=name)
        try:
            model = load(
                name, entry["path"], device, job.get("kind", "auto"), job.get("max_new_tokens")
            )
        except BaseException as exc:  # SystemExit from user code, too
            if isinstance(exc, KeyboardInterrupt):
                raise
            emit(
                "model_error",
                model=name,
                error=f"failed to load: {type(exc).__name__}: {_first_line(exc)}",
            )
            gc.collect()
            continue
        if model.kind == "generate":
            steps, source = model.declared_steps, model.max_new_tokens_source
        else:
            steps, source = _resolve_steps(model, job.get("steps_override"))
        job["steps"][name] = steps
        loaded[name] = model
        emit(
            "load_ok",
            model=name,
            kind=model.kind,
            steps=steps,
            steps_source=source,
            dtype=model.dtype,
            load_s=model.load_s,
            inference_fn=model.uses_inference_fn,
            prompt_tokens=_prompt_tokens(model, job),
        )

    measure_loaded(job, loaded, emit, device, clock=clock, monitor=monitor)


def measure_loaded(
    job: dict[str, Any],
    loaded: dict[str, model_modules.LoadedModel],
    emit: Emitter,
    device: str,
    *,
    clock: Clock | None = None,
    monitor: monitor_mod.DeviceMonitor | None = None,
) -> None:
    """Measure every arm of the loaded models; emits `result`, then `done`."""
    if any(a.get("eos") for a in job["arms"]):
        job["eos_ids"] = _eos_ids(job, loaded, emit)
    arms: list[Arm] = []
    for spec in job["arms"]:
        owner = loaded.get(spec["model"])
        if owner is None or not backends.applies(spec, owner):
            continue
        try:
            arms.append(arm_for(spec, backends.backend_for(spec, owner, job), job))
        except model_modules.ModelModuleError as exc:
            emit("arm_skipped", arm=spec["id"], model=spec["model"], reason=str(exc))
    if clock is None:
        clock = Clock()
        if device.startswith("cuda"):
            clock = Clock(sync=torch.cuda.synchronize, device_timer=CudaEventTimer())
    precision = job.get("precision")
    budget = Budget(job["budget_s"], job["min_samples"], job["max_samples"], precision)
    converged = (
        paired_convergence([tuple(p) for p in job.get("compared", [])], precision)
        if precision is not None
        else None
    )
    device_monitor = monitor if monitor is not None else _monitor(device)
    results = measure(
        arms,
        clock,
        budget,
        Hooks(emit, loaded),
        converged,
        device_monitor.sample if device_monitor else None,
    )
    emit(
        "result",
        arms={
            k: {
                "samples": r.samples,
                "host_samples": r.host_samples,
                "call_s": r.call_s,
                "warmup_s": r.warmup_s,
                "units": r.units,
                "error": r.error,
            }
            for k, r in results.items()
        },
        device_state=monitor_mod.summarise(device_monitor.samples) if device_monitor else None,
    )
    emit("done")


def run_script_job(job: dict[str, Any], emit: Emitter, control: TextIO) -> None:
    """Script mode (`verify SCRIPT -- ARGS`): run the script traced in this process, emit what
    it timed (`traced`: its regions, its arms, their prompts), read the plan the supervisor
    answers with on `control` (one JSON line), then measure the arms on the script's own live
    objects exactly as model modules' arms are measured."""
    from auditor.verify import trace as trace_mod
    from auditor.verify import traced

    device = _start(job, emit)
    spec = job["trace"]
    emit("trace_start", script=spec["script"])

    def heartbeat(call: dict[str, Any]) -> None:
        emit("trace_call", model=call["name"], line=call["line"], index=call["index"])

    trace = trace_mod.run(
        Path(spec["script"]),
        list(spec["argv"]),
        spec["max_calls"],
        heartbeat,
        spec.get("max_seconds"),
    )
    _restore_standard_streams()
    summary = trace.to_dict()
    arms = traced.arms_of(trace, summary["regions"])
    loaded: dict[str, model_modules.LoadedModel] = {}
    described = []
    for arm in arms:
        where = f"{Path(arm.file).name}:{arm.line}"
        entry = arm.describe()
        try:
            model = traced.loaded_model(arm, where)
        except model_modules.ModelModuleError as exc:
            entry["error"] = str(exc)
            described.append(entry)
            continue
        loaded[arm.name] = model
        entry["path"] = where
        entry["prompts"], entry["batch"] = traced.prompts_and_batch(arm)
        described.append(entry)
        emit(
            "load_ok",
            model=arm.name,
            kind=model.kind,
            steps=model.declared_steps,
            steps_source="script" if model.declared_steps is not None else None,
            dtype=model.dtype,
            load_s=None,
            inference_fn=False,
            prompt_tokens=None,
        )
    summary.pop("timer_reads", None)
    emit("traced", trace=summary, arms=described)
    reply = json.loads(control.readline() or "{}")
    if not reply.get("models"):
        emit("done")
        return
    job.update(reply)
    kept = {name: loaded[name] for name in reply["models"] if name in loaded}
    job["steps"] = {n: m.declared_steps or model_modules.DEFAULT_STEPS for n, m in kept.items()}
    for name, model in kept.items():
        if model.generate is not None:
            emit("prompt_tokens", model=name, prompt_tokens=_prompt_tokens(model, job))
    measure_loaded(job, kept, emit, device)


def _restore_standard_streams() -> None:
    """A model module may close fds 1 and 2 (or `sys.stdout`); the next module's prints must
    not fail for it. Closed ones are pointed at the null device."""
    for fd, name in ((1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_WRONLY)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
        stream = getattr(sys, name)
        if stream is None or stream.closed:
            setattr(sys, name, open(fd, "w", closefd=False))


def _first_line(exc: BaseException) -> str:
    """The exception's first line; user exceptions may fail to print, which must not end the
    job."""
    try:
        text = str(exc).strip()
    except Exception:
        text = ""
    if text:
        return text.splitlines()[0]
    try:
        return repr(exc)
    except Exception:
        return f"<unprintable {type(exc).__name__}>"


def main(argv: list[str] | None = None, run: Callable[..., None] = run_job) -> int:
    """`SPEC.json FD [CONTROL_FD]`: events go to FD; in script mode the supervisor's answer to
    `traced` comes on CONTROL_FD."""
    args = sys.argv[1:] if argv is None else argv
    spec_path, fd = args[0], int(args[1])
    with os.fdopen(fd, "w", buffering=1) as stream:
        emit = Emitter(stream)
        job = json.loads(Path(spec_path).read_text())
        try:
            if "trace" in job and len(args) > 2:
                with os.fdopen(int(args[2]), "r") as control:
                    run_script_job(job, emit, control)
            else:
                run(job, emit)
        except Exception as exc:
            emit("fatal", error=f"{type(exc).__name__}: {_first_line(exc)}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
