"""The supervisor: runs the worker process, watches it, and keeps one bad model from ending the run.

Stdlib only (the `benchaudit` process never imports torch). The worker reports on a dedicated pipe
(see `worker.py`); its stdout and stderr go to a log whose tail is quoted in error messages.

Failure handling, per model:

- fails to import, raises while loading or while running, runs out of GPU memory: the worker
  catches it, reports a `model_error` and goes on with the other models;
- hangs: no event for `timeout` seconds (each load and each call must finish within it); the
  supervisor kills the worker's process group and blames the model named by the last event;
- crashes the interpreter (`os._exit`, a segfault): the pipe closes without `done`; the model named
  by the last event is blamed.

After a hang or crash, a fresh worker reruns the job without the blamed model, so the remaining
models are measured together in one process as usual.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ProgressFn = Callable[[dict[str, Any]], None]


@dataclass(slots=True)
class Outcome:
    env: dict[str, Any] | None = None
    loads: dict[str, dict[str, Any]] = field(default_factory=dict)  # load_ok events by model
    errors: dict[str, str] = field(default_factory=dict)  # model -> message
    arms: dict[str, dict[str, Any]] = field(default_factory=dict)
    fatal: str | None = None
    device_state: dict[str, Any] | None = None  # monitor.summarise of the GPU between rounds
    eos: dict[str, Any] | None = None  # the EOS probe's token: {"how": ..., "ids": {model: id}}
    traced: dict[str, Any] | None = None  # script mode: the `traced` event (trace and arms)


@dataclass(slots=True)
class _Attempt:
    completed: bool = False
    blame: str | None = None
    blame_phase: str = ""
    failure: str = ""


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:] if line.strip())


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def _kill_leftovers(proc: subprocess.Popen[bytes]) -> None:
    """Processes a model module started (in the worker's session) must not outlive the run."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _handle(event: dict[str, Any], out: Outcome, attempt: _Attempt) -> None:
    kind = event.get("ev")
    model = event.get("model")
    if kind == "env":
        out.env = {k: v for k, v in event.items() if k != "ev"}
    elif kind == "load_start":
        attempt.blame, attempt.blame_phase = model, "loading"
    elif kind == "trace_start":
        attempt.blame, attempt.blame_phase = None, "running the script"
    elif kind == "traced":
        out.traced = {k: v for k, v in event.items() if k != "ev"}
        attempt.blame_phase = "measuring the script's models"
    elif kind == "prompt_tokens" and model in out.loads:
        out.loads[model]["prompt_tokens"] = event.get("prompt_tokens")
    elif kind == "call":
        attempt.blame, attempt.blame_phase = model, "running"
    elif kind == "load_ok" and isinstance(model, str):
        out.loads[model] = {k: v for k, v in event.items() if k not in ("ev", "model")}
    elif kind == "model_error" and isinstance(model, str):
        out.errors.setdefault(model, str(event.get("error")))
        out.loads.pop(model, None)
    elif kind == "result":
        out.arms.update(event.get("arms", {}))
        out.device_state = event.get("device_state") or out.device_state
    elif kind == "eos":
        out.eos = {"how": event.get("how"), "ids": event.get("ids") or {}}
    elif kind == "fatal":
        out.fatal = str(event.get("error"))
    elif kind == "done":
        attempt.completed = True


def _run_once(
    job: dict[str, Any],
    timeout: float,
    out: Outcome,
    progress: ProgressFn | None,
    respond: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    cwd: Path | None = None,
) -> _Attempt:
    """One worker process. With `respond` (script mode) the worker gets a second pipe, on which
    the answer `respond` gives to its `traced` event is written as one JSON line."""
    attempt = _Attempt()
    with tempfile.TemporaryDirectory(prefix="benchaudit-verify-") as tmp:
        spec = Path(tmp) / "job.json"
        spec.write_text(json.dumps(job))
        log = Path(tmp) / "worker.log"
        read_fd, write_fd = os.pipe()
        argv = [sys.executable, "-m", "auditor.verify.worker", str(spec), str(write_fd)]
        fds: tuple[int, ...] = (write_fd,)
        control_read = control_write = -1
        if respond is not None:
            control_read, control_write = os.pipe()
            argv.append(str(control_read))
            fds = (write_fd, control_read)
        with log.open("wb") as log_file:
            proc = subprocess.Popen(
                argv,
                pass_fds=fds,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                cwd=cwd,
                start_new_session=True,  # so a hang can be killed with everything it started
                env={**os.environ, "PYTHONUNBUFFERED": "1", "TQDM_DISABLE": "1"},
            )
        os.close(write_fd)
        if control_read >= 0:
            os.close(control_read)
        buffer = b""
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector, os.fdopen(read_fd, "rb", 0) as reader:
            selector.register(reader, selectors.EVENT_READ)
            eof = False
            while not eof and not attempt.completed:
                left = deadline - time.monotonic()
                if left <= 0:
                    _kill(proc)
                    attempt.failure = f"timed out: no progress for {timeout:g} s"
                    if control_write >= 0:
                        os.close(control_write)
                    return attempt
                if not selector.select(timeout=min(left, 1.0)):
                    continue
                chunk = reader.read(65536)
                if not chunk:
                    eof = True
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    try:
                        event = json.loads(line)
                    except ValueError:
                        continue
                    deadline = time.monotonic() + timeout
                    _handle(event, out, attempt)
                    if progress is not None:
                        progress(event)
                    if respond is not None and event.get("ev") == "traced":
                        answer = json.dumps(respond(event)) + "\n"
                        try:
                            with open(control_write, "w", closefd=False) as control:
                                control.write(answer)
                        except OSError:  # the worker is gone: the pipe's end says how
                            pass
        if control_write >= 0:
            os.close(control_write)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _kill(proc)
            code = proc.returncode
        _kill_leftovers(proc)
        if not attempt.completed:
            detail = _tail(log)
            how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            attempt.failure = f"the worker process died ({how})" + (f": {detail}" if detail else "")
    return attempt


def run_supervised(
    job: dict[str, Any], timeout: float, progress: ProgressFn | None = None
) -> Outcome:
    """Run `job` (see worker.py) to completion, retrying without each model that kills a worker."""
    out = Outcome()
    models: list[dict[str, str]] = list(job["models"])
    while True:
        live = {m["name"] for m in models}
        attempt_job = {
            **job,
            "models": models,
            "arms": [a for a in job["arms"] if a["model"] in live],
        }
        out.arms.clear()
        attempt = _run_once(attempt_job, timeout, out, progress)
        if attempt.completed or out.fatal:
            return out
        if attempt.blame is None or attempt.blame not in live:
            for name in live:
                out.errors.setdefault(name, attempt.failure)
            return out
        out.errors[attempt.blame] = f"{attempt.failure} while {attempt.blame_phase} this model"
        out.loads.pop(attempt.blame, None)
        models = [m for m in models if m["name"] != attempt.blame and m["name"] not in out.errors]
        if not models:
            return out


def run_script(
    job: dict[str, Any],
    timeout: float,
    respond: Callable[[dict[str, Any]], dict[str, Any]],
    progress: ProgressFn | None = None,
    cwd: Path | None = None,
) -> Outcome:
    """Script mode: one worker runs the script traced, `respond` plans the measurement from
    what it timed, the worker measures. Not retried: a retry would run the script again. A
    failure is `fatal` while the script runs (no arm known yet), and the measured arms' error
    after."""
    out = Outcome()
    attempt = _run_once(job, timeout, out, progress, respond, cwd)
    if attempt.completed or out.fatal:
        return out
    if out.traced is None:
        phase = attempt.blame_phase or "starting"
        out.fatal = attempt.failure + ("" if phase == "running the script" else f" ({phase})")
        return out
    for name in out.loads:
        out.errors.setdefault(name, f"{attempt.failure} while {attempt.blame_phase}")
    return out


def run_trace(
    script: Path,
    argv: list[str],
    timeout: float,
    max_calls: int = 1000,
    cwd: Path | None = None,
) -> dict[str, Any]:
    """Run `script` with `argv` under the tracer (`trace.py`) in a worker process of its own
    session, in `cwd` (default: this process's working directory), and return the trace.

    A script that hangs past `timeout` seconds is killed with every process it started; a
    crash or a tracer failure returns `{"error": ...}` with the tail of its output. Nothing it
    started outlives the call."""
    with tempfile.TemporaryDirectory(prefix="benchaudit-trace-") as tmp:
        out = Path(tmp) / "trace.json"
        log = Path(tmp) / "script.log"
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "BENCHAUDIT_TRACE_MAX_CALLS": str(max_calls),
        }
        with log.open("wb") as log_file:
            proc = subprocess.Popen(
                [sys.executable, "-m", "auditor.verify.trace", str(out), str(script), *argv],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                cwd=cwd,
                start_new_session=True,
                env=env,
            )
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill(proc)
                return {"error": f"the traced script timed out after {timeout:g} s"}
            finally:
                _kill_leftovers(proc)
        if code != 0 or not out.is_file():
            detail = _tail(log)
            how = f"signal {-code}" if code < 0 else f"exit code {code}"
            return {
                "error": f"the traced script's process died ({how})"
                + (f": {detail}" if detail else "")
            }
        trace: dict[str, Any] = json.loads(out.read_text())
        return trace
