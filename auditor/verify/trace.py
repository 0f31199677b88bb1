"""Run a benchmark script under instrumentation and record what it timed (issue 13, first part).

`python -m auditor.verify.trace OUT.json SCRIPT [ARGS...]` runs SCRIPT as `__main__` (its own
arguments, its working directory unchanged) with the instrumentation installed before its first
line, and writes what it recorded to OUT.json:

- every timer read the script's own code makes (`time.time`, `perf_counter`, `monotonic` and
  their `_ns` forms, `timeit.default_timer`), with the file and line of the read;
- every `torch.cuda.synchronize()` the script's code calls;
- every model call the script's code makes directly: a call of an object's `__call__`,
  `generate` or `forward` (an `nn.Module`, a diffusers pipeline, a transformers model or
  pipeline), with the object (its type and an id that stays the same for the same object), the
  batch size when the first argument is a list of prompts, the keyword arguments that set the
  work (steps, lengths, output type) and the call's start and end;
- timed regions as they ran: two successive timer reads of one function frame at different
  lines, with the model calls made between them;
- what the script printed (capped).

Only code in the script's own file counts: the libraries' internal timer reads and calls are not
recorded. Nothing here is imported by the `benchaudit` process: the supervisor runs this module in
a subprocess (see `runner.run_trace`).

Budget: after `max_calls` model calls the script is stopped (a `TraceBudgetExhausted`, a
BaseException the script's `except Exception` does not catch) and what was recorded so far is
written, with `stopped_early` set.
"""

from __future__ import annotations

import io
import json
import os
import runpy
import sys
import threading
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TIMER_NAMES = ("time", "perf_counter", "monotonic", "time_ns", "perf_counter_ns", "monotonic_ns")
#: Methods whose call from the script is a model call, when their object is a model.
MODEL_METHODS = frozenset({"__call__", "generate", "forward", "_wrapped_call_impl", "_call_impl"})
#: Library frames between the script's call and the model method (`@torch.no_grad()` on
#: `generate` or a pipeline's `__call__`, `functools.wraps` wrappers).
WRAPPERS = frozenset({"decorate_context", "wrapper", "inner", "_fn", "wrapped", "wrapped_func"})
#: Keyword arguments of a model call that set how much work it does.
WORK_KWARGS = (
    "num_inference_steps",
    "max_new_tokens",
    "min_new_tokens",
    "output_type",
    "height",
    "width",
    "guidance_scale",
)
PRINT_CAP = 20_000


class TraceBudgetExhausted(BaseException):
    """Raised into the script when the call budget is spent."""


@dataclass
class Trace:
    script: str
    max_calls: int
    timer_reads: list[dict[str, Any]] = field(default_factory=list)
    syncs: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)
    objects: dict[int, int] = field(default_factory=dict)  # id(obj) -> stable index
    stopped_early: bool = False
    error: str | None = None
    exit_code: int | None = None
    _printed_chars: int = 0

    def where(self, depth: int) -> tuple[str, int, int] | None:
        """(file, line, frame id) of the script's frame `depth` levels up, if it is the
        script's own code."""
        frame = sys._getframe(depth + 1)
        if frame.f_code.co_filename != self.script:
            return None
        return frame.f_code.co_filename, frame.f_lineno, id(frame)

    def object_index(self, obj: object) -> int:
        key = id(obj)
        if key not in self.objects:
            self.objects[key] = len(self.objects)
        return self.objects[key]

    def to_dict(self) -> dict[str, Any]:
        return {
            "script": self.script,
            "timer_reads": self.timer_reads,
            "syncs": self.syncs,
            "calls": self.calls,
            "regions": regions(self.timer_reads, self.calls),
            "printed": "".join(self.printed),
            "stopped_early": self.stopped_early,
            "max_calls": self.max_calls,
            "error": self.error,
            "exit_code": self.exit_code,
        }


def regions(reads: list[dict[str, Any]], calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Timed regions as they ran: the reads of one frame taken in pairs, an opening read and
    the next read at another line closing it, with the model calls between them. (A script
    that reads one start and several laps against it pairs the laps wrongly: not handled yet.)"""
    open_by_frame: dict[int, dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for read in reads:
        opening = open_by_frame.get(read["frame"])
        if opening is None or opening["line"] == read["line"]:
            open_by_frame[read["frame"]] = read
            continue
        del open_by_frame[read["frame"]]
        inside = [
            c["index"]
            for c in calls
            if opening["clock"] <= c["start"] and c["end"] <= read["clock"]
        ]
        out.append(
            {
                "start_line": opening["line"],
                "end_line": read["line"],
                "timer": read["timer"],
                "seconds": read["value_s"] - opening["value_s"],
                "calls": inside,
            }
        )
    return out


def _describe(obj: object) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_model(obj: object) -> bool:
    """An `nn.Module`, or a diffusers or transformers pipeline: not a tokenizer, processor or
    scheduler."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(obj, torch.nn.Module):
        return True
    cls = type(obj)
    module = cls.__module__ or ""
    return module.startswith(("diffusers", "transformers")) and cls.__name__.endswith("Pipeline")


def _batch(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    first = args[0] if args else kwargs.get("prompt", kwargs.get("input_ids"))
    if isinstance(first, list | tuple):
        return len(first)
    if isinstance(first, str):
        return 1
    shape = getattr(first, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    return None


def _work(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: kwargs[k] for k in WORK_KWARGS if isinstance(kwargs.get(k), int | float | str)}


def install(trace: Trace) -> Callable[[], None]:
    """Patch the timers and `torch.cuda.synchronize`, and profile calls from the script's code;
    returns the function that undoes it all."""
    clock = time.perf_counter  # the tracer's own clock, never patched
    originals: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = getattr(owner, name)
        originals.append((owner, name, original))
        setattr(owner, name, make(original))

    def timer(label: str, scale: float) -> Callable[[Any], Any]:
        def make(original: Any) -> Any:
            def read() -> Any:
                value = original()
                here = trace.where(1)
                if here is not None:
                    trace.timer_reads.append(
                        {
                            "timer": label,
                            "file": here[0],
                            "line": here[1],
                            "frame": here[2],
                            "value_s": value * scale,
                            "clock": clock(),
                        }
                    )
                return value

            return read

        return make

    for name in TIMER_NAMES:
        scale = 1e-9 if name.endswith("_ns") else 1.0
        patch(time, name, timer(f"time.{name}", scale))
    patch(timeit, "default_timer", timer("timeit.default_timer", 1.0))

    torch = sys.modules.get("torch")
    if torch is None:
        try:
            import torch
        except ImportError:
            torch = None
    if torch is not None:

        def make_sync(original: Any) -> Any:
            def synchronize(*args: Any, **kwargs: Any) -> Any:
                here = trace.where(1)
                if here is not None:
                    trace.syncs.append({"file": here[0], "line": here[1], "clock": clock()})
                return original(*args, **kwargs)

            return synchronize

        patch(torch.cuda, "synchronize", make_sync)

    open_calls: dict[int, dict[str, Any]] = {}

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event not in ("call", "return"):
            return
        code = frame.f_code
        if code.co_name not in MODEL_METHODS:
            return
        if event == "return":
            record = open_calls.pop(id(frame), None)
            if record is not None:
                record["end"] = clock()
            return
        caller = frame.f_back
        hops = 0
        while (
            caller is not None
            and caller.f_code.co_filename != trace.script
            and caller.f_code.co_name in WRAPPERS
            and hops < 4
        ):
            caller, hops = caller.f_back, hops + 1
        if caller is None or caller.f_code.co_filename != trace.script:
            return
        obj = frame.f_locals.get("self")
        if obj is None or not _is_model(obj):
            return
        args = frame.f_locals.get("args", ())
        kwargs = frame.f_locals.get("kwargs", {})
        if not isinstance(args, tuple):
            args = ()
        if not isinstance(kwargs, dict):
            kwargs = {}
        record = {
            "index": len(trace.calls),
            "object": trace.object_index(obj),
            "type": _describe(obj),
            "method": "generate" if code.co_name == "generate" else "__call__",
            "file": caller.f_code.co_filename,
            "line": caller.f_lineno,
            "batch": _batch(args, kwargs),
            "work": _work(kwargs),
            "start": clock(),
            "end": None,
        }
        trace.calls.append(record)
        open_calls[id(frame)] = record
        if len(trace.calls) > trace.max_calls:
            trace.stopped_early = True
            raise TraceBudgetExhausted

    sys.setprofile(profile)
    threading.setprofile(profile)

    def undo() -> None:
        sys.setprofile(None)
        threading.setprofile(None)
        for owner, name, original in reversed(originals):
            setattr(owner, name, original)

    return undo


class _Tee(io.TextIOBase):
    """Standard output that keeps what the script prints (capped) and passes it on."""

    def __init__(self, trace: Trace, stream: Any) -> None:
        self.trace = trace
        self.stream = stream

    def write(self, text: str) -> int:
        left = PRINT_CAP - self.trace._printed_chars
        if left > 0:
            kept = text[:left]
            self.trace.printed.append(kept)
            self.trace._printed_chars += len(kept)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


def run(script: Path, argv: list[str], max_calls: int) -> Trace:
    path = str(script.resolve())
    trace = Trace(script=path, max_calls=max_calls)
    saved_argv, saved_path, saved_stdout = sys.argv, list(sys.path), sys.stdout
    sys.argv = [path, *argv]
    sys.path.insert(0, str(Path(path).parent))
    sys.stdout = _Tee(trace, saved_stdout)
    undo = install(trace)
    try:
        runpy.run_path(path, run_name="__main__")
        trace.exit_code = 0
    except TraceBudgetExhausted:
        trace.exit_code = None
    except SystemExit as exc:
        code = exc.code
        trace.exit_code = code if isinstance(code, int) else (0 if code is None else 1)
    except BaseException as exc:  # the script's own failure is what the trace reports
        if isinstance(exc, KeyboardInterrupt):
            raise
        trace.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
    finally:
        undo()
        sys.argv, sys.path, sys.stdout = saved_argv, saved_path, saved_stdout
    return trace


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out, script, rest = Path(args[0]), Path(args[1]), args[2:]
    max_calls = int(os.environ.get("BENCHAUDIT_TRACE_MAX_CALLS", "1000"))
    trace = run(script, rest, max_calls)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(trace.to_dict()))
    tmp.replace(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
