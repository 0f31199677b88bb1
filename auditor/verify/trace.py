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
- timed regions as they ran (see `regions`): the reads the script subtracted (each read is
  handed back as a float that remembers which read it was, so `t1 - t0` names its pair: laps
  against one start and chained stamps pair exactly), other reads of one frame in pairs, and
  library timers (`timeit.Timer.timeit`, under `timeit.timeit`, `repeat`, `autorange` and
  every `torch.utils.benchmark` measurement, whose statement strings call the model from
  compiled code named from the globals the script handed it), and CUDA events: the script's
  `start.elapsed_time(end)` is a region from `start`'s record to `end`'s;
- what the script printed (capped).

Only the script's own code counts (the script, modules of its project: `Trace.own`; and
statements a library timer compiled for it): the libraries' internal timer reads and calls are
not recorded. Nothing here is imported by the
`benchaudit` process: the worker runs it (`worker.run_script_job`), or `runner.run_trace` runs
this module in a subprocess of its own.

Budget: after `max_calls` model calls, or at the first model call after `max_seconds` of the
script's run, the script is stopped (a `TraceBudgetExhausted`, a
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

from auditor.project import parts_ok

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
#: benchaudit's own package: never the script's code, even in a script under its folder
_OWN_PACKAGE = str(Path(__file__).resolve().parents[1]) + os.sep
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


class _Read:
    """A timer read handed to the script: a number that remembers which read it was, so that
    `t1 - t0` tells the tracer which two reads the script paired (laps against one start,
    chained stamps); whatever is computed from it is a plain number."""

    read: int
    pairs: list[tuple[int, int]]
    plain: Callable[[Any], Any]  # the number type it stands for

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, _Read):
            self.pairs.append((other.read, self.read))
        return self.plain(self) - other if isinstance(other, int | float) else NotImplemented

    def __rsub__(self, other: Any) -> Any:
        return other - self.plain(self) if isinstance(other, int | float) else NotImplemented


class _Stamp(_Read, float):
    plain = float


class _StampNs(_Read, int):  # the `_ns` timers' reads
    plain = int


def _stamp(value: Any, read: int, pairs: list[tuple[int, int]]) -> Any:
    stamp: _Stamp | _StampNs
    if isinstance(value, float):
        stamp = _Stamp(value)
    elif isinstance(value, int):
        stamp = _StampNs(value)
    else:
        return value
    stamp.read, stamp.pairs = read, pairs
    return stamp


class TraceBudgetExhausted(BaseException):
    """Raised into the script when the call budget is spent."""


@dataclass
class Trace:
    script: str
    max_calls: int
    max_seconds: float | None = None
    started: float = 0.0  # the tracer's clock when the script started
    stopped_by: str | None = None  # "calls" or "time"
    timer_reads: list[dict[str, Any]] = field(default_factory=list)
    syncs: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    #: (opening read, closing read): the reads the script subtracted (`t1 - t0`)
    pairs: list[tuple[int, int]] = field(default_factory=list)
    #: regions a library timer measured (`timeit`, and `torch.utils.benchmark`, which runs
    #: on `timeit`): each with its clock window, the script's line and the seconds it returned
    library: list[dict[str, Any]] = field(default_factory=list)
    library_depth: int = 0
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
    _own: dict[str, bool] = field(default_factory=dict)  # Trace.own, by file
    #: called after each recorded model call (the worker's heartbeat)
    on_call: Callable[[dict[str, Any]], None] | None = None

    def own(self, filename: str) -> bool:
        """Whether code in `filename` is the script's own: the script, or a module of its
        project (under the script's folder, outside installed packages and benchaudit), so
        a helper module's timer class or model call counts as the script's."""
        known = self._own.get(filename)
        if known is None:
            if filename == self.script:
                known = True
            else:
                root = str(Path(self.script).parent) + os.sep
                path = os.path.abspath(filename) if not filename.startswith("<") else ""
                known = (
                    path.startswith(root)
                    and parts_ok(Path(path))
                    and not path.startswith(_OWN_PACKAGE)
                )
            self._own[filename] = known
        return known

    def where(self, depth: int) -> tuple[str, int, int] | None:
        """(file, line, frame id) of the frame `depth` levels up, if it is the script's own
        code."""
        frame = sys._getframe(depth + 1)
        if not self.own(frame.f_code.co_filename):
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
            "regions": regions(
                self.timer_reads,
                self.calls,
                self.syncs,
                self.stopped_early,
                self.pairs,
                self.library,
            ),
            "printed": "".join(self.printed),
            "stopped_early": self.stopped_early,
            "max_calls": self.max_calls,
            "max_seconds": self.max_seconds,
            "stopped_by": self.stopped_by,
            "error": self.error,
            "exit_code": self.exit_code,
        }


def regions(
    reads: list[dict[str, Any]],
    calls: list[dict[str, Any]],
    syncs: list[dict[str, Any]] | None = None,
    stopped: bool = False,
    pairs: list[tuple[int, int]] | None = None,
    library: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Timed regions as they ran, in the order they opened, each with the model calls inside
    it and the synchronisations the script made inside it (`syncs`: how many):

    - the reads the script subtracted (`pairs`): laps against one start and chained stamps
      pair exactly as the script paired them;
    - the other reads of one frame, in pairs: an opening read and the next read at another
      line closing it (`np.diff` over a list of stamps, say);
    - the windows of library timers (`library`).

    A script `stopped` by the budget leaves its last frame-paired regions open: each with the
    calls after its opening read is kept, with no end and no seconds."""
    out: list[dict[str, Any]] = []

    def region(start: dict[str, Any], end: dict[str, Any] | None, timer: str, seconds: Any):
        low = start["clock"]
        high = end["clock"] if end is not None else float("inf")
        out.append(
            {
                "start_line": start["line"],
                "end_line": end["line"] if end is not None else None,
                "timer": timer,
                "seconds": seconds,
                "calls": [
                    c["index"]
                    for c in calls
                    if low <= c["start"] and (c["end"] if c["end"] is not None else high) <= high
                ],
                "syncs": sum(1 for s in syncs or () if low <= s["clock"] <= high),
                "_clock": low,
            }
        )

    paired: set[int] = set()
    for a, b in dict.fromkeys(pairs or ()):
        if 0 <= a < b < len(reads):
            paired.update((a, b))
            region(reads[a], reads[b], reads[b]["timer"], reads[b]["value_s"] - reads[a]["value_s"])
    open_by_frame: dict[int, dict[str, Any]] = {}
    for n, read in enumerate(reads):
        if n in paired:
            continue
        opening = open_by_frame.get(read["frame"])
        if opening is None or opening["line"] == read["line"]:
            open_by_frame[read["frame"]] = read
            continue
        del open_by_frame[read["frame"]]
        region(opening, read, read["timer"], read["value_s"] - opening["value_s"])
    if stopped:
        for opening in open_by_frame.values():
            if any(opening["clock"] <= c["start"] for c in calls):
                region(opening, None, opening["timer"], None)
    for lib in library or ():
        end = (
            {"clock": lib["end"], "line": lib.get("end_line", lib["line"])}
            if lib["end"] is not None
            else None
        )
        region({"clock": lib["start"], "line": lib["line"]}, end, lib["timer"], lib["seconds"])
    out.sort(key=lambda r: r["_clock"])
    for r in out:
        del r["_clock"]
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


def _candidates(obj: object, caller: Any, is_own: Callable[[str], bool]) -> list[str]:
    """The names the script's code gives `obj`, best first: names bound to it in the calling
    frame and the script frames above it (a function's parameters last, so `run(base, ...)`
    offers `base` before `run`'s `pipe`), then the string keys of dicts in those scopes that
    hold it (`pipelines["fast"]`)."""
    own: list[str] = []
    params: list[str] = []
    keys: list[str] = []
    frame = caller
    for _ in range(16):
        if frame is None:
            break
        code = frame.f_code
        if not is_own(code.co_filename):
            # code a library timer compiled from the script's string (`timeit`,
            # `torch.utils.benchmark`): its names are the globals the script handed it
            if code.co_filename.startswith("<"):
                own += [n for n, v in frame.f_globals.items() if v is obj and n.isidentifier()]
            frame = frame.f_back
            continue
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


def _script_frame(frame: Any, own: Callable[[str], bool]) -> Any:
    """The nearest frame of the script's own code, from `frame` up (None if none)."""
    while frame is not None:
        if own(frame.f_code.co_filename):
            return frame
        frame = frame.f_back
    return None


def _tokenizer_in_scope(caller: Any, own: Callable[[str], bool]) -> Any:
    frame = caller
    while frame is not None and own(frame.f_code.co_filename):
        for scope in (frame.f_locals, frame.f_globals):
            for value in scope.values():
                if _is_tokenizer(value):
                    return value
        frame = frame.f_back
    return None


def install(trace: Trace) -> Callable[[], None]:
    """Patch the timers, the synchronisations, CUDA events, `timeit` and the model classes'
    call methods; returns the function that undoes it all."""
    clock = time.perf_counter  # the tracer's own clock, never patched
    originals: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = getattr(owner, name)
        inherited = isinstance(owner, type) and name not in owner.__dict__
        originals.append((owner, name, None if inherited else original))
        setattr(owner, name, make(original))

    def timer(label: str, scale: float) -> Callable[[Any], Any]:
        def make(original: Any) -> Any:
            def read() -> Any:
                value = original()
                here = trace.where(1)
                if here is None:
                    return value
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
                return _stamp(value, len(trace.timer_reads) - 1, trace.pairs)

            return read

        return make

    for name in TIMER_NAMES:
        scale = 1e-9 if name.endswith("_ns") else 1.0
        patch(time, name, timer(f"time.{name}", scale))
    patch(timeit, "default_timer", timer("timeit.default_timer", 1.0))

    recorded: dict[int, tuple[float, int]] = {}  # id(event) -> (clock, line) of its last record

    def event_record(original: Any) -> Any:
        """CUDA events the script records: when (on the host clock) and where."""

        @functools.wraps(original)
        def record(self: Any, *args: Any, **kwargs: Any) -> Any:
            here = trace.where(1)
            if here is not None:
                recorded[id(self)] = (clock(), here[1])
            return original(self, *args, **kwargs)

        return record

    def event_elapsed(original: Any) -> Any:
        """`start.elapsed_time(end)` read by the script: a region from `start`'s record to
        `end`'s, with the seconds the events measured."""

        @functools.wraps(original)
        def elapsed(self: Any, end_event: Any) -> Any:
            value = original(self, end_event)
            here = trace.where(1)
            first, last = recorded.get(id(self)), recorded.get(id(end_event))
            if here is not None and first is not None and last is not None:
                trace.library.append(
                    {
                        "timer": "torch.cuda.Event",
                        "line": first[1],
                        "end_line": last[1],
                        "start": first[0],
                        "end": last[0],
                        "seconds": float(value) / 1000.0,
                    }
                )
            return value

        return elapsed

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

        def implicit_sync(name: str) -> Callable[[Any], Any]:
            """A CUDA tensor's `.item()`, `.cpu()`, `.tolist()` or `.numpy()` in the script's
            code: the host waits for the device there too."""

            def make(original: Any) -> Any:
                @functools.wraps(original)
                def read(self: Any, *args: Any, **kwargs: Any) -> Any:
                    if not compiling() and getattr(self, "is_cuda", False):
                        here = trace.where(1)
                        if here is not None:
                            trace.syncs.append(
                                {"file": here[0], "line": here[1], "clock": clock(), "how": name}
                            )
                    return original(self, *args, **kwargs)

                return read

            return make

        for method in ("item", "cpu", "tolist", "numpy"):
            if callable(getattr(torch.Tensor, method, None)):
                patch(torch.Tensor, method, implicit_sync(method))
        event_cls = getattr(torch.cuda, "Event", None)
        if event_cls is not None and "record" in event_cls.__dict__:
            patch(event_cls, "record", event_record)
            patch(event_cls, "elapsed_time", event_elapsed)

    def record(obj: Any, method: str, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]):
        """The call's record, or None when it is not the script's own call of a model."""
        caller = sys._getframe(2)
        file = caller.f_code.co_filename
        from_string = bool(trace.library_depth) and file.startswith("<")
        if not (from_string or trace.own(file)) or not _is_model(obj):
            return None
        site = _script_frame(caller, trace.own) if from_string else caller
        bound = bind(fn, obj, args, kwargs)
        new = id(obj) not in trace.objects
        index = trace.object_index(obj)
        if new:
            trace.candidates[index] = _candidates(obj, caller, trace.own)
            trace.names.update(resolve_names(trace.candidates))
            if method == "generate":
                trace.tokenizers[index] = _tokenizer_in_scope(caller, trace.own)
        number = len(trace.calls)
        entry: dict[str, Any] = {
            "index": number,
            "object": index,
            "name": trace.names[index],
            "type": _describe(obj),
            "method": method,
            "file": site.f_code.co_filename if site is not None else trace.script,
            "line": site.f_lineno if site is not None else None,
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
        over_time = trace.max_seconds is not None and clock() - trace.started > trace.max_seconds
        if len(trace.calls) > trace.max_calls or over_time:
            trace.stopped_early = True
            trace.stopped_by = "time" if over_time else "calls"
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

    def patch_own(cls: Any, method: str) -> None:
        """Wrap `cls`'s own `method` (not one it inherits)."""
        if cls is not None and method in cls.__dict__:
            patch(cls, method, lambda fn: wrap(fn, method))

    def patch_diffusers(module: Any) -> None:
        """Every pipeline class's own `__call__`: those defined already, and (through
        `__init_subclass__`) those diffusers defines later, as it imports them lazily."""
        base = getattr(module, "DiffusionPipeline", None)
        if base is None:
            return

        def every(cls: type) -> list[type]:
            out: list[type] = []
            subs: list[type] = cls.__subclasses__()
            for sub in subs:
                out += [sub, *every(sub)]
            return out

        for cls in every(base):
            patch_own(cls, "__call__")
        previous = base.__dict__.get("__init_subclass__")

        def init_subclass(cls: type, **kw: Any) -> None:
            super(base, cls).__init_subclass__(**kw)
            patch_own(cls, "__call__")

        originals.append((base, "__init_subclass__", previous))
        base.__init_subclass__ = classmethod(init_subclass)

    def library_timer(original: Any) -> Any:
        """`timeit.Timer.timeit` (under `timeit.timeit`, `repeat`, `autorange` and every
        `torch.utils.benchmark` measurement): a region from the script's line, whose seconds
        are what it returned."""

        @functools.wraps(original)
        def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
            frame = sys._getframe(1)
            site = _script_frame(frame, trace.own)
            if site is None:
                return original(self, *args, **kwargs)
            line = site.f_lineno
            label = "timeit"
            probe: Any = frame
            while probe is not None and probe is not site:
                if "torch/utils/benchmark" in probe.f_code.co_filename.replace("\\", "/"):
                    label = "torch.utils.benchmark"
                    break
                probe = probe.f_back
            entry: dict[str, Any] = {
                "timer": label,
                "line": line,
                "start": clock(),
                "end": None,
                "seconds": None,
            }
            trace.library.append(entry)
            trace.library_depth += 1
            try:
                value = original(self, *args, **kwargs)
                if isinstance(value, int | float):
                    entry["seconds"] = float(value)
                return value
            finally:
                entry["end"] = clock()
                trace.library_depth -= 1

        return timed

    patch(timeit.Timer, "timeit", library_timer)

    def own_method(class_name: str, method: str) -> Callable[[Any], None]:
        return lambda module: patch_own(getattr(module, class_name, None), method)

    hooks: dict[str, Callable[[Any], None]] = {
        # `torch.compile`'s module wrapper has its own `__call__`
        "torch._dynamo.eval_frame": own_method("OptimizedModule", "__call__"),
        "transformers.generation.utils": own_method("GenerationMixin", "generate"),
        "transformers.pipelines.base": own_method("Pipeline", "__call__"),
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
    max_seconds: float | None = None,
) -> Trace:
    """Run `script` as `__main__` with `argv`, traced; `on_call` is told of each model call."""
    path = str(script.resolve())
    trace = Trace(
        script=path,
        max_calls=max_calls,
        on_call=on_call,
        max_seconds=max_seconds,
        started=time.perf_counter(),
    )
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
