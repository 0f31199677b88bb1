"""What else a timed region does besides the work it means to time.

Calls inside a region that times device or model work are sorted into the kinds the workload
rules report: host I/O and result formatting (saving images, writing files, decoding tokens,
printing results, exporting profiler traces), one-time setup (loading or moving a model,
compiling it, the first call of a freshly compiled model, switching on CPU offload), and cache
clearing (`torch.cuda.empty_cache()`, `gc.collect()`, peak-memory resets). Names resolve through
imports and aliases; method calls are matched on the method's name and what it is called on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.facts import CallSite, FileFacts, Pos, Scope
from auditor.analyses.harness import harnesses, timed_functions
from auditor.analyses.regions import (
    Region,
    RegionKind,
    declares_handling,
    declares_setup,
    find_regions,
)

IO_FUNCTIONS: dict[str, str] = {
    "json.dump": "writes JSON to a file",
    "pickle.dump": "pickles to a file",
    "numpy.save": "writes an array to disk",
    "numpy.savez": "writes arrays to disk",
    "numpy.savez_compressed": "writes arrays to disk",
    "numpy.savetxt": "writes an array to disk",
    "torch.save": "writes tensors to disk",
    "safetensors.torch.save_file": "writes tensors to disk",
    "safetensors.numpy.save_file": "writes arrays to disk",
    "diffusers.utils.export_to_video": "writes a video to disk",
    "PIL.Image.fromarray": "converts an array to a PIL image",
    "torchvision.utils.save_image": "writes an image to disk",
    "cv2.imwrite": "writes an image to disk",
    "imageio.imwrite": "writes an image to disk",
    "imageio.mimsave": "writes a video to disk",
    "soundfile.write": "writes audio to disk",
    "scipy.io.wavfile.write": "writes audio to disk",
    "diffusers.utils.export_to_gif": "writes a GIF to disk",
    "diffusers.utils.make_image_grid": "assembles an image grid",
}
#: Reading inputs: a timed inference that loads or parses its input each time measures the
#: disk and the parser too.
INPUT_FUNCTIONS: dict[str, str] = {
    "json.load": "reads and parses a JSON file",
    "PIL.Image.open": "reads an image from disk",
    "cv2.imread": "reads an image from disk",
    "imageio.imread": "reads an image from disk",
    "imageio.v3.imread": "reads an image from disk",
    "torchvision.io.read_image": "reads an image from disk",
    "diffusers.utils.load_image": "loads an input image",
    "diffusers.utils.load_video": "loads an input video",
    "datasets.load_dataset": "loads a dataset",
    "soundfile.read": "reads audio from disk",
    "librosa.load": "reads audio from disk",
    "pandas.read_csv": "reads a table from disk",
    "requests.get": "downloads an input",
    "urllib.request.urlopen": "downloads an input",
}
IO_METHODS: dict[str, str] = {
    "save": "saves to disk",
    "save_pretrained": "saves to disk",
    "numpy_to_pil": "converts arrays to PIL images",
    "pt_to_pil": "converts tensors to PIL images",
    "export_chrome_trace": "exports a profiler trace",
    "export_stacks": "exports profiler stacks",
    "export_memory_timeline": "exports a memory timeline",
    "to_csv": "writes a table to disk",
    "imwrite": "writes an image to disk",
}
#: Objects that encode media to a file as frames are handed to them: their `write` (OpenCV) or
#: `append_data` (imageio) call encodes and writes.
MEDIA_WRITERS = frozenset(
    {"cv2.VideoWriter", "imageio.get_writer", "imageio.v2.get_writer", "imageio.v3.imopen"}
)
DECODE_METHODS = frozenset({"decode", "batch_decode"})
WRITE_MODES = ("w", "a", "x")

CACHE_CLEARING: dict[str, str] = {
    "torch.cuda.empty_cache": "releases the allocator's cached blocks",
    "gc.collect": "runs a full garbage collection",
    "torch.cuda.reset_peak_memory_stats": "resets the peak-memory counters",
    "torch.cuda.reset_max_memory_allocated": "resets the peak-memory counters",
    "torch.cuda.reset_accumulated_memory_stats": "resets the memory counters",
    "torch.cuda.ipc_collect": "collects CUDA IPC memory",
}

#: Loading or building an inference engine: TensorRT deserialisation or build, an ONNX Runtime
#: session.
ENGINE_LOADS = frozenset(
    {"deserialize_cuda_engine", "build_serialized_network", "build_engine", "InferenceSession"}
)
#: Running an inference engine: TensorRT execution contexts, ONNX Runtime sessions.
ENGINE_RUNS = frozenset(
    {"execute_v2", "execute_async_v2", "execute_async_v3", "run_with_iobinding"}
)
MOVE_METHODS = frozenset({"to", "cuda"})


@dataclass(frozen=True, slots=True)
class TimedCall:
    call: CallSite
    region: Region
    what: str  # a short description: "writes an image to disk"
    helper: bool = False  # found in a function the region's call runs, not in the region

    @property
    def action(self) -> str:
        """What kind of handling `what` describes: decode, stream, print, write, save, read
        or other (the verifier prices decode and stream on language models)."""
        return action_of(self.what)


def action_of(what: str) -> str:
    """The kind of handling an I/O description names (see `ACTIONS`)."""
    for prefix, action in ACTIONS:
        if what.startswith(prefix):
            return action
    return "other"


#: The opening words of an I/O description (`io_kind`, `input_kind`, `_streams`) and the
#: kind of handling they name.
ACTIONS = (
    ("decodes tokens", "decode"),
    ("streams", "stream"),
    ("prints", "print"),
    ("writes", "write"),
    ("opens a file for writing", "write"),
    ("saves", "save"),
    ("reads", "read"),
    ("opens an input", "read"),
    ("loads", "read"),
)


def work_regions(facts: FileFacts, regions: list[Region]) -> Iterator[Region]:
    """Regions with a body that times model or device work."""
    for region in regions:
        if region.kind is RegionKind.SPLIT:
            continue
        if any(facts.kind(c).work for c in region.calls()):
            yield region


def timed_calls(facts: FileFacts, regions: list[Region]) -> Iterator[tuple[CallSite, Region]]:
    """Each call inside a work region, once (the innermost region wins)."""
    seen: set[int] = set()
    for region in sorted(
        work_regions(facts, regions), key=lambda r: r.content_end[0] - r.content_start[0]
    ):
        for call in region.calls():
            if id(call) not in seen:
                seen.add(id(call))
                yield call, region


# --------------------------------------------------------------------------------- I/O
def io_in_regions(facts: FileFacts, regions: list[Region]) -> list[TimedCall]:
    """I/O in a timed region: a call that does it, a model call that streams its output, or a
    call of a function of this file that does it (reported at the call the region makes)."""
    found = []
    loading: set[int] | None = None
    for call, region in timed_calls(facts, regions):
        if declares_setup(facts, region):
            continue  # "compilation took ...": what it includes is not an inference time
        if declares_handling(facts, region):
            continue  # `LATENCY_DECODE: t3 - t2`, `e2e_s = ...`: the handling is the point
        what = io_kind(facts, call) or _streams(facts, call) or _io_in_helper(facts, call)
        if what == "prints results" and _printed_once_beside_loop(facts, region, call):
            continue
        if what is None:
            what = input_kind(call) or _input_in_model_helper(facts, call)
            if what is None or (facts.serving_client and facts.kind(call).work):
                continue  # (a serving client's request is the work, not an input read)
            # reading files is part of a region that measures loading (set-up regions were
            # skipped above)
            if loading is None:
                loading = {id(r) for r in regions if _measures_loading(r)}
            if id(region) in loading:
                continue
        found.append(TimedCall(call, region, what))
    return found


#: Iterables that load, transform and collate each item they yield, on the host.
DATA_LOADERS = frozenset({"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"})
#: Datasets of tensors already in memory.
IN_MEMORY_DATASETS = frozenset(
    {"torch.utils.data.TensorDataset", "torch.utils.data.dataset.TensorDataset"}
)
#: Wrappers of an iterable that yield its items (`enumerate(loader)`, `tqdm(loader)`).
ITER_WRAPPERS = frozenset({"enumerate", "tqdm", "iter", "zip"})


@dataclass(frozen=True, slots=True)
class LoaderInRegion:
    """A `for` loop inside a timed region over a data loader: every batch is read,
    transformed and collated inside the timing."""

    loop: cst.For
    loader: cst.BaseExpression  # the loader as the loop names it
    region: Region


def loaders_in_regions(facts: FileFacts, regions: list[Region]) -> list[LoaderInRegion]:
    """Loops over a `torch.utils.data.DataLoader` (directly or through `enumerate`/`tqdm`)
    that run the timed model work inside a region that times it."""
    found: list[LoaderInRegion] = []
    seen: set[int] = set()
    for region in work_regions(facts, regions):
        if declares_setup(facts, region):
            continue
        for call in region.calls():
            if call.scope is not region.scope or not facts.kind(call).work:
                continue
            for loop in call.loops:
                if id(loop) in seen or not isinstance(loop, cst.For):
                    continue
                start, end = facts.pos(loop)
                if start < region.content_start or end > region.content_end:
                    continue  # the loop is around the region, not inside it
                loader = _loader(facts, region.scope, loop.iter, start)
                if loader is not None:
                    seen.add(id(loop))
                    found.append(LoaderInRegion(loop, loader, region))
    return found


def _loader(
    facts: FileFacts, scope: Scope, expr: cst.BaseExpression, pos: Pos
) -> cst.BaseExpression | None:
    """The data loader an iterable is, or wraps."""
    while (
        isinstance(expr, cst.Call)
        and N.call_name(expr) in ITER_WRAPPERS
        and expr.args
        and not facts.qnames_of(expr.func) & DATA_LOADERS
    ):
        expr = expr.args[0].value
    value, vscope, vpos = facts.resolve(scope, expr, pos)
    if not (isinstance(value, cst.Call) and facts.qnames_of(value.func) & DATA_LOADERS):
        return None
    dataset = facts.argument(value, "dataset", 0)
    if dataset is not None:
        data, _, _ = facts.resolve(vscope, dataset, vpos)
        if isinstance(data, cst.Call) and facts.qnames_of(data.func) & IN_MEMORY_DATASETS:
            return None  # tensors already in memory: batching them reads and transforms nothing
    return expr


def _streams(facts: FileFacts, call: CallSite) -> str | None:
    """`model.generate(..., streamer=TextStreamer(tok))`: each token is decoded and printed."""
    arg = N.keyword(call.node, "streamer")
    if arg is None or (isinstance(arg.value, cst.Name) and arg.value.value == "None"):
        return None
    if facts.kind(call).model is None and N.call_name(call.node) != "generate":
        return None
    if not _decoding_streamer(facts, call, arg.value):
        return None
    return "streams its output (the streamer decodes and prints every token)"


def _decoding_streamer(facts: FileFacts, call: CallSite, expr: cst.BaseExpression) -> bool:
    """The streamer handed to `generate()` is built here as one that decodes tokens to text:
    a library text streamer (`TextStreamer(tok)`, `TextIteratorStreamer`), or a class of this
    file whose methods decode or print. One that only records token times (a class whose
    `put`/`write` appends `perf_counter()`), or one handed in from elsewhere, is not known to."""
    value, _, _ = facts.resolve(call.scope, expr, call.start)
    if not isinstance(value, cst.Call):
        return False
    name = N.call_name(value) or ""
    found = facts.class_named(value.func)
    if found is not None:
        cls = found[1]
        if any(b.startswith("transformers.") and b.endswith("Streamer") for b in cls.bases):
            return True  # the library's text streamer decodes every token, whatever it then does
        return any(
            N.call_name(c.node) in ("decode", "batch_decode", "print")
            for method in cls.methods.values()
            for c in method.calls
        )
    return name.endswith("Streamer")


def _io_in_helper(facts: FileFacts, call: CallSite) -> str | None:
    """A function of this file or of a project module it imports, called from the region,
    that writes, saves, decodes or prints results (followed a few calls deep)."""
    for owner, fn in facts.possible_callees(call):
        for inner in owner.reachable_calls(list(fn.calls)):
            # (reads are not looked for: a helper that reads may be a loader or a decoder)
            what = io_kind(owner, inner) or _streams(owner, inner)
            if what is None:
                continue
            if owner is facts:
                return f"{what} (in the function it runs, line {inner.start[0]})"
            return f"{what} (in `{fn.name}`, {facts.where(owner, inner.start[0])})"
    return None


@dataclass(frozen=True, slots=True)
class HandedIo:
    """Output handling inside a function of this file that a timing harness of the project
    times (`settings.apply(inference_func)` where `apply` times `test_fn()`)."""

    call: CallSite  # the I/O call, in the handed function
    what: str
    handing: CallSite  # the call that hands the function over
    function: str  # the handed function's name
    harness: str  # the harness function's name
    where: str  # where the harness reads its clock, as the reader finds it

    @property
    def action(self) -> str:
        return action_of(self.what)


def io_in_handed_functions(facts: FileFacts) -> list[HandedIo]:
    """Functions of this file handed to a project function that times a call of the parameter
    it receives them as: their output handling (saves, conversions, decodes, printed results;
    reads are left alone, as in helpers) is inside that timing."""
    out: list[HandedIo] = []
    seen: set[int] = set()
    for scope in facts.scopes:
        for call in scope.calls:
            handed = [
                (i, arg.value.value)
                for i, arg in enumerate(call.node.args)
                if isinstance(arg.value, cst.Name) and arg.value.value in facts.functions
            ]
            if not handed:
                continue
            target = facts.callee(call.scope, call.node.func, call.start) or _annotated_method(
                facts, call
            )
            if target is None:
                continue
            owner, harness = target
            for i, name in handed:
                param = facts.param_for(call, harness, i)
                region = next(
                    (
                        r
                        for r in find_regions(owner)
                        if r.scope is harness
                        and not declares_setup(owner, r)
                        and any(N.dotted(c.node.func) == param for c in r.calls())
                    ),
                    None,
                )
                fn = facts.functions[name]
                if param is None or region is None or id(fn) in seen:
                    continue
                seen.add(id(fn))
                line = owner.pos(region.end_node)[0][0]
                where = facts.line_ref(owner, line)
                for inner in facts.reachable_calls(list(fn.calls)):
                    what = io_kind(facts, inner)
                    if what is not None:
                        out.append(HandedIo(inner, what, call, name, harness.name, where))
    return out


def _annotated_method(facts: FileFacts, call: CallSite) -> tuple[FileFacts, Scope] | None:
    """`settings.apply(fn)` where `settings` is a parameter annotated with a project class
    (`settings: BenchmarkSettings`): that class's method."""
    func = call.node.func
    if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
        return None
    if func.value.value not in call.scope.params:
        return None
    owner = facts.annotated_class(call.scope, func.value.value)
    if owner is None:
        return None
    method = owner[1].methods.get(func.attr.value)
    return (owner[0], method) if method is not None else None


def _input_in_model_helper(facts: FileFacts, call: CallSite) -> str | None:
    """A function called from the region that runs the model and, on the way, reads its inputs
    (`def call_pipeline(pipe): kwargs = example_inputs(); return pipe(**kwargs)` where
    `example_inputs` opens an image): the read is inside the timing. A helper that only reads
    is left alone (it may be a loader the region measures)."""
    for owner, fn in facts.possible_callees(call):
        if not owner.summary_of(fn).runs_model:
            continue
        inner_calls = owner.reachable_calls(list(fn.calls))
        if not any(_calls_model(owner, c) for c in inner_calls):
            continue  # (`get_c4(..., model=name)`: a model's name handed on, no model run)
        for inner in inner_calls:
            what = input_kind(inner)
            if what is not None:
                where = facts.where(owner, inner.start[0])
                if owner is facts:
                    where = f"line {inner.start[0]}"
                return f"{what} (in `{fn.name}`, which also runs the model; {where})"
    return None


def _calls_model(facts: FileFacts, call: CallSite) -> bool:
    """The call runs a model or pipeline itself: `pipe(**kwargs)`, `model.generate(ids)`."""
    kind = facts.kind(call)
    if kind.pipeline_call:
        return True
    root = N.dotted(call.node.func) or ""
    return kind.model is not None and (root == kind.model or root.startswith(kind.model + "."))


def _is_open(call: CallSite) -> bool:
    node = call.node
    return "builtins.open" in call.qnames or (
        isinstance(node.func, cst.Name) and node.func.value == "open"
    )


def input_kind(call: CallSite) -> str | None:
    """A call that reads an input: `open()` for reading, or a reader of the catalogue."""
    node = call.node
    if _is_open(call):
        return None if _write_mode(node) else "opens an input file"
    for q in sorted(call.qnames):
        if q in INPUT_FUNCTIONS:
            if node.args and "BytesIO" in N.code(node.args[0].value):
                return None  # decoding bytes already in memory, not reading a file
            return INPUT_FUNCTIONS[q]
    return None


def io_kind(facts: FileFacts, call: CallSite) -> str | None:
    """A call that writes, saves, converts, decodes or prints results (reads: `input_kind`)."""
    node = call.node
    for q in sorted(call.qnames):
        if q in IO_FUNCTIONS:
            return IO_FUNCTIONS[q]
    if _is_open(call):
        return "opens a file for writing" if _write_mode(node) else None
    if "builtins.print" in call.qnames:
        return "prints results" if _prints_results(facts, call) else None
    if facts.kind(call).work and any(
        a.keyword is not None and a.keyword.value in N.OUTPUT_PATH_KEYWORDS for a in node.args
    ):
        return "writes its output to a file"  # `tts.tts_to_file(text=..., file_path="a.wav")`
    name = N.call_name(node) or ""
    if not isinstance(node.func, cst.Attribute) or facts.kind(call).work:
        return None
    receiver = N.dotted(node.func.value) or ""
    if name in DECODE_METHODS and N.TOKENIZER_NAME_RE.search(receiver):
        return "decodes tokens to text"
    if name in ("write", "append_data") and _media_writer(facts, call, node.func.value):
        return "writes video frames to disk"
    if name in IO_METHODS and (name != "save" or node.args):
        if name == "save" and any(q.startswith(("torch.", "numpy.")) for q in call.qnames):
            return None
        return IO_METHODS[name]
    if N.is_processor_postprocess(node):
        output = N.keyword(node, "output_type")
        if output is None or N.string_value(output.value) in N.HOST_OUTPUT_TYPES:
            return "post-processes images on the host"
    return None


def _media_writer(facts: FileFacts, call: CallSite, receiver: cst.BaseExpression) -> bool:
    """`receiver` holds a media writer (`writer = cv2.VideoWriter(path, fourcc, fps, size)`)."""
    if not isinstance(receiver, cst.Name | cst.Attribute):
        return False
    value, _, _ = facts.resolve(call.scope, receiver, call.start)
    return isinstance(value, cst.Call) and bool(facts.qnames_of(value.func) & MEDIA_WRITERS)


def _printed_once_beside_loop(facts: FileFacts, region: Region, call: CallSite) -> bool:
    """A print that runs once in a region whose model work repeats in a loop inside it
    (`for _ in range(3): fn()`, then `print(f"{(time.time() - start) / 3}")`): microseconds
    against the runs it follows. A print counts when it runs with each timed run."""
    depth = len(region.loops(facts))
    if len(call.loops) > depth:
        return False
    return any(
        len(c.loops) > depth and c.scope is region.scope and facts.kind(c).work
        for c in region.calls()
    )


def _write_mode(node: cst.Call) -> bool:
    mode_arg = N.keyword(node, "mode") or N.positional(node, 1)
    mode = N.string_value(mode_arg.value) if mode_arg is not None else None
    return mode is not None and any(m in mode for m in WRITE_MODES)


def _prints_results(facts: FileFacts, call: CallSite) -> bool:
    """`print` of something a model call, a decode or a pipeline produced in this scope; not
    one in an error branch (`if response.status_code != 200: print(response.json())`)."""
    if _in_error_branch(facts, call):
        return False
    names = [n for arg in call.node.args for n in N.names_in(arg.value)]
    return any(_from_model(facts, call.scope, name, call.start, 0) for name in names)


def _from_model(facts: FileFacts, scope: Scope, name: str, pos: Pos, depth: int) -> bool:
    """`name` holds what a model call (or a decode) produced: assigned from one, or from a
    name that holds one (`delta = chunk["choices"][0]["delta"]`), or a loop over a model's
    stream (`for chunk in llm.create_chat_completion(..., stream=True)`)."""
    b = facts.binding_before(scope, name, pos)
    if b is None or depth > 3:
        return False
    if b.kind == "for" and isinstance(b.loop, cst.For):
        return _produced_by_model(facts, scope, b.loop.iter)
    if b.kind != "assign" or not isinstance(b.value, cst.BaseExpression):
        return False
    if _produced_by_model(facts, scope, b.value):
        return True
    if not _projection(b.value):
        return False  # computed by another call (`n_saved = save_logs(logs)`): not the output
    return any(
        _from_model(facts, scope, inner, b.start, depth + 1)
        for inner in N.names_in(b.value)
        if inner != name
    )


#: The test of a branch taken when something failed.
ERROR_TEST_RE = re.compile(r"status|error|\bnot\s+[\w.]*\bok\b|fail", re.IGNORECASE)


def _in_error_branch(facts: FileFacts, call: CallSite) -> bool:
    """The call runs only when a request or step failed: inside the body of an `if` whose test
    checks a status or an error, or in an `except` handler."""
    child: cst.CSTNode = call.node
    for anc in facts.ancestors(call.node):
        if anc is call.scope.node:
            break
        if isinstance(anc, cst.ExceptHandler):
            return True
        if isinstance(anc, cst.If) and child is anc.body and ERROR_TEST_RE.search(N.code(anc.test)):
            return True
        child = anc
    return False


def _projection(value: cst.BaseExpression) -> bool:
    """A piece read out of a value: `chunk["choices"][0]["delta"]`, `out.text`,
    `delta.get("content")`."""
    while True:
        if isinstance(value, cst.Name):
            return True
        if isinstance(value, cst.Subscript | cst.Attribute):
            value = value.value
        elif (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Attribute)
            and value.func.attr.value == "get"
        ):
            value = value.func.value
        else:
            return False


def _produced_by_model(facts: FileFacts, scope: Scope, value: cst.BaseExpression) -> bool:
    for c in scope.calls:
        if not N.contains(value, c.node):
            continue
        if facts.kind(c).model or (N.call_name(c.node) or "") in DECODE_METHODS:
            return True
    return False


# --------------------------------------------------------------------------- clearing
def cache_clearing_in_regions(facts: FileFacts, regions: list[Region]) -> list[TimedCall]:
    found = []
    for call, region in timed_calls(facts, regions):
        hit = next((CACHE_CLEARING[q] for q in sorted(call.qnames) if q in CACHE_CLEARING), None)
        if hit is not None:
            found.append(TimedCall(call, region, hit))
    for region in work_regions(facts, regions):
        if region.kind is RegionKind.PAIR:
            found += _clearing_in_timer_helpers(facts, region)
    return [
        hit
        for hit in found
        if not declares_setup(facts, hit.region)
        and not facts.behind_opt_in_flag(hit.call.scope, hit.call.node, hit.call.start)
    ]


def _clearing_in_timer_helpers(facts: FileFacts, region: Region) -> list[TimedCall]:
    """Clearing inside the helpers that open and close a region (`start_measure()` reads the
    clock, then runs `gc.collect()` and `empty_cache()`): after the opening helper's clock
    read, or before the closing helper's, it is timed."""
    found = []
    for node, opening in ((region.start_node, True), (region.end_node, False)):
        if not isinstance(node, cst.Call):
            continue
        site = facts.site_of(node)
        target = facts.callee(site.scope, node.func, site.start) if site is not None else None
        if site is None or target is None:
            continue
        owner, fn = target
        at = owner.summary_of(fn).timer_at
        if at is None:
            continue
        for call in sorted(fn.calls, key=lambda c: c.start):
            if (call.start > at) if opening else (call.end < at):
                qn = next((q for q in sorted(call.qnames) if q in CACHE_CLEARING), None)
                if qn is not None:
                    where = facts.line_ref(owner, call.start[0])
                    when = "after" if opening else "before"
                    what = (
                        f"runs `{N.code(call.node.func)}()` ({where}) {when} its clock read, "
                        f"which {CACHE_CLEARING[qn]}"
                    )
                    found.append(TimedCall(site, region, what, helper=True))
                    break
    return found


@dataclass(frozen=True, slots=True)
class HarnessedCall:
    """A call inside a function a benchmark harness times (`Timer(stmt="run(pipe)")`)."""

    call: CallSite
    harness: CallSite  # the harness call that times it (`timer.timeit(n)`)
    function: str  # the timed function's name
    what: str


def cache_clearing_in_harnesses(facts: FileFacts) -> list[HarnessedCall]:
    found = []
    for h in harnesses(facts):
        for fn in timed_functions(facts, h):
            for call in facts.reachable_calls(fn.calls):
                qn = sorted(q for q in call.qnames if q in CACHE_CLEARING)
                if qn:
                    found.append(HarnessedCall(call, h.call, fn.name, CACHE_CLEARING[qn[0]]))
    return found


# ------------------------------------------------------------------------------ setup
def setup_in_regions(facts: FileFacts, regions: list[Region]) -> list[TimedCall]:
    """Set-up inside the regions that time inference, in the region or in a function a
    region's call runs (`helper`). Computed once per file (BA204, BA302 and BA102 ask)."""
    memo: dict[int, list[TimedCall]] = facts.memo.setdefault("setup-in-regions", {})
    if id(regions) not in memo:
        found = []
        for call, region in timed_calls(facts, regions):
            if declares_setup(facts, region):
                continue  # "Compilation time: ...": the set-up is what the region measures
            what = _setup_kind(facts, call, region)
            if what is not None:
                found.append(TimedCall(call, region, what))
            elif not _times_inference(facts, region, call):
                in_helper = _setup_in_helper(facts, call, region)
                if in_helper is not None:
                    found.append(TimedCall(call, region, in_helper, helper=True))
        memo[id(regions)] = found
    return memo[id(regions)]


#: Loading weights: `torch.load`, `load_state_dict`, safetensors, `from_pretrained`.
WEIGHT_LOADS = frozenset({"torch.load", "safetensors.torch.load_file", "safetensors.safe_open"})


def _loads_weights(call: CallSite) -> bool:
    """`torch.load`, safetensors, `from_pretrained`/`from_single_file`."""
    return bool(call.qnames & WEIGHT_LOADS) or N.call_name(call.node) in N.LOAD_METHODS


#: The test of a lazy initialisation: `if self.vae is None:`, `if not self._loaded:`.
LAZY_TEST_RE = re.compile(r"^(?:[\w.]+\s+is\s+None|not\s+[\w.]+)$")


def _lazy(facts: FileFacts, call: CallSite) -> bool:
    """A load under `if self.model is None:` (or `if not self._ready:`): it runs on the first
    call only, a cold start of the whole service rather than a load in every timed run."""
    for anc in facts.ancestors(call.node):
        if anc is call.scope.node:
            break
        if isinstance(anc, cst.If) and LAZY_TEST_RE.match(N.code(anc.test).strip()):
            return True
    return False


def _measures_loading(region: Region) -> bool:
    """A region that loads weights (or a state dict): reading files is what it measures."""
    return any(
        _loads_weights(c) or N.call_name(c.node) == "load_state_dict" for c in region.calls()
    )


def _setup_kind(facts: FileFacts, call: CallSite, region: Region) -> str | None:
    node = call.node
    name = N.call_name(node) or ""
    if call.qnames & N.COMPILE_FUNCS:
        return "compiles a model"
    compiled = first_compiled_call(facts, call, region)
    if compiled is not None:
        return compiled
    if not _times_inference(facts, region, call):
        return None
    if name in N.LOAD_METHODS:
        return "loads a model"
    if _builds_timed_engine(facts, call, region):
        return "builds the engine it then runs from a checkpoint"
    if isinstance(node.func, cst.Attribute) and name in N.OFFLOAD_METHODS:
        return "installs CPU offload hooks"
    if isinstance(node.func, cst.Attribute) and name in MOVE_METHODS:
        info = facts.model_info(call.scope, node.func.value, call.start)
        if info is not None and _moves_to_device(node):
            return "moves a model to the GPU"
    return None


#: An argument that names weights on disk or in a hub (`model_path`, `args.ckpt`, `repo_id`).
CHECKPOINT_ARG_RE = re.compile(r"path|model|ckpt|checkpoint|weights|dir|repo", re.IGNORECASE)


#: Functions that load a model from a checkpoint by name (`whisper.load_model("large-v3")`,
#: `whisperx.load_align_model(...)`).
MODEL_LOADER_RE = re.compile(r"^load_(?:\w+_)?(?:model|pipeline)$")


def _builds_timed_engine(facts: FileFacts, call: CallSite, region: Region) -> bool:
    """`engine = Engine(model_path, ...)` (a class built from a checkpoint, `LLM(model=...)`)
    whose instance the same region then runs (`engine.decode(ids)`): the region times the
    engine's construction, weights loaded, with its inference. A wrapper built around a model
    already in memory (`Generator(model)`) is not a load."""
    node = call.node
    name = N.call_name(node) or ""
    if not (
        name[:1].isupper()
        or MODEL_LOADER_RE.match(name)
        or "transformers.pipeline" in call.qnames  # `pipe = pipeline("asr", model=...)`
    ):
        return False
    parent = facts.parents.get(node)
    if not (
        isinstance(parent, cst.Assign)
        and len(parent.targets) == 1
        and isinstance(parent.targets[0].target, cst.Name)
    ):
        return False
    if not any(_names_checkpoint(facts, call, arg.value) for arg in node.args):
        return False
    built = parent.targets[0].target.value
    return any(
        c.start > call.end and facts.kind(c).model == built and facts.kind(c).work
        for c in region.calls()
    )


def _names_checkpoint(facts: FileFacts, call: CallSite, value: cst.BaseExpression) -> bool:
    """A string, or a name or attribute read as a checkpoint's path (not a model object)."""
    if isinstance(value, cst.SimpleString | cst.FormattedString):
        return True
    text = N.dotted(value)
    if text is None or not CHECKPOINT_ARG_RE.search(text.rsplit(".", 1)[-1]):
        return False
    return facts.model_info(call.scope, value, call.start) is None


def _moves_to_device(node: cst.Call) -> bool:
    if N.call_name(node) == "cuda":
        return True
    for arg in node.args:
        text = N.code(arg.value)
        if "cuda" in text or "device" in text.lower():
            return True
    return False


def _setup_in_helper(facts: FileFacts, call: CallSite, region: Region) -> str | None:
    """A function the region runs (`main()`) that loads a model or an engine and then runs
    it: the timed total includes the loading. Not where the region declares a set-up
    measurement."""
    if declares_setup(facts, region):
        return None
    for owner, fn in facts.possible_callees(call):
        inner = owner.reachable_calls(list(fn.calls))
        load = next(
            (
                c
                for c in inner
                if (_loads_weights(c) or N.call_name(c.node) in ENGINE_LOADS)
                and not _lazy(owner, c)
            ),
            None,
        )
        if load is None:
            continue
        runs = any(
            c is not load and (owner.kind(c).pipeline_call or N.call_name(c.node) in ENGINE_RUNS)
            for c in inner
        )
        if not runs:
            continue
        what = N.short(N.code(load.node.func))
        where = facts.line_ref(owner, load.start[0])
        return f"loads a model (`{what}`, in the function it runs, {where}) before running it"
    return None


def _times_inference(facts: FileFacts, region: Region, setup: CallSite) -> bool:
    """The region also times a model call, so setup inside it inflates an inference time."""
    return any(facts.kind(c).pipeline_call and c is not setup for c in region.calls())


def first_compiled_call(facts: FileFacts, call: CallSite, region: Region) -> str | None:
    """The first call of a `torch.compile`d model runs the compiler; inside a timed region the
    compile time is measured as inference."""
    kind = facts.kind(call)
    if not kind.pipeline_call or kind.model is None:
        return None
    if not isinstance(call.node.func, cst.Name | cst.Attribute):
        return None
    info = facts.model_info(call.scope, call.node.func, call.start)
    if info is None or not info.compiled:
        return None
    earlier = [
        c
        for c in call.scope.calls
        if c.end <= region.content_start and facts.kind(c).model == kind.model
    ]
    in_region = [c for c in region.calls() if facts.kind(c).model == kind.model]
    if earlier or not in_region or in_region[0] is not call:
        return None
    scope: Scope | None = call.scope
    while scope is not None and scope.parent is not None:
        if kind.model in scope.params:
            # compiled by a caller, which may have warmed it up (a parameter of the function
            # or of the one around it: `def profile(model, x): def get_runtime(): model(x)`)
            return None
        scope = scope.parent
    _, _, vpos = facts.resolve(call.scope, call.node.func, call.start)
    if region.content_start <= vpos <= region.content_end:
        return None  # compiled inside the region: reported at `torch.compile`
    return "is the first call of a freshly compiled model (it runs the compiler)"
