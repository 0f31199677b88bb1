"""Run a benchmark script under instrumentation and record what it timed (issue 13, first part).

`python -m auditor.verify.trace OUT.json SCRIPT [ARGS...]` runs SCRIPT as `__main__` (its own
arguments, its working directory unchanged) with the instrumentation installed before its first
line, and writes what it recorded to OUT.json:

- every timer read the script's own code makes (`time.time`, `perf_counter`, `monotonic` and
  their `_ns` forms, `timeit.default_timer`), with the file and line of the read;
- every `torch.cuda.synchronize()` the script's code calls;
- every model call the script's code makes directly: an `nn.Module` called, a transformers
  model's `generate()`, a diffusers or transformers pipeline called, with the object (its type,
  its name in the script, an index that stays the same for the same object), the batch size, the
  arguments that set the work (steps, lengths, output type), the grad mode and the call's start
  and end. The methods are wrapped on their classes (diffusers and transformers right after the
  script imports them): a profiler hook (`sys.setprofile`) would run on every Python call the
  model makes, and read host-bound decoding tens of percent slow; the wrappers cost one check
  per module call, and step aside inside a `torch.compile` trace;
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

import contextlib
import functools
import importlib.abc
import inspect
import io
import json
import os
import runpy
import sys
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TIMER_NAMES = ("time", "perf_counter", "monotonic", "time_ns", "perf_counter_ns", "monotonic_ns")
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
#: Calls per object whose arguments are kept (references, not copies) for re-timing.
ARGS_KEPT = 64


@dataclass(frozen=True, slots=True)
class CallArgs:
    """A call's arguments as the callee received them: positional (`*args`) and named (named
    parameters, with their defaults, and `**kwargs`)."""

    positional: tuple[Any, ...]
    named: dict[str, Any]

    def first(self) -> Any:
        if self.positional:
            return self.positional[0]
        for key in ("prompt", "input_ids", "inputs", "text_inputs"):
            if self.named.get(key) is not None:
                return self.named[key]
        return None


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
    #: kept for the worker's re-timing (`traced.py`), never written out: the objects called
    #: (by index), each one's name in the script, the tokenizers in scope at its first call,
    #: and the arguments of its calls (at most ARGS_KEPT per object, in call order)
    live: dict[int, Any] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    candidates: dict[int, list[str]] = field(default_factory=dict)
    tokenizers: dict[int, Any] = field(default_factory=dict)
    arguments: dict[int, CallArgs] = field(default_factory=dict)
    _kept: dict[int, int] = field(default_factory=dict)  # arguments kept per object
    #: called after each recorded model call (the worker's heartbeat)
    on_call: Callable[[dict[str, Any]], None] | None = None

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
            # a strong reference: the id stays this object's (and it stays alive for re-timing)
            self.live[self.objects[key]] = obj
        return self.objects[key]

    def to_dict(self) -> dict[str, Any]:
        """What was recorded, as JSON; the calls carry their objects' final names."""
        self.names.update(resolve_names(self.candidates))
        for call in self.calls:
            call["name"] = self.names[call["object"]]
        return {
            "script": self.script,
            "timer_reads": self.timer_reads,
            "syncs": self.syncs,
            "calls": self.calls,
            "regions": regions(self.timer_reads, self.calls, self.syncs, self.stopped_early),
            "printed": "".join(self.printed),
            "stopped_early": self.stopped_early,
            "max_calls": self.max_calls,
            "error": self.error,
            "exit_code": self.exit_code,
        }


def regions(
    reads: list[dict[str, Any]],
    calls: list[dict[str, Any]],
    syncs: list[dict[str, Any]] | None = None,
    stopped: bool = False,
) -> list[dict[str, Any]]:
    """Timed regions as they ran: the reads of one frame taken in pairs, an opening read and
    the next read at another line closing it, with the model calls between them and the
    synchronisations the script made inside them (`syncs`: how many). A script `stopped` by the
    budget leaves its last regions open: each with the calls after its opening read is kept,
    with no end and no seconds. (A script
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
                "syncs": sum(
                    1 for s in syncs or () if opening["clock"] <= s["clock"] <= read["clock"]
                ),
            }
        )
    if stopped:
        for opening in open_by_frame.values():
            inside = [c["index"] for c in calls if opening["clock"] <= c["start"]]
            if inside:
                out.append(
                    {
                        "start_line": opening["line"],
                        "end_line": None,
                        "timer": opening["timer"],
                        "seconds": None,
                        "calls": inside,
                        "syncs": sum(1 for s in syncs or () if opening["clock"] <= s["clock"]),
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


def _batch(call: CallArgs) -> int | None:
    first = call.first()
    if isinstance(first, list | tuple):
        return len(first)
    if isinstance(first, str):
        return 1
    shape = getattr(first, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    return None


def _work(call: CallArgs) -> dict[str, Any]:
    named = call.named
    return {
        k: named[k]
        for k in WORK_KWARGS
        if isinstance(named.get(k), int | float | str) and not isinstance(named.get(k), bool)
    }


def _is_tokenizer(value: object) -> bool:
    cls = type(value)
    return (cls.__module__ or "").startswith("transformers") and "Tokenizer" in cls.__name__


def _candidates(obj: object, caller: Any, script: str) -> list[str]:
    """The names the script's code gives `obj`, best first: names bound to it in the calling
    frame and the script frames above it (a function's parameters last, so `run(base, ...)`
    offers `base` before `run`'s `pipe`), then the string keys of dicts in those scopes that
    hold it (`pipelines["fast"]`)."""
    own: list[str] = []
    params: list[str] = []
    keys: list[str] = []
    frame = caller
    for _ in range(8):
        if frame is None or frame.f_code.co_filename != script:
            break
        code = frame.f_code
        formal = set(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
        for name, value in list(frame.f_locals.items()):
            if value is obj and not name.startswith(("_", ".")) and name.isidentifier():
                (params if name in formal else own).append(name)
            elif isinstance(value, dict) and len(value) <= 64:
                keys += [k for k, v in value.items() if v is obj and isinstance(k, str)]
        frame = frame.f_back
    out: list[str] = []
    for name in own + keys + params:
        if name not in out:
            out.append(name)
    return out


def resolve_names(candidates: dict[int, list[str]]) -> dict[int, str]:
    """Each object's name: its best candidate that no other object also goes by (a loop
    variable bound to every arm in turn is nobody's name), else its best candidate."""
    out: dict[int, str] = {}
    for index, names in candidates.items():
        others = {n for i, ns in candidates.items() if i != index for n in ns}
        unique = [n for n in names if n not in others]
        out[index] = (unique or names or [f"model{index + 1}"])[0]
    return out


def _tokenizer_in_scope(caller: Any, script: str) -> Any:
    frame = caller
    while frame is not None and frame.f_code.co_filename == script:
        for scope in (frame.f_locals, frame.f_globals):
            for value in scope.values():
                if _is_tokenizer(value):
                    return value
        frame = frame.f_back
    return None


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

    def record(obj: Any, method: str, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]):
        """The call's record, or None when it is not the script's own call of a model."""
        caller = sys._getframe(2)
        if caller.f_code.co_filename != trace.script or not _is_model(obj):
            return None
        bound = bind(fn, obj, args, kwargs)
        new = id(obj) not in trace.objects
        index = trace.object_index(obj)
        if new:
            trace.candidates[index] = _candidates(obj, caller, trace.script)
            trace.names.update(resolve_names(trace.candidates))
            if method == "generate":
                trace.tokenizers[index] = _tokenizer_in_scope(caller, trace.script)
        number = len(trace.calls)
        entry: dict[str, Any] = {
            "index": number,
            "object": index,
            "name": trace.names[index],
            "type": _describe(obj),
            "method": method,
            "file": caller.f_code.co_filename,
            "line": caller.f_lineno,
            "batch": _batch(bound),
            "work": _work(bound),
            "grad": bool(torch.is_grad_enabled()) if torch is not None else None,
            "inference_mode": bool(torch.is_inference_mode_enabled()) if torch else None,
            "start": clock(),
            "end": None,
        }
        if trace._kept.get(index, 0) < ARGS_KEPT:
            trace._kept[index] = trace._kept.get(index, 0) + 1
            trace.arguments[number] = bound
        trace.calls.append(entry)
        if trace.on_call is not None:
            trace.on_call(entry)
        if len(trace.calls) > trace.max_calls:
            trace.stopped_early = True
            raise TraceBudgetExhausted
        return entry

    def wrap(fn: Any, method: str) -> Any:
        if getattr(fn, "__benchaudit_traced__", False):
            return fn

        @functools.wraps(fn)
        def traced(self: Any, *args: Any, **kwargs: Any) -> Any:
            if compiling():  # inside a torch.compile trace: never seen, never a graph break
                return fn(self, *args, **kwargs)
            entry = record(self, method, fn, args, kwargs)
            if entry is None:
                return fn(self, *args, **kwargs)
            try:
                return fn(self, *args, **kwargs)
            finally:
                entry["end"] = clock()

        traced.__benchaudit_traced__ = True  # type: ignore[attr-defined]
        return traced

    compiling: Callable[[], bool] = _never
    if torch is not None:
        compiling = getattr(getattr(torch, "compiler", None), "is_compiling", None) or _never
        patch(torch.nn.Module, "__call__", lambda fn: wrap(fn, "__call__"))

    def patch_generate(module: Any) -> None:
        mixin = getattr(module, "GenerationMixin", None)
        if mixin is not None and "generate" in mixin.__dict__:
            patch(mixin, "generate", lambda fn: wrap(fn, "generate"))

    def patch_text_pipelines(module: Any) -> None:
        base = getattr(module, "Pipeline", None)
        if base is not None and "__call__" in base.__dict__:
            patch(base, "__call__", lambda fn: wrap(fn, "__call__"))

    def patch_diffusers(module: Any) -> None:
        """Every pipeline class's own `__call__`: those defined already, and (through
        `__init_subclass__`) those diffusers defines later, as it imports them lazily."""
        base = getattr(module, "DiffusionPipeline", None)
        if base is None:
            return

        def wrap_class(cls: type) -> None:
            if "__call__" in cls.__dict__:
                patch(cls, "__call__", lambda fn: wrap(fn, "__call__"))

        def every(cls: type) -> list[type]:
            out: list[type] = []
            subs: list[type] = cls.__subclasses__()
            for sub in subs:
                out += [sub, *every(sub)]
            return out

        for cls in every(base):
            wrap_class(cls)
        previous = base.__dict__.get("__init_subclass__")

        def init_subclass(cls: type, **kw: Any) -> None:
            super(base, cls).__init_subclass__(**kw)
            wrap_class(cls)

        originals.append((base, "__init_subclass__", previous))
        base.__init_subclass__ = classmethod(init_subclass)

    def patch_compiled(module: Any) -> None:
        """`torch.compile`'s module wrapper has its own `__call__`."""
        optimized = getattr(module, "OptimizedModule", None)
        if optimized is not None and "__call__" in optimized.__dict__:
            patch(optimized, "__call__", lambda fn: wrap(fn, "__call__"))

    hooks: dict[str, Callable[[Any], None]] = {
        "torch._dynamo.eval_frame": patch_compiled,
        "transformers.generation.utils": patch_generate,
        "transformers.pipelines.base": patch_text_pipelines,
        "diffusers.pipelines.pipeline_utils": patch_diffusers,
    }
    finder = _AfterImport(hooks)
    for name, hook in hooks.items():
        if name in sys.modules:
            hook(sys.modules[name])
    sys.meta_path.insert(0, finder)

    def undo() -> None:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(finder)
        for owner, name, original in reversed(originals):
            if original is None:
                with contextlib.suppress(AttributeError):
                    delattr(owner, name)
            else:
                setattr(owner, name, original)

    return undo


def _never() -> bool:
    return False


def bind(fn: Any, obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> CallArgs:
    """The call's arguments as the method receives them: named parameters with their defaults,
    `*args` as positional, `**kwargs` merged into named."""
    try:
        sig = inspect.signature(fn)
        bound = sig.bind(obj, *args, **kwargs)
        bound.apply_defaults()
    except (TypeError, ValueError):
        return CallArgs(tuple(args), dict(kwargs))
    positional: tuple[Any, ...] = ()
    named: dict[str, Any] = {}
    for i, (key, value) in enumerate(bound.arguments.items()):
        if i == 0:
            continue  # self
        kind = sig.parameters[key].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            positional = tuple(value)
        elif kind is inspect.Parameter.VAR_KEYWORD:
            named.update(value)
        else:
            named[key] = value
    return CallArgs(positional, named)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs a hook on a module right after it is first imported (the script imports diffusers
    and transformers after the instrumentation is installed)."""

    def __init__(self, hooks: dict[str, Callable[[Any], None]]) -> None:
        self.hooks = hooks

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        hook = self.hooks.get(name)
        if hook is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                loader = spec.loader
                original = loader.exec_module

                def exec_module(module: Any, _original: Any = original) -> None:
                    _original(module)
                    hook(module)

                with contextlib.suppress(AttributeError, TypeError):
                    loader.exec_module = exec_module  # type: ignore[method-assign]
                return spec
        return None


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


def run(
    script: Path,
    argv: list[str],
    max_calls: int,
    on_call: Callable[[dict[str, Any]], None] | None = None,
) -> Trace:
    """Run `script` as `__main__` with `argv`, traced; `on_call` is told of each model call."""
    path = str(script.resolve())
    trace = Trace(script=path, max_calls=max_calls, on_call=on_call)
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
