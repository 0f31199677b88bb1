"""One pass over a file that records what every shared analysis needs.

`FactsCollector` runs first in the engine's batched traversal and fills a `FileFacts`: scopes
(the module and each function) with their calls, bindings and returns in source order, and the
loops that enclose each call. The query methods on `FileFacts` answer the questions the rules
share: is this a model or pipeline object, is this call GPU work, does it synchronise, what does
this local helper do. They look through assignments and through functions defined in the same file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache, cached_property
from typing import Any

import libcst as cst
from libcst.metadata import (
    CodeRange,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
)

from auditor.analyses import names as N
from auditor.analyses import serving, syspath
from auditor.project import ProjectModule, ProjectModules
from auditor.traversal import visit_with_metadata

Pos = tuple[int, int]  #: (1-based line, 0-based column), comparable in source order


@dataclass(eq=False, slots=True)
class Binding:
    target: str  # dotted text: `pipe`, `self.pipe`, `results[]`
    value: cst.BaseExpression | None  # None for parameters
    kind: str  # "assign" | "aug" | "for" | "with" | "param" | "comp" | "import"
    start: Pos
    end: Pos
    scope: Scope
    loop: cst.CSTNode | None = None  # the For/comprehension that binds a loop target
    key: str | None = None  # the string key of `results["base"] = ...`
    index: int | None = None  # position in an unpacked loop target: `for name, pipe in ...`


@dataclass(eq=False, slots=True)
class CallSite:
    node: cst.Call
    scope: Scope
    start: Pos
    end: Pos
    loops: tuple[cst.CSTNode, ...]  # enclosing loops inside this scope, outermost first
    qnames: frozenset[str]
    stmt: cst.CSTNode | None  # the enclosing simple or compound statement


@dataclass(eq=False)
class Scope:
    node: cst.Module | cst.FunctionDef
    name: str
    parent: Scope | None
    cls: str | None = None  # the class this function is a method of
    params: list[str] = field(default_factory=list)
    calls: list[CallSite] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    returns: list[cst.Return] = field(default_factory=list)
    yields: list[Pos] = field(default_factory=list)
    decorators: set[str] = field(default_factory=set)
    binops: list[cst.BinaryOperation] = field(default_factory=list)  # in its own code
    withs: list[cst.With] = field(default_factory=list)  # `with` statements in its own code
    _by_target: tuple[int, dict[str, list[Binding]]] | None = field(default=None, repr=False)

    def bindings_of(self, target: str) -> list[Binding]:
        """The bindings of `target` here, in order (an index by target, rebuilt only when
        bindings were added since: a question per name read must not scan the whole scope)."""
        if self._by_target is None or self._by_target[0] != len(self.bindings):
            index: dict[str, list[Binding]] = {}
            for b in self.bindings:
                index.setdefault(b.target, []).append(b)
            self._by_target = (len(self.bindings), index)
        return self._by_target[1].get(target, [])

    @property
    def body(self) -> list[cst.CSTNode]:
        if isinstance(self.node, cst.Module):
            return list(self.node.body)
        return list(self.node.body.body)

    def calls_between(self, start: Pos, end: Pos) -> list[CallSite]:
        return [c for c in self.calls if c.start >= start and c.end <= end]


@dataclass(eq=False, slots=True)
class ClassInfo:
    name: str
    node: cst.ClassDef
    methods: dict[str, Scope] = field(default_factory=dict)
    bases: frozenset[str] = frozenset()  # qualified names of the base classes


@dataclass(frozen=True, slots=True)
class ImportRef:
    """`from <module> import <name>` (name None for `import module`); level counts the dots."""

    module: str
    name: str | None
    level: int = 0


class SyncKind(StrEnum):
    EXPLICIT = "explicit"  # torch.cuda.synchronize(), event.synchronize()
    HOST_COPY = "host-copy"  # .cpu(), .item(), a pipeline returning PIL or numpy, generate()
    HELPER = "helper"  # a local function that ends synchronised


@dataclass(frozen=True, slots=True)
class CallKind:
    timer: str | None = None  # qualified timer name, or the local helper's name
    timer_synced: bool = False  # a helper that synchronises before reading the clock
    sync: SyncKind | None = None
    work: bool = False  # queues device work
    model: str | None = None  # the model/pipeline object the work runs on
    pipeline_call: bool = False  # a direct call of a pipeline/model object (or its generate)
    opaque: bool = False  # work through a function whose sync behaviour is unknown
    # a call of a function (here or in a project module) that runs a model or pipeline call,
    # directly or through functions it calls: `runner.inference(params)` on a project class
    runs_model: bool = False


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    pipeline: bool  # a diffusers-style pipeline (its output_type decides a host copy)
    compiled: bool
    dynamic: bool  # built by a module loaded at run time
    generator: bool  # a transformers model whose generate() syncs
    # an inference runtime's session (ONNX Runtime): `run()` returns host data
    session: bool = False
    # the qualified names of the library call that built it (`transformers.AutoModel...`)
    origin: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class FuncSummary:
    does_work: bool = False
    ends_synced: bool = False  # after its last device work it synchronises
    syncs: bool = False
    returns_timer: str | None = None
    timer_synced: bool = False
    returns_model: ModelInfo | None = None
    returns_dynamic_module: bool = False
    returns_cli_args: bool = False
    runs_model: bool = False  # a model or pipeline call among its calls (transitively)
    # in a serving client: the server a request among its calls goes to (transitively)
    serves: str | None = None
    # where its clock read is (a function that returns one, or closes a handed-in start)
    timer_at: Pos | None = None
    # `def end_measure(start): return time.time() - start["time"]`: the parameter (by index)
    # whose start time it subtracts from its own clock read, that clock, and whether it
    # synchronises before the read
    closes_param: int | None = None
    closes_clock: str = ""
    closes_synced: bool = False


def _effective(b: Binding) -> Pos:
    return b.start if b.kind in ("for", "comp") else b.end


def _pos(rng: CodeRange) -> tuple[Pos, Pos]:
    return (rng.start.line, rng.start.column), (rng.end.line, rng.end.column)


#: Ways a script puts work on a GPU without the literal string "cuda".
GPU_USE_RE = re.compile(
    r"""["']cuda[:"'{]|\.cuda\(|\bdevice_map\s*=|\bdevice\s*=\s*\d\b|\.to\(\s*\d\s*\)"""
    r"""|\bAccelerator\(|\btorch\.cuda\.(?!is_available\b|device_count\b)\w+"""
)
#: Another accelerator a module names: its handed device need not be CUDA.
OTHER_ACCELERATOR_RE = re.compile(r"\bhpu\b|habana|\bxla\b|\bnpu\b|\bxpu\b|\bmps\b", re.I)
#: Work moved to a device the module is handed: `x.to(args.device)`, `.to(device)`.
HANDED_DEVICE_RE = re.compile(r"\.to\(\s*(?:[\w.]+\.)?device\s*[,)]")
#: `torch.cuda` functions that ask about the machine without putting anything on a GPU.
CUDA_QUERIES = frozenset({"is_available", "device_count"})
#: A condition true exactly when the script runs on CUDA.
CUDA_GUARD_RE = re.compile(
    r"""^(?:torch\.)?cuda\.is_available\(\)$"""
    r"""|^[\w.]+\s*==\s*["']cuda(?::\d+)?["']$|^["']cuda(?::\d+)?["']\s*==\s*[\w.]+$"""
    r"""|^["']cuda["']\s+in\s+(?:str\()?[\w.]+\)?$|^[\w.]+\.is_cuda$"""
    # an accelerator given at all (`if device is not None: synchronize_device(device)`)
    r"""|^[\w.]*device\s+is\s+not\s+None$"""
)


def is_cuda_guard(test: cst.BaseExpression) -> bool:
    """`torch.cuda.is_available()`, `device == "cuda"`, `args.device.type == "cuda"`,
    `"cuda" in device`, `"cuda" in str(device)`, `x.is_cuda`."""
    return CUDA_GUARD_RE.match(N.code(test).strip()) is not None


class FileFacts:
    """What one file does, indexed for the shared analyses."""

    def __init__(
        self,
        module: cst.Module,
        positions: dict[cst.CSTNode, CodeRange],
        qnames: dict[cst.CSTNode, frozenset[str]],
        parents: dict[cst.CSTNode, cst.CSTNode],
    ) -> None:
        self.module = module
        self.positions = positions
        self.qnames = qnames
        self.parents = parents
        self.scopes: list[Scope] = []
        self.functions: dict[str, Scope] = {}  # module-level and nested functions, not methods
        self.classes: dict[str, ClassInfo] = {}
        self.imports: dict[str, ImportRef] = {}  # local name -> what a module-level import binds
        self.project: ProjectModules | None = None  # the audited project's sibling modules
        self.memo: dict[str, Any] = {}  # what other analyses derive from these facts, once
        # the facts of a module another file imports (`module_facts`), not of a checked file:
        # re-exports are followed from checked files only, so one import does not walk a package
        self.derived = False
        self.leaf = False  # reached through a package's re-export: its imports are not followed
        self.source = ""  # the file's text
        self.argparse_defaults: dict[str, str] = {}  # dest -> default source text
        self.argparse_opt_in: set[str] = set()  # `store_true` flags, off unless given
        self.argparse_choices: dict[str, tuple[str, ...]] = {}  # dest -> literal string choices
        self.argparse_options: dict[str, str] = {}  # dest -> option string
        self.mentions_cuda = False
        self._summaries: dict[int, FuncSummary] = {}
        self._kinds: dict[int, CallKind] = {}
        self._in_progress: set[int] = set()
        self._model_memo: dict[tuple[int, str, Pos], ModelInfo | None] = {}
        self._binops: dict[tuple[int, type], list[cst.BinaryOperation]] = {}
        self._stmt_by_pos: dict[tuple[Pos, Pos], cst.CSTNode] = {}
        self._calls_by_name: tuple[int, dict[str, list[CallSite]]] | None = None
        self._site_by_node: tuple[int, dict[int, CallSite]] | None = None

    # ----------------------------------------------------------------- positions & names
    def pos(self, node: cst.CSTNode) -> tuple[Pos, Pos]:
        return _pos(self.positions[node])

    def qnames_of(self, node: cst.CSTNode) -> frozenset[str]:
        return self.qnames.get(node, frozenset())

    @property
    def module_scope(self) -> Scope:
        return self.scopes[0]

    def module_imported_as(self, name: str) -> bool:
        """`import torch` binds `torch` at module level."""
        return any(b.kind == "import" for b in self.module_scope.bindings_of(name))

    @cached_property
    def uses_gpu(self) -> bool:
        """The script puts something on a GPU somewhere (else it runs on the CPU only): a
        "cuda" string (also in an f-string, `f"cuda:{rank}"`), `.cuda()`, `device_map=...`,
        `device=0` or `.to(0)`, an accelerate `Accelerator`, or a `torch.cuda` call other than
        `is_available()`."""
        if self.mentions_cuda or GPU_USE_RE.search(self.source) is not None:
            return True
        return self._gpu_from_importers()

    def _gpu_from_importers(self) -> bool:
        """A module that moves its work to a device it is handed (`image.to(args.device)`)
        runs on the GPU when a script importing it does (`--device` defaulting to `cuda:0`
        in `benchmark_cv.py`): the importers' text is searched, never parsed."""
        project = self.project
        if project is None or HANDED_DEVICE_RE.search(self.source) is None:
            return False
        if OTHER_ACCELERATOR_RE.search(self.source) is not None:
            return False  # written for another accelerator too (HPU, XLA, NPU): not assumed
        paths = project.importer_paths()
        for init in [path for path in paths if path.name == "__init__.py"]:
            # a package that re-exports the module: the scripts importing the package
            paths += ProjectModules(init, project.cache).importer_paths()
        project.used.update(paths)  # (a cached result depends on them)
        return any(
            GPU_USE_RE.search(text) is not None
            for text in (project.text(path) for path in paths)
            if text is not None
        )

    def _set_in_constructor(self, cls: str, key: str) -> Binding | None:
        """The last assignment of the attribute `key` (`self.lm = ...`) in the class's
        `__init__`: what a method that uses it runs (`self.lm.generate(...)`)."""
        init = self.classes[cls].methods.get("__init__")
        if init is None:
            return None
        found = [b for b in init.bindings if b.target == key and b.kind == "assign"]
        return found[-1] if found else None

    def on_cpu(self, call: CallSite) -> bool:
        """The model `call` runs was last placed on the CPU before it: `model.to(device)` with
        `device = "cpu"` at that point, `model.to("cpu")`, `model.cpu()` (a script that times a
        CPU arm beside a GPU arm: the CPU arm's clock needs no synchronisation)."""
        device = N.keyword(call.node, "device")
        if device is not None:  # `torch.rand(shape, device=device)`
            return self._device_is_cpu(call, device.value)
        model = self.kind(call).model
        if not model:
            # tensor work runs where its operands are: `torch.mm(x[i].to(dtype), w.t())`
            # with `x = torch.randn(..., device="cuda").to("cpu")` runs on the CPU
            return any(
                self._operand_on_cpu(call.scope, a.value, call.start)
                for a in call.node.args
                if a.keyword is None
            )
        scopes = [call.scope] + ([self.module_scope] if call.scope.parent is not None else [])
        for scope in scopes:
            moves = [
                c
                for c in scope.calls
                if c.end <= call.start
                and isinstance(c.node.func, cst.Attribute)
                and c.node.func.attr.value in PLACEMENT_METHODS
                and N.dotted(c.node.func.value) == model
            ]
            if moves:
                return self._placed_on_cpu(max(moves, key=lambda c: c.end))
        return False

    def _operand_on_cpu(
        self, scope: Scope, expr: cst.BaseExpression, pos: Pos, depth: int = 0
    ) -> bool:
        """A tensor operand last placed on the CPU where it is used: through indexing,
        layout and dtype methods (`x[i].to(torch.float16).t()`), torch functions of it
        (`torch.quantize_per_tensor(x, ...)`) and plain assignments, to `.cpu()`,
        `.to("cpu")` or a creation with `device="cpu"`. Unknown (False) otherwise."""
        while depth < 12:
            depth += 1
            if isinstance(expr, cst.Subscript):
                expr = expr.value
            elif isinstance(expr, cst.Name | cst.Attribute) and N.dotted(expr):
                value, scope, pos = self.resolve(scope, expr, pos)
                if value is expr:
                    return False
                expr = value
            elif isinstance(expr, cst.Call):
                func, name = expr.func, N.call_name(expr)
                device = N.keyword(expr, "device")
                if isinstance(func, cst.Attribute) and name in TENSOR_VIEW_METHODS:
                    expr = func.value
                elif isinstance(func, cst.Attribute) and name in ("cpu", "cuda"):
                    return name == "cpu"
                elif isinstance(func, cst.Attribute) and name == "to":
                    target = device or (expr.args[0] if expr.args else None)
                    if target is None:
                        return False
                    value, _, _ = self.resolve(scope, target.value, pos)
                    if isinstance(value, cst.Call) and N.call_name(value) == "device":
                        value = value.args[0].value if value.args else value
                    text = N.string_value(value)
                    if text is not None:
                        return text.split(":")[0] == "cpu"
                    if device is not None or not (
                        _names_a_dtype(target.value) or _names_a_dtype(value)
                    ):
                        return False
                    expr = func.value  # `.to(torch.float16)`, `.to(proj_type)`
                elif device is not None:
                    text = N.string_value(self.resolve(scope, device.value, pos)[0])
                    return text is not None and text.split(":")[0] == "cpu"
                elif (N.dotted(func) or "").startswith("torch.") and expr.args:
                    expr = expr.args[0].value
                else:
                    return False
            else:
                return False
        return False

    def _placed_on_cpu(self, move: CallSite) -> bool:
        name = N.call_name(move.node)
        if name in ("cpu", "cuda"):
            return name == "cpu"
        for arg in move.node.args:
            if arg.keyword is not None and arg.keyword.value != "device":
                continue
            return self._device_is_cpu(move, arg.value)
        return False

    def _device_is_cpu(self, call: CallSite, expr: cst.BaseExpression) -> bool:
        """`"cpu"`, `torch.device("cpu")`, or a name holding one where `call` runs (not one
        that holds it in one branch and another device in the other: `if gpu: device =
        torch.device("cuda") else: device = torch.device("cpu")`)."""
        if isinstance(expr, cst.Name):
            b = self.binding_before(call.scope, expr.value, call.start)
            if b is not None and b.value is not None and b.scope is call.scope:
                for other in call.scope.bindings_of(expr.value):
                    if (
                        other is not b
                        and other.kind == "assign"
                        and other.value is not None
                        and other.start < b.start
                        and self.exclusive(other.value, b.value)
                    ):
                        return False  # either device, by a condition
        value, _, _ = self.resolve(call.scope, expr, call.start)
        if isinstance(value, cst.Call) and N.call_name(value) == "device" and value.args:
            value = value.args[0].value
        text = N.string_value(value)
        return text is not None and text.split(":")[0] == "cpu"

    def site_of(self, node: cst.CSTNode | None) -> CallSite | None:
        """The call site of the call expression `node`, in whichever function it is; None for
        anything else. An index built once (rebuilt if calls were added since, as while the
        file is still being walked)."""
        count = sum(len(s.calls) for s in self.scopes)
        if self._site_by_node is None or self._site_by_node[0] != count:
            index = {id(c.node): c for s in self.scopes for c in s.calls}
            self._site_by_node = (count, index)
        return self._site_by_node[1].get(id(node)) if node is not None else None

    def calls_to_function(self, name: str) -> list[CallSite]:
        """The calls of the function `name` in this file, in scope order: `name(...)`, and
        calls through a name that holds it (`generator = generate_torch` then
        `generator(...)`; a parameter it is passed as, `run_round(generate_torch)` then
        `generator(model, ...)` in `run_round`). An index by called name, built once; rebuilt if
        calls were added since, as while the file is still being walked."""
        count = sum(len(s.calls) for s in self.scopes)
        if self._calls_by_name is None or self._calls_by_name[0] != count:
            index: dict[str, list[CallSite]] = {}
            for s in self.scopes:
                for c in s.calls:
                    if type(c.node.func) is cst.Name:
                        index.setdefault(c.node.func.value, []).append(c)
            self._add_calls_through_holders(index)
            self._calls_by_name = (count, index)
        return list(self._calls_by_name[1].get(name, ()))

    def first_call_argument(
        self, scope: Scope, param: str
    ) -> tuple[CallSite, cst.BaseExpression] | None:
        """The first call of the function `scope` in this file and what it passes for its
        parameter `param`; None when nothing here calls it or passes one."""
        if param not in scope.params or scope.parent is None:
            return None
        sites = sorted(self.calls_to_function(scope.name), key=lambda c: c.start)
        if not sites:
            return None
        arg = self.argument(sites[0].node, param, scope.params.index(param))
        return (sites[0], arg) if arg is not None else None

    def _add_calls_through_holders(self, index: dict[str, list[CallSite]]) -> None:
        """Calls of a function through a local name or a parameter that holds it, added to the
        function's entry of `index` (two hops: an alias handed to a helper)."""
        holders: dict[tuple[int, str], set[str]] = {}  # (scope id, local name) -> functions
        scopes = {id(s): s for s in self.scopes}

        def held(scope: Scope, expr: cst.BaseExpression | None, pos: Pos = (10**9, 0)) -> set[str]:
            if isinstance(expr, cst.IfExp):
                return held(scope, expr.body, pos) | held(scope, expr.orelse, pos)
            if isinstance(expr, cst.Subscript):  # `call_fn = {"vllm": call_vllm, ...}[backend]`
                return {f for f in self._function_table(scope, expr, pos) if f in self.functions}
            if not isinstance(expr, cst.Name):
                return set()
            found = set(holders.get((id(scope), expr.value), ()))
            if expr.value in self.functions and not scope.bindings_of(expr.value):
                found.add(expr.value)
            return found

        for _ in range(2):
            for s in self.scopes:
                for b in s.bindings:
                    if (
                        b.kind == "assign"
                        and "." not in b.target
                        and b.target not in self.functions
                    ):
                        fns = held(s, b.value, b.start)
                        if fns:
                            holders.setdefault((id(s), b.target), set()).update(fns)
                for c in s.calls:
                    func = c.node.func
                    callee = self.functions.get(func.value) if type(func) is cst.Name else None
                    if callee is None or callee.cls is not None:
                        continue
                    for i, arg in enumerate(c.node.args):
                        if arg.star:
                            break
                        fns = held(s, arg.value)
                        if not fns:
                            continue
                        if arg.keyword is not None:
                            param = arg.keyword.value
                        else:
                            param = callee.params[i] if i < len(callee.params) else ""
                        if param in callee.params and param not in self.functions:
                            holders.setdefault((id(callee), param), set()).update(fns)
        for (sid, local), fns in holders.items():
            for c in index.get(local, ()):
                if c.scope is scopes[sid]:
                    for fn in fns:
                        if c not in index.setdefault(fn, []):
                            index[fn].append(c)

    # ----------------------------------------------------------------------- bindings
    def binding_before(self, scope: Scope, target: str, pos: Pos) -> Binding | None:
        """The assignment of `target` that reaches `pos` (the last one before it in source
        order; a loop target binds from the loop header). Falls back to enclosing scopes."""
        best: Binding | None = None
        own = scope.bindings_of(target)
        for b in own:
            # a loop target is bound from the loop header on, inside the loop too
            at = b.start if b.kind in ("for", "comp") else b.end
            if at <= pos and (best is None or at >= _effective(best)):
                best = b
        if best is None:
            for b in own:
                if b.kind == "param":
                    return b
        if best is None and scope.parent is not None:
            candidates = scope.parent.bindings_of(target)
            if candidates:
                # A global read from a function sees the module's last binding.
                return max(candidates, key=lambda b: b.end)
        return best

    def reaching_bindings(self, scope: Scope, target: str, pos: Pos) -> list[Binding]:
        """The last binding before `pos`, plus the earlier ones it may not have replaced: a
        binding inside an `if`/`try` that does not also hold `pos` is conditional."""
        last = self.binding_before(scope, target, pos)
        if last is None:
            return []
        found = [last]
        earlier = sorted(
            (b for b in scope.bindings_of(target) if b.end <= last.start),
            key=lambda b: b.end,
        )
        current = last
        while self._conditional(current, pos) and earlier:
            current = earlier.pop()
            found.append(current)
        if self._conditional(current, pos):
            found += [b for b in scope.bindings_of(target) if b.kind == "param"]
        return found

    def _conditional(self, binding: Binding, pos: Pos) -> bool:
        for stmt in self._nodes_at(binding):
            for anc in self.ancestors(stmt):
                if anc is binding.scope.node:
                    return False
                if isinstance(anc, cst.If | cst.Try | cst.For | cst.While):
                    start, end = self.pos(anc)
                    if not start <= pos <= end:
                        return True
        return False

    def _nodes_at(self, binding: Binding) -> list[cst.CSTNode]:
        return [
            n
            for n, rng in ((n, self.positions.get(n)) for n in self._stmt_index(binding))
            if rng is not None
        ]

    def binding_node(self, binding: Binding) -> cst.CSTNode | None:
        """The statement (or parameter, or `with` item) that makes a binding."""
        found = self._stmt_index(binding)
        return found[0] if found else None

    def _stmt_index(self, binding: Binding) -> list[cst.CSTNode]:
        key = (binding.start, binding.end)
        if not self._stmt_by_pos:
            for node, rng in self.positions.items():
                if _is_statement(type(node)):
                    self._stmt_by_pos.setdefault(_pos(rng), node)
        found = self._stmt_by_pos.get(key)
        return [found] if found is not None else []

    def branches(
        self, node: cst.CSTNode, scope: Scope, *, cuda_guards: bool = True
    ) -> frozenset[tuple[int, str]]:
        """The `if` branches that must be taken for `node` to run: (If id, side) pairs. With
        `cuda_guards=False`, the body of `if torch.cuda.is_available():` (or `if device ==
        "cuda":`) is left out: it runs whenever there is CUDA work to wait for, so a sync there
        is as good as an unconditional one."""
        return frozenset(
            (id(anc), side)
            for anc, side in self.enclosing_ifs(node, scope)
            if cuda_guards or side != "body" or not is_cuda_guard(anc.test)
        )

    def enclosing_ifs(self, node: cst.CSTNode, scope: Scope) -> Iterator[tuple[cst.If, str]]:
        """The `if` statements of `scope` around `node`, innermost first, each with the side
        `node` is on: "body", or "orelse" (its `else`/`elif` chain)."""
        child = node
        for anc in self.ancestors(node):
            if anc is scope.node:
                return
            if isinstance(anc, cst.If):
                yield anc, ("body" if child is anc.body else "orelse")
            child = anc

    def resolve(
        self, scope: Scope, expr: cst.BaseExpression, pos: Pos, depth: int = 0
    ) -> tuple[cst.BaseExpression, Scope, Pos]:
        """Follow plain `name = value` assignments to the expression that produced a value."""
        while depth < 8:
            depth += 1
            key = N.dotted(expr)
            if key is None or not isinstance(expr, cst.Name | cst.Attribute):
                break
            b = self.binding_before(scope, key, pos)
            if b is None or b.kind != "assign" or b.value is None:
                break
            expr, scope, pos = b.value, b.scope, b.start
        return expr, scope, pos

    # ------------------------------------------------------------------ model objects
    def model_info(self, scope: Scope, expr: cst.BaseExpression, pos: Pos) -> ModelInfo | None:
        key = N.dotted(expr) or ""
        memo_key = (id(scope), key, pos) if key else None
        if memo_key and memo_key in self._model_memo:
            return self._model_memo[memo_key]
        if memo_key:
            self._model_memo[memo_key] = None  # cycle guard
        info = self._model_info(scope, expr, pos, 0)
        if memo_key:
            self._model_memo[memo_key] = info
        return info

    def _model_info(
        self, scope: Scope, expr: cst.BaseExpression, pos: Pos, depth: int
    ) -> ModelInfo | None:
        if depth > 6:
            return None
        if isinstance(expr, cst.IfExp):  # `fn = ema.infer if args.use_ema else model.infer`
            return self._model_info(scope, expr.body, pos, depth + 1) or self._model_info(
                scope, expr.orelse, pos, depth + 1
            )
        if isinstance(expr, cst.Name | cst.Attribute | cst.Subscript):
            key = N.dotted(expr)
            if key is None:
                return None
            b = self.binding_before(scope, key, pos)
            if b is None and key.startswith("self.") and scope.cls in self.classes:
                b = self._set_in_constructor(scope.cls, key)
            last = key.rsplit(".", 1)[-1].rstrip("[]")
            if b is not None and b.value is not None and b.kind in ("assign", "with"):
                inner = self._model_info(b.scope, b.value, b.start, depth + 1)
                if inner is not None:
                    return replace(inner, name=key)
            if (
                b is None
                and isinstance(expr, cst.Attribute)
                and self.is_cli_args(scope, expr.value, pos)
            ):
                return None  # `args.model`: a command-line value (a name or path), no model
            if b is not None and b.kind in ("for", "comp") and isinstance(expr, cst.Name):
                for elem, escope, epos in self.loop_values(b) or []:
                    inner = self._model_info(escope, elem, epos, depth + 1)
                    if inner is not None:
                        return replace(inner, name=key)
            if isinstance(expr, cst.Attribute) and self.is_dynamic_module(scope, expr.value, pos):
                # `module.pipe`: a pipeline object a model module defines
                if N.MODEL_NAME_RE.match(last):
                    return ModelInfo(
                        last, pipeline=True, compiled=False, dynamic=True, generator=False
                    )
            if b is not None and b.kind == "param":
                passed = self._param_model(b.scope, key, depth) or self._annotated_model(
                    b.scope, key
                )
                if passed is not None:
                    return replace(passed, name=key)
            if (
                b is None or b.kind in ("param", "for", "comp", "assign")
            ) and N.MODEL_NAME_RE.match(last):
                if (
                    b is not None
                    and b.kind == "assign"
                    and b.value is not None
                    and not isinstance(b.value, cst.Call | cst.Subscript | cst.Attribute | cst.Name)
                ):
                    return None  # `model = "sd15"`: a name, not a model
                return ModelInfo(
                    key,
                    pipeline="pipe" in last,
                    compiled=False,
                    dynamic=False,
                    generator="llm" in last,
                )
            if b is None and isinstance(expr, cst.Attribute) and MODEL_METHOD_RE.search(last):
                # `infer_fn = model.autoregressive_infer_cfg`: the model's method, held
                return self._model_info(scope, expr.value, pos, depth + 1)
            return None
        if isinstance(expr, cst.Call):
            func = expr.func
            qn = self.qnames_of(func)
            fname = N.call_name(expr) or ""
            if qn & N.COMPILE_FUNCS and expr.args:
                inner = self._model_info(scope, expr.args[0].value, pos, depth + 1)
                base = inner or ModelInfo("model", False, False, False, False)
                return replace(base, compiled=True)
            if qn & N.SCRIPT_FUNCS and expr.args:  # `torch.jit.trace(model, (x,))`
                return self._model_info(scope, expr.args[0].value, pos, depth + 1)
            if isinstance(func, cst.Attribute) and fname in (
                "to",
                "cuda",
                "half",
                "eval",
                "bfloat16",
                "float",
                "compile",
            ):
                inner = self._model_info(scope, func.value, pos, depth + 1)
                if inner is not None and fname == "compile":
                    return replace(inner, compiled=True)
                made = func.value
                if inner is None and fname in ("to", "cuda") and isinstance(made, cst.Call):
                    # `TTS("tts_models/...").to(device)`: an object of a library class placed
                    # on a device is a model, whatever it is called
                    name = N.call_name(made) or ""
                    qn = self.qnames_of(made.func)
                    if (
                        name[:1].isupper()
                        and any("." in q for q in qn)
                        and self.callee(scope, made.func, pos) is None
                        and self.class_named(made.func) is None
                    ):
                        return ModelInfo(name, False, False, False, False, origin=qn)
                return inner
            if qn & N.RUNTIME_SESSIONS or qn & N.ENGINE_MODELS:
                return ModelInfo(fname, False, False, False, False, session=True)
            if any(q.startswith(N.SELF_SYNCING_MODEL_LIBS) for q in qn):
                # `YOLO("best.pt")`: its calls return when their device work is done
                return ModelInfo(fname, False, False, False, False, session=True, origin=qn)
            if (
                any(q.startswith(N.MODULE_CONSTRUCTORS) for q in qn)
                and fname[:1].isupper()
                and not N.NOT_A_MODEL_MODULE_RE.search(fname)
            ):
                return ModelInfo(fname, False, False, False, False, origin=qn)
            if any(q.startswith(N.MODEL_ZOOS) for q in qn):
                return ModelInfo(fname, False, False, False, False, origin=qn)
            lib = any(
                q.startswith(("diffusers", "transformers", "optimum", "vllm", "tensorrt_llm"))
                for q in qn
            )
            if fname in N.MODEL_FACTORY_NAMES and not lib:
                # `load_model(model_id)` of the project: what it returns, when that is known
                # (a pipeline it loads), else a model by the factory's name
                target = self.callee(scope, func, pos)
                returned = target[0].summary_of(target[1]).returns_model if target else None
                if returned is not None and not returned.dynamic:
                    return returned  # (one from a module it imports at run time: unknown)
            if (
                fname in N.MODEL_FACTORY_NAMES
                or (lib and fname[:1].isupper())
                or (lib and fname in N.ENGINE_LOADERS)
            ):
                owner = N.dotted(func.value) if isinstance(func, cst.Attribute) else fname
                text = " ".join(sorted(qn)) + " " + (owner or "")
                if N.NOT_A_MODEL_RE.search(owner or ""):
                    return None  # a tokenizer, processor, scheduler or config
                pipeline = "Pipeline" in text or "pipe" in fname or "diffusers" in text
                dynamic = isinstance(func, cst.Attribute) and self.is_dynamic_module(
                    scope, func.value, pos
                )
                generator = "ForCausalLM" in text or "Seq2Seq" in text or "transformers" in text
                return ModelInfo(
                    owner or fname,
                    pipeline or dynamic,
                    False,
                    dynamic,
                    generator and not pipeline,
                    origin=qn,
                )
            built = self.class_named(func) if fname[:1].isupper() else None
            if built is not None and built[0].is_model_class(built[1]):
                return ModelInfo(
                    fname, pipeline=False, compiled=False, dynamic=False, generator=False
                )
            target = self.callee(scope, func, pos)
            if target is not None:
                through = _passed_through(target[1])
                if through is not None:  # `pipe = compile_pipe(pipe, ...)` returns what it got
                    arg = self.argument(expr, through, target[1].params.index(through))
                    inner = (
                        self._model_info(scope, arg, pos, depth + 1) if arg is not None else None
                    )
                    if inner is not None:
                        return inner
                return target[0].summary_of(target[1]).returns_model
        return None

    def _annotated_model(self, scope: Scope, param: str) -> ModelInfo | None:
        """A parameter annotated as a model class of torch, transformers or diffusers
        (`def speculative_generate(inputs, drafter: Module, target: Module)`)."""
        annotation = _annotation(scope, param)
        text = N.dotted(annotation) if annotation is not None else None
        if text is None:
            return None
        head, _, rest = text.partition(".")
        last = text.rsplit(".", 1)[-1]
        if not N.MODEL_ANNOTATION_RE.match(last):
            return None
        ref = self.imports.get(head)
        origin = ref.module if ref is not None else ("torch" if head == "nn" and rest else head)
        if origin.split(".")[0] not in N.MODEL_ANNOTATION_LIBS:
            return None
        pipeline = last.endswith("Pipeline")
        return ModelInfo(param, pipeline, False, False, generator=not pipeline and last != "Module")

    def _param_model(self, scope: Scope, param: str, depth: int) -> ModelInfo | None:
        """A parameter holds whatever model the function's callers in this file pass."""
        if param not in scope.params or scope.parent is None:
            return None
        index = scope.params.index(param)
        for site in self.calls_to_function(scope.name):
            arg = self.argument(site.node, param, index)
            if arg is not None:
                info = self._model_info(site.scope, arg, site.start, depth + 1)
                if info is not None:
                    return info
        return None

    @staticmethod
    def argument(call: cst.Call, param: str, index: int) -> cst.BaseExpression | None:
        """The expression a call passes for a parameter (by keyword or position)."""
        kw = N.keyword(call, param)
        if kw is not None:
            return kw.value
        positional = [a for a in call.args if a.keyword is None and not a.star]
        return positional[index].value if index < len(positional) else None

    def int_of(
        self, scope: Scope, expr: cst.BaseExpression, pos: Pos, depth: int = 0
    ) -> tuple[int, str] | None:
        """The integer an expression holds, statically, and how it was found: a literal
        (`range(3)`), a command-line default (`--runs defaults to 3`), a local bound to either,
        `args.n - 2`, or a parameter every caller in this file passes the same value for."""
        if depth > 6:
            return None
        if isinstance(expr, cst.Integer):
            return int(expr.value), f"range({expr.value})"
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.right, cst.Integer):
            left = self.int_of(scope, expr.left, pos, depth + 1)
            k = int(expr.right.value)
            if left is not None and isinstance(expr.operator, cst.Subtract | cst.Add):
                minus = isinstance(expr.operator, cst.Subtract)
                value = left[0] - k if minus else left[0] + k
                return value, f"{left[1]} {'-' if minus else '+'} {k}"
            return None
        if isinstance(expr, cst.Name):
            resolved, rscope, rpos = self.resolve(scope, expr, pos)
            if resolved is not expr:
                return self.int_of(rscope, resolved, rpos, depth + 1)
            param = self._int_of_param(scope, expr.value, depth)
            if param is not None:
                return param
        if isinstance(expr, cst.Attribute | cst.Name):
            name = expr.attr.value if isinstance(expr, cst.Attribute) else expr.value
            default = self.argparse_defaults.get(name)
            if default is not None and default.isdigit():
                option = self.argparse_options.get(name, name)
                return int(default), f"{option} defaults to {default}"
        return None

    def _int_of_param(self, scope: Scope, name: str, depth: int) -> tuple[int, str] | None:
        if scope.parent is None or name not in scope.params:
            return None
        b = next((b for b in scope.bindings_of(name) if b.kind != "param"), None)
        if b is not None:
            return None  # reassigned in the function
        index = scope.params.index(name)
        if scope.cls is not None and scope.params and scope.params[0] in ("self", "cls"):
            return None  # a method: its callers are not plain calls of its name
        found: set[tuple[int, str]] = set()
        sites = self.calls_to_function(scope.name)
        if (
            not sites
            and CLI_ENTRY_RE.search(self.source.replace(" ", ""))
            and (f"({scope.name})" in self.source.replace(" ", ""))
        ):
            return self._cli_param_default(scope, name)
        for site in sites:
            arg = self.argument(site.node, name, index)
            value = self.int_of(site.scope, arg, site.start, depth + 1) if arg else None
            if value is None:
                return None
            found.add(value)
        return found.pop() if len(found) == 1 else None

    def _cli_param_default(self, scope: Scope, name: str) -> tuple[int, str] | None:
        """The integer default of a parameter of a function a command-line entry runs
        (`CLI(main)`, `fire.Fire(main)`, `typer.run(main)`): its option's default."""
        node = scope.node
        if not isinstance(node, cst.FunctionDef):
            return None
        params = node.params
        for param in [*params.params, *params.kwonly_params]:
            if param.name.value == name and isinstance(param.default, cst.Integer):
                value = int(param.default.value)
                return value, f"--{name} defaults to {value}"
        return None

    def reachable_calls(self, calls: list[CallSite], depth: int = 0) -> list[CallSite]:
        """`calls` plus the calls inside functions of this file they call (transitively),
        including methods and functions picked from a collection by a loop."""
        out: list[CallSite] = []
        seen: set[int] = set()
        stack = [(c, 0) for c in calls]
        while stack:
            call, d = stack.pop(0)
            if id(call) in seen:
                continue
            seen.add(id(call))
            out.append(call)
            if d < 4:
                for owner, fn in self.possible_callees(call):
                    if owner is self:
                        stack += [(c, d + 1) for c in fn.calls]
        return out

    def handed_to_executor(self, call: CallSite) -> tuple[FileFacts, Scope] | None:
        """`executor.map(save_image, ...)`, `pool.submit(work, ...)`: the project function
        handed over, which runs while the caller waits for its results."""
        func, args = call.node.func, call.node.args
        if call.qnames & THREAD_STARTERS:  # `threading.Thread(target=send_request, ...)`
            target = N.keyword(call.node, "target")
            if target is None or not isinstance(target.value, cst.Name):
                return None
            return self.callee(call.scope, target.value, call.start)
        if not isinstance(func, cst.Attribute) or func.attr.value not in EXECUTOR_METHODS:
            return None
        if not args or not isinstance(args[0].value, cst.Name):
            return None
        return self.callee(call.scope, args[0].value, call.start)

    def executor_handoffs(self, name: str) -> list[CallSite]:
        """The calls that hand the function `name` of this file to an executor
        (`pool.submit(name, ...)`, `pool.map(name, ...)`): it runs there, not at a call of
        its own. Their arguments do not map onto its parameters one to one."""
        out = []
        for s in self.scopes:
            for c in s.calls:
                if N.call_name(c.node) not in EXECUTOR_METHODS:
                    continue
                handed = self.handed_to_executor(c)
                if handed is not None and handed[0] is self and handed[1].name == name:
                    out.append(c)
        return out

    def possible_callees(self, call: CallSite) -> list[tuple[FileFacts, Scope]]:
        """The functions a call may run: its callee, or for `fn()` where `fn` is a loop
        variable over a collection (`for name, fn in (("a", run_a), ("b", run_b))`), each
        function in the collection."""
        func = call.node.func
        if isinstance(func, cst.Name) and func.value not in self.functions:
            held = self._held_functions(call, func.value)
            if len(held) > 1:  # one of several functions, chosen before the call
                return held
        target = self.callee(call.scope, call.node.func, call.start)
        if target is not None:
            return [target]
        if isinstance(func, cst.Attribute) and func.attr.value in EXECUTOR_METHODS:
            handed = self.handed_to_executor(call)
            return [handed] if handed is not None else []
        if not isinstance(func, cst.Name):
            return []
        b = self.binding_before(call.scope, func.value, call.start)
        if b is None or b.kind not in ("for", "comp"):
            return []
        found = []
        for elem, scope, pos in self.loop_values(b) or []:
            target = self.callee(scope, elem, pos)
            if target is not None:
                found.append(target)
        return found

    def _held_functions(self, call: CallSite, name: str) -> list[tuple[FileFacts, Scope]]:
        """The local functions `name` is assigned in the call's scope before the call
        (`if api == "openai": post = post_openai` / `else: post = post_native`)."""
        out: list[tuple[FileFacts, Scope]] = []
        for b in call.scope.bindings_of(name):
            if b.kind != "assign" or b.end > call.start or b.value is None:
                continue
            for value in self._function_table(b.scope, b.value, b.start):
                held = self.functions.get(value)
                if held is not None and all(h is not held for _, h in out):
                    out.append((self, held))
        return out

    def _function_table(self, scope: Scope, value: cst.BaseExpression, pos: Pos) -> list[str]:
        """The function names a value may be: a name, or an entry of a dict literal of
        functions (`generate_fn = generate_fn_mapping[name]`, `{"base": base_generate, ...}`)."""
        if isinstance(value, cst.Name):
            return [value.value]
        if not isinstance(value, cst.Subscript):
            return []
        table, _, _ = self.resolve(scope, value.value, pos)
        if not isinstance(table, cst.Dict):
            return []
        return [
            el.value.value
            for el in table.elements
            if isinstance(el, cst.DictElement) and isinstance(el.value, cst.Name)
        ]

    def loop_values(self, b: Binding) -> list[tuple[cst.BaseExpression, Scope, Pos]] | None:
        """What a loop target takes, when the loop runs over a literal collection (directly,
        through a name, `.items()`/`.values()`, `list(...)` or `enumerate(...)`)."""
        if b.value is None:
            return None
        elems = self._collection(b.scope, b.value, b.start, 0)
        if elems is None:
            return None
        out: list[tuple[cst.BaseExpression, Scope, Pos]] = []
        for elem, scope, pos in elems:
            if b.index is not None:
                value, scope, pos = self.resolve(scope, elem, pos)
                if not isinstance(value, cst.Tuple | cst.List) or b.index >= len(value.elements):
                    return None
                elem = value.elements[b.index].value
            out.append((elem, scope, pos))
        return out

    def _filled_entries(
        self, scope: Scope, container: cst.BaseExpression, view: str
    ) -> list[tuple[cst.BaseExpression, Scope, Pos]] | None:
        """`d = {}` filled by `d[key] = value` statements: their values (or keys)."""
        key = N.dotted(container)
        if key is None:
            return None
        out: list[tuple[cst.BaseExpression, Scope, Pos]] = []
        for b in scope.bindings:
            if b.target == key + "[]" and b.kind == "assign" and b.value is not None:
                value: cst.BaseExpression = b.value
                if view == "items":
                    value = cst.Tuple([cst.Element(cst.Name("_")), cst.Element(b.value)])
                out.append((value, scope, b.start))
        return out if out and view in ("values", "items") else None

    def _collection(
        self, scope: Scope, expr: cst.BaseExpression, pos: Pos, depth: int
    ) -> list[tuple[cst.BaseExpression, Scope, Pos]] | None:
        if depth > 4:
            return None
        if isinstance(expr, cst.Call):
            name = N.call_name(expr)
            if isinstance(expr.func, cst.Attribute) and name in ("items", "values", "keys"):
                inner, iscope, ipos = self.resolve(scope, expr.func.value, pos)
                if (isinstance(inner, cst.Dict) and not inner.elements) or _empty_dict(inner):
                    return self._filled_entries(iscope, expr.func.value, name)
                if isinstance(inner, cst.Dict):
                    out = []
                    for el in inner.elements:
                        if not isinstance(el, cst.DictElement):
                            return None
                        pick: cst.BaseExpression = (
                            cst.Tuple([cst.Element(el.key), cst.Element(el.value)])
                            if name == "items"
                            else el.value
                            if name == "values"
                            else el.key
                        )
                        out.append((pick, iscope, ipos))
                    return out
                if isinstance(inner, cst.DictComp) and name == "values":
                    return [(inner.value, iscope, ipos)]
                if isinstance(inner, cst.DictComp) and name == "items":
                    pair = cst.Tuple([cst.Element(inner.key), cst.Element(inner.value)])
                    return [(pair, iscope, ipos)]
                return None
            if name in ("list", "tuple", "reversed") and len(expr.args) == 1:
                return self._collection(scope, expr.args[0].value, pos, depth + 1)
            return None
        value, vscope, vpos = self.resolve(scope, expr, pos)
        if isinstance(value, cst.Tuple | cst.List | cst.Set):
            return [(el.value, vscope, vpos) for el in value.elements]
        if isinstance(value, cst.Dict):
            return [
                (el.key, vscope, vpos) for el in value.elements if isinstance(el, cst.DictElement)
            ]
        if isinstance(value, cst.Call) and value is not expr:
            return self._collection(vscope, value, vpos, depth + 1)
        return None

    def is_dynamic_module(self, scope: Scope, expr: cst.BaseExpression, pos: Pos) -> bool:
        value, vscope, vpos = self.resolve(scope, expr, pos)
        if isinstance(value, cst.Call):
            qn = self.qnames_of(value.func)
            if qn & N.DYNAMIC_IMPORTS:
                return True
            if N.call_name(value) in ("load_module", "exec_module") and isinstance(
                value.func, cst.Attribute
            ):
                return True
            target = self.callee(vscope, value.func, vpos)
            if target is not None:
                return target[0].summary_of(target[1]).returns_dynamic_module
        key = N.dotted(expr)
        if key is not None and isinstance(expr, cst.Name):
            b = self.binding_before(scope, key, pos)
            if b is not None and b.kind == "param" and key in ("module", "model_module", "mod"):
                return True
            if b is not None and b.kind == "assign" and isinstance(b.value, cst.Call):
                # `spec.loader.exec_module(module)` after `module = module_from_spec(spec)`
                return bool(self.qnames_of(b.value.func) & N.DYNAMIC_IMPORTS)
        return False

    def is_cli_args(self, scope: Scope, expr: cst.BaseExpression, pos: Pos) -> bool:
        value, vscope, vpos = self.resolve(scope, expr, pos)
        if isinstance(value, cst.Call):
            if N.call_name(value) in ("parse_args", "parse_known_args"):
                return True
            target = self.callee(vscope, value.func, vpos)
            if target is not None:
                return target[0].summary_of(target[1]).returns_cli_args
        if isinstance(expr, cst.Name) and expr.value in (
            "args",
            "opts",
            "cfg",
            "config",
            "options",
        ):
            return bool(self.argparse_defaults) and value is expr
        return False

    # ------------------------------------------------------------------- call kinds
    def _lambda_body(self, call: CallSite, name: str) -> CallSite | None:
        """The call a lambda bound to `name` makes, where `call` calls it: `fn = lambda:
        model.generate(...)` (the call its body is), not a lambda that wraps more than one."""
        b = self.binding_before(call.scope, name, call.start)
        if b is None or b.kind != "assign" or not isinstance(b.value, cst.Lambda):
            return None
        body = b.value.body
        if not isinstance(body, cst.Call):
            return None
        return self.site_of(body)

    def gathered_call(self, call: CallSite) -> CallSite | None:
        """`_gathered_call`, for the analyses: the call each gathered awaitable runs."""
        return self._gathered_call(call)

    def unpacked_from(self, scope: Scope, name: str, pos: Pos) -> tuple[CallSite, int] | None:
        """Where the last assignment of `name` before `pos` unpacks a call's result
        (`latencies, counts = zip(*results)`): the call and `name`'s place in the targets."""
        b = self.binding_before(scope, name, pos)
        if b is None or b.kind != "assign" or b.value is not None:
            return None
        for c in b.scope.calls:
            stmt = c.stmt
            if c.start[0] != b.start[0] or not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if not (isinstance(small, cst.Assign) and small.value is c.node):
                    continue
                target = small.targets[0].target
                if isinstance(target, cst.Tuple | cst.List):
                    for i, el in enumerate(target.elements):
                        if isinstance(el.value, cst.Name) and el.value.value == name:
                            return c, i
        return None

    def _gathered_call(self, call: CallSite) -> CallSite | None:
        """The call each awaitable runs, where `call` waits for a list of them built before
        it (`await asyncio.gather(*tasks)` with `tasks = [send(client, i) for i in range(n)]`,
        `asyncio.create_task(...)` around it or not)."""
        for arg in call.node.args:
            if arg.star != "*" or not isinstance(arg.value, cst.Name):
                continue
            b = self.binding_before(call.scope, arg.value.value, call.start)
            if b is None or b.kind != "assign" or b.value is None:
                continue
            value = b.value
            if isinstance(value, cst.ListComp | cst.GeneratorExp):
                elt: cst.BaseExpression = value.elt
            elif isinstance(value, cst.List) and len(value.elements) == 1:
                elt = value.elements[0].value
            else:
                continue
            if (
                isinstance(elt, cst.Call)
                and N.call_name(elt) in ("create_task", "ensure_future")
                and elt.args
            ):
                elt = elt.args[0].value
            if isinstance(elt, cst.Call):
                return self.site_of(elt)
        return None

    def call_kind(self, call: CallSite) -> CallKind:
        node = call.node
        qn = call.qnames
        fname = N.call_name(node)
        if qn & N.HOST_TIMERS:
            return CallKind(timer=sorted(qn & N.HOST_TIMERS)[0])
        if qn & N.EXPLICIT_SYNCS or fname in N.SYNC_METHODS:
            return CallKind(sync=SyncKind.EXPLICIT)
        func = node.func
        target_fn = self.callee(call.scope, func, call.start)
        if target_fn is not None:
            owner, fscope = target_fn
            s = owner.summary_of(fscope)
            if s.returns_timer:
                return CallKind(timer=N.dotted(func) or fscope.name, timer_synced=s.timer_synced)
            instance = fscope.name == "__call__" and isinstance(func, cst.Name)
            # a method of an object of a class of the project that runs the model it holds
            # (`inference = Qwen3Inference(path)`, then `inference.generate(prompt)`)
            holder = (
                func.value.value
                if isinstance(func, cst.Attribute)
                and isinstance(func.value, cst.Name)
                and func.value.value not in ("self", "cls")
                and fscope.cls is not None
                and s.runs_model
                else None
            )
            if s.does_work or s.syncs:
                return CallKind(
                    work=s.does_work,
                    sync=SyncKind.HELPER if s.ends_synced else None,
                    model=self._model_argument(call, (owner, fscope))
                    or s.serves
                    # an instance called itself (`pipe(inputs)`) is the object timed
                    or (N.dotted(func) if instance and s.runs_model else None)
                    or holder,
                    runs_model=s.runs_model,
                )
            if not instance:
                return CallKind()
            # an instance's `__call__` that shows no work of its own (it wraps a model it was
            # handed): the call is judged by the object, below
        if isinstance(func, cst.Name) and target_fn is None:
            body = self._lambda_body(call, func.value)
            if body is not None:  # `fn = lambda: model.generate(...)`, then `fn()`
                return self.kind(body)
        if isinstance(func, cst.Name) and func.value not in self.functions:
            held = self._held_functions(call, func.value)
            if len(held) > 1:  # one of several functions, chosen from a table or by a flag
                sums = [owner.summary_of(fscope) for owner, fscope in held]
                if any(s.does_work for s in sums):
                    synced = all(s.ends_synced for s in sums if s.does_work)
                    served = next((s.serves for s in sums if s.serves), None)
                    return CallKind(
                        work=True,
                        sync=SyncKind.HELPER if synced else None,
                        model=self._model_argument(call, held[0]) or served,
                        runs_model=any(s.runs_model for s in sums),
                    )
        if isinstance(func, cst.Attribute) and fname in N.HOST_COPY_METHODS and not node.args:
            return CallKind(sync=SyncKind.HOST_COPY)
        if N.is_processor_postprocess(node) and self._pipeline_returns_host_data(call):
            # `pipe.image_processor.postprocess(x, output_type="pil")` copies to the host
            return CallKind(sync=SyncKind.HOST_COPY)
        if self.serving_client:
            request = self._request(call)
            if request is not None:  # a client benchmark: the request is the timed work
                return CallKind(work=True, model=request, sync=SyncKind.HOST_COPY)
        if qn & AWAIT_ALL:
            gathered = self._gathered_call(call)
            if gathered is not None:  # `tasks = [send(c, i) for i in ...]`, `gather(*tasks)`
                return self.kind(gathered)
        if (isinstance(func, cst.Attribute) and fname in EXECUTOR_METHODS) or (
            qn & THREAD_STARTERS
        ):
            handed = self.handed_to_executor(call)
            if handed is not None:  # `pool.submit(generate, ...)`: the work of `generate`
                s = handed[0].summary_of(handed[1])
                if s.does_work:
                    return CallKind(
                        work=True,
                        sync=SyncKind.HELPER if s.ends_synced else None,
                        model=s.serves,  # a request a client sends from the thread
                    )
        # A call of a model or pipeline object, or of its generate().
        target: cst.BaseExpression | None = None
        method = False  # an inference method other than the call itself (`vae.decode(...)`)
        if isinstance(func, cst.Name | cst.Subscript):
            target = func
        elif isinstance(func, cst.Attribute) and fname in ("generate", "forward", "__call__"):
            target = func.value
        elif isinstance(func, cst.Attribute) and fname in N.SESSION_RUNS:
            target, method = func.value, True  # `sess.run(None, feeds)`: only a session's
        elif isinstance(func, cst.Attribute) and N.is_inference_method(fname or ""):
            target, method = func.value, True
        elif isinstance(func, cst.Attribute) and fname in N.ENGINE_RUNS:
            target, method = func.value, True  # `generator.generate_tokens(...)`: an engine's
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name | cst.Attribute):
            # `self.pipe(...)` / `runner.model(...)`: the attribute itself is the object
            # (not a factory that builds one: `SAM.get_model()`, `self.load_model(path)`)
            if (
                N.MODEL_NAME_RE.match(func.attr.value)
                and not N.MODEL_BUILDER_RE.match(func.attr.value)
                and not self.is_dynamic_module(call.scope, func.value, call.start)
            ):
                target = func
        if target is not None:
            info = self.model_info(call.scope, target, call.start)
            if (
                info is not None
                and fname in N.SESSION_RUNS | N.ENGINE_RUNS
                and not N.is_inference_method(fname or "")
                and fname not in ("generate", "forward", "__call__")
                and not info.session
            ):
                info = None  # `.run()`, `.translate_batch()` of anything else is no model call
            if info is not None:
                sync: SyncKind | None = None
                if info.session:
                    sync = SyncKind.HOST_COPY  # the session returns when its run has finished
                elif fname == "generate" or fname in N.TEXT_RETURNING_METHODS:
                    sync = SyncKind.HOST_COPY  # token ids synced step by step, or decoded text
                elif info.pipeline and not method and self._pipeline_returns_host_data(call):
                    sync = SyncKind.HOST_COPY
                elif fname == "encode" and self._encodes_to_numpy(call, target):
                    sync = SyncKind.HOST_COPY
                elif self._read_as_text(call):
                    sync = SyncKind.HOST_COPY  # `answer[0]["generated_text"]`: host strings
                return CallKind(work=True, model=info.name, pipeline_call=True, sync=sync)
        # `module.inference(pipe, prompts)`: work through a function the model module defines
        if isinstance(func, cst.Attribute) and self.is_dynamic_module(
            call.scope, func.value, call.start
        ):
            model = self._model_argument(call)
            if model is not None:
                return CallKind(work=True, model=model, opaque=True)
        if any(q.startswith("torch.") and not q.startswith(N.TORCH_NON_WORK_PREFIXES) for q in qn):
            return CallKind(work=True)
        handed_model = self._handed_model_method(call)
        if handed_model is not None:  # `diffusion.p_sample_loop(model.forward_with_cfg, ...)`
            return CallKind(work=True, model=handed_model)
        if isinstance(func, cst.Name) and func.value in call.scope.params:
            return self._callable_param_kind(call.scope, func.value)
        return CallKind()

    def _handed_model_method(self, call: CallSite) -> str | None:
        """A function this file cannot see into, handed a model's forward or inference method
        to run (`diffusion.p_sample_loop(model.forward_with_cfg, shape, ...)`, a sampler from
        another package): the model's name. Wrapping it (`partial`, a hook, a compile or
        trace) runs nothing."""
        fname = N.call_name(call.node) or ""
        if N.HANDS_ON_WITHOUT_RUNNING_RE.search(fname):
            return None
        for arg in call.node.args:
            value, scope, pos = self.resolve(call.scope, arg.value, call.start)
            if (
                isinstance(value, cst.Call)
                and value.args
                and "partial" in (N.call_name(value) or "")
            ):  # `guided = partial(model.forward_with_cfg, cfg_scale=4.0)` handed on
                value = value.args[0].value
            if not isinstance(value, cst.Attribute) or not isinstance(
                value.value, cst.Name | cst.Attribute
            ):
                continue
            method = value.attr.value
            if not (
                method.startswith("forward")
                or method == "__call__"
                or N.is_inference_method(method)
            ):
                continue
            info = self.model_info(scope, value.value, pos)
            if info is not None and not info.session:
                return info.name
        return None

    @property
    def serving_client(self) -> bool:
        """A client of an inference server that loads no model itself (`serving`)."""
        found = self.memo.get("serving-client")
        if found is None:
            found = self.memo["serving-client"] = serving.is_serving_client(self.source)
        return bool(found)

    def _request(self, call: CallSite) -> str | None:
        func = call.node.func
        constructed: frozenset[str] = frozenset()
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            b = self.binding_before(call.scope, func.value.value, call.start)
            value = b.value if b is not None else None
            if isinstance(value, cst.Call):
                constructed = self.qnames_of(value.func)
        return serving.request_target(func, call.qnames, constructed)

    def _callable_param_kind(self, scope: Scope, param: str, depth: int = 0) -> CallKind:
        """`fn(*args)` in a timing helper: the work of whatever its callers pass. It syncs only
        when every caller in this file passes a callable that ends synchronised or queues no
        device work: a local function, a lambda, or (a helper handing on its own parameter,
        `time_once(f)`) whatever that helper's callers pass."""
        index = scope.params.index(param)
        sites = self.calls_to_function(scope.name)
        passed = [self.argument(site.node, param, index) for site in sites]
        default = next((b.value for b in scope.bindings_of(param) if b.kind == "param"), None)
        if N.LOGGER_PARAM_RE.match(param) or (
            default is not None and N.LOGGING_CALLABLE_RE.match(N.dotted(default) or "")
        ):
            return CallKind()  # `def log_rank_n(msg, logger=logging.info)`: a logger
        if passed and all(
            a is not None and N.LOGGING_CALLABLE_RE.match(N.dotted(a) or "") for a in passed
        ):
            return CallKind()  # `run(msg, logger.info)`: a logger, no device work
        synced = bool(passed) and all(
            self._ends_synced(a)
            or (
                depth < 3
                and isinstance(a, cst.Name)
                and a.value in site.scope.params
                and self._callable_param_kind(site.scope, a.value, depth + 1).sync is not None
            )
            for a, site in zip(passed, sites, strict=True)
        )
        return CallKind(work=True, sync=SyncKind.HELPER if synced else None)

    def _ends_synced(self, handed: cst.BaseExpression | None) -> bool:
        """A callable handed to a timing helper waits for its work: a local function that ends
        synchronised, or a lambda whose call does (`lambda: generator.generate(prompt, ...)`
        returning text)."""
        if isinstance(handed, cst.Name):
            return handed.value in self.functions and self.summary(handed.value).ends_synced
        if isinstance(handed, cst.Lambda) and isinstance(handed.body, cst.Call):
            body = self.site_of(handed.body)
            if body is None:
                return False
            kind = self.kind(body)
            return kind.sync is not None or not kind.work  # (no device work to wait for)
        return False

    def _model_argument(
        self, call: CallSite, callee: tuple[FileFacts, Scope] | None = None
    ) -> str | None:
        """The model a call hands over. To a known function (`callee`), only when the function
        may run it: a helper that reads only the model's parameters or device
        (`warmup(model)` running an unrelated matmul on `next(model.parameters()).device`) does
        not run the model."""
        for i, arg in enumerate(call.node.args):
            info = self.model_info(call.scope, arg.value, call.start)
            name = info.name if info is not None else None
            if name is None and callee is not None:
                # handed to a parameter the function declares a model (`verifier: Module`)
                param = self.param_for(call, callee[1], i)
                if param is not None and callee[0]._annotated_model(callee[1], param):
                    name = N.dotted(arg.value)
            if name is None:
                continue
            if callee is not None and self.only_inspected(call, callee, i):
                continue
            return name
        return None

    @staticmethod
    def param_for(call: CallSite, fscope: Scope, index: int) -> str | None:
        """The parameter of `fscope` that argument `index` of `call` binds."""
        arg = call.node.args[index]
        if arg.star:
            return None
        if arg.keyword is not None:
            return arg.keyword.value
        # `obj.method(model)`: the method's first parameter is `self`
        index += 1 if fscope.cls is not None and isinstance(call.node.func, cst.Attribute) else 0
        return fscope.params[index] if index < len(fscope.params) else None

    @classmethod
    def only_inspected(cls, call: CallSite, callee: tuple[FileFacts, Scope], index: int) -> bool:
        """The function `callee` only reads what its argument `index` of `call` is (its
        parameters, device, config): it never runs it (`FileFacts.only_inspects`)."""
        owner, fscope = callee
        param = cls.param_for(call, fscope, index)
        return param is not None and owner.only_inspects(fscope, param)

    def only_inspects(self, scope: Scope, param: str) -> bool:
        """Every use of the parameter `param` in the function reads what the model is (its
        parameters, device, dtype, config), never runs or hands it on."""
        if not isinstance(scope.node, cst.FunctionDef) or param not in scope.params:
            return False
        memo: dict[tuple[int, str], bool] = self.memo.setdefault("only-inspects", {})
        key = (id(scope), param)
        if key not in memo:
            uses = [n for n in N.name_nodes(scope.node.body) if n.value == param]
            memo[key] = bool(uses) and all(
                isinstance(parent := self.parents.get(n), cst.Attribute)
                and parent.value is n
                and parent.attr.value in N.INSPECTING_ATTRIBUTES
                for n in uses
            )
        return memo[key]

    def _encodes_to_numpy(self, call: CallSite, model: cst.BaseExpression) -> bool:
        """sentence-transformers' `encode()` returns numpy arrays unless told otherwise."""
        for name in ("convert_to_numpy", "convert_to_tensor"):
            arg = N.keyword(call.node, name)
            if arg is not None and isinstance(arg.value, cst.Name):
                return (arg.value.value == "True") == (name == "convert_to_numpy")
        value, _, _ = self.resolve(call.scope, model, call.start)
        while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
            if N.call_name(value) not in ("to", "cuda", "half", "eval"):
                break
            value = value.func.value
        return isinstance(value, cst.Call) and any(
            q.startswith("sentence_transformers") for q in self.qnames_of(value.func)
        )

    def _read_as_text(self, call: CallSite) -> bool:
        """The call's result is read as generated text (`out = llm(prompt)` then
        `out[0]["generated_text"]`, or the subscript on the call itself): a wrapper that returns
        strings has copied its tokens to the host and decoded them before returning."""
        node: cst.CSTNode = call.node
        parent = self.parents.get(node)
        while isinstance(parent, cst.Subscript | cst.SubscriptElement | cst.Index):
            if isinstance(parent, cst.Subscript) and N.TEXT_OUTPUT_KEY_RE.search(N.code(parent)):
                return True
            node, parent = parent, self.parents.get(parent)
        if not isinstance(parent, cst.Assign) or len(parent.targets) != 1:
            return False
        target = parent.targets[0].target
        if not isinstance(target, cst.Name):
            return False
        name = re.escape(target.value)
        return bool(re.search(rf"\b{name}\s*(\[[^\]]*\]\s*)*{N.TEXT_OUTPUT_KEY}", self.source))

    def _pipeline_returns_host_data(self, call: CallSite) -> bool:
        arg = N.keyword(call.node, "output_type")
        if arg is None:
            return True  # diffusers defaults to PIL images
        value = N.string_value(arg.value)
        if value is None and isinstance(arg.value, cst.Name):  # `OUTPUT_TYPE = "pil"`
            resolved, _, _ = self.resolve(call.scope, arg.value, call.start)
            value = N.string_value(resolved)
        return value is not None and value in N.HOST_OUTPUT_TYPES

    def kind(self, call: CallSite) -> CallKind:
        """What `call` does, worked out when first asked (a project module is asked about the
        few calls the checked file reaches, not every call it holds)."""
        key = id(call)
        found = self._kinds.get(key)
        if found is None:
            found = self._kinds[key] = self.call_kind(call)
        return found

    # ------------------------------------------------------------- function summaries
    def summary(self, name: str) -> FuncSummary:
        scope = self.functions.get(name)
        return self.summary_of(scope) if scope is not None else FuncSummary()

    def summary_of(self, scope: Scope) -> FuncSummary:
        key = id(scope)
        if key in self._summaries:
            return self._summaries[key]
        if key in self._in_progress:
            return FuncSummary()
        self._in_progress.add(key)
        try:
            result = self._summarise(scope)
        finally:
            self._in_progress.discard(key)
        self._summaries[key] = result
        return result

    # ------------------------------------------------------- callees, here and in siblings
    def sibling(self, local: str) -> tuple[FileFacts, str] | None:
        """The facts of the project module a name was imported from, and its name there."""
        ref = self.imports.get(local)
        if ref is None or ref.name is None or self.project is None or self.leaf:
            return None
        self._add_sys_path_folders()
        memo: dict[str, tuple[FileFacts, str] | None] = self.memo.setdefault("siblings", {})
        if local not in memo:
            memo[local] = None
            found = self.project.find(ref.module, ref.level)
            facts = module_facts(self.project, found) if found is not None else None
            result = (facts, ref.name) if facts is not None else None
            hops = self.memo.get("re-exports", 0)
            if (
                facts is not None
                and not self.derived
                and hops < MAX_REEXPORTS
                and ref.name not in facts.functions
                and ref.name not in facts.classes
                and ref.name in facts.imports
            ):
                self.memo["re-exports"] = hops + 1
                # a package's `__init__` that re-exports it: `from .sub import name`; the
                # module it comes from is read for its own code only (a leaf), so one import
                # of a large package does not walk the package
                target = facts.sibling(ref.name)
                if target is not None:
                    target[0].leaf = True
                    result = target
            memo[local] = result
        return memo[local]

    def _add_sys_path_folders(self) -> None:
        """Once per file: the folders its module-level code adds to `sys.path` join the
        folders its imports are looked for in (`analyses.syspath`)."""
        if "sys-path" in self.memo or self.project is None or self.project.file_path is None:
            return
        self.memo["sys-path"] = True
        if "sys.path" not in self.source:
            return
        folders = self.project.search_folders()
        if folders:
            file = self.project.file_path
            self.project.extra_folders = syspath.added_folders(self, file, folders[-1])

    def where(self, other: FileFacts, line: int) -> str:
        """A line of another project module, named as the reader of this file finds it: its
        path relative to this file's folder (`../run.py:18`, `utils/gen.py:15`)."""
        here = self.project.file_path if self.project is not None else None
        there = other.project.file_path if other.project is not None else None
        if there is None:
            return f"another module, line {line}"
        name = there.name
        if here is not None:
            name = os.path.relpath(there, here.parent)
        return f"{name}:{line}"

    def line_ref(self, owner: FileFacts, line: int) -> str:
        """A line of `owner` as the reader of this file finds it: `line 18` here, the other
        module's path and line elsewhere (`where`)."""
        return f"line {line}" if owner is self else self.where(owner, line)

    def callers_elsewhere(self, scope: Scope) -> list[tuple[FileFacts, CallSite]]:
        """For a module-level function nothing in this file calls (a library entry point), its
        calls in the project modules that import it; otherwise none."""
        if (
            scope.cls is not None
            or scope.parent is None
            or not isinstance(scope.parent.node, cst.Module)
            or self.calls_to_function(scope.name)
        ):
            return []
        return self.calls_from_importers(scope.name)

    def handed_by_importers(self, scope: Scope) -> bool:
        """A module-level function nothing in this file calls, which a module importing it
        hands on as a value (`run_cell(complete, ...)`): it runs where we cannot follow."""
        self.callers_elsewhere(scope)  # (reads the importers once, noting what they hand on)
        return scope.name in self.memo.get("handed-by-importers", set())

    def installed_as_hook(self, scope: Scope) -> bool:
        """A function this file never calls but installs for others to call: assigned over a
        method (`transformer.forward = wrapped_forward`, `setattr(block, "forward", timed)`)
        or returned as a wrapper (`def timed(fn): def wrapper(...): ...; return wrapper`).
        Its callers, how often they call it and what ran first are not here."""
        if scope.parent is None or scope.cls is not None or self.calls_to_function(scope.name):
            return False
        name = re.escape(scope.name)
        pattern = re.compile(
            rf"(?:\.\w+\s*=\s*{name}\s*(?:#.*)?$|^\s*return\s+{name}\s*$"
            rf"|setattr\([^)]*,\s*{name}\s*\))",
            re.M,
        )
        return pattern.search(self.source) is not None

    def calls_of(self, scope: Scope) -> list[CallSite]:
        """The calls in this file of the function or method `scope`."""
        if scope.cls is not None:
            return self.calls_of_method(scope)
        return self.calls_to_function(scope.name)

    def calls_of_method(self, method: Scope) -> list[CallSite]:
        """The calls in this file of the method `method`: `self.generate(...)` in its class, or
        `runner.generate(...)` on an instance of it (not `self._llm.generate(...)`, a method
        of another object with the same name). Answered once per method."""
        memo: dict[int, list[CallSite]] = self.memo.setdefault("calls-of-method", {})
        if id(method) not in memo:
            memo[id(method)] = [
                c
                for s in self.scopes
                if s is not method
                for c in s.calls
                if self._calls_method(c, method)
            ]
        return memo[id(method)]

    def _calls_method(self, call: CallSite, method: Scope) -> bool:
        func = call.node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != method.name:
            return False
        if N.dotted(func.value) == "self":
            return call.scope.cls == method.cls
        owner = self.class_of(call.scope, func.value, call.start)
        return owner is not None and owner[1].name == method.cls

    def method_calls_from_importers(self, scope: Scope) -> list[tuple[FileFacts, CallSite]]:
        """For a method of a module-level class, the calls of a method of that name in the
        project modules that import the class (`from hydit.inference import End2End`, then
        `gen.predict(...)`), in file order. The receiver's type is not followed (it may come
        from a factory or a tuple): the import of the class and the method's name decide."""
        if self.project is None or self.project.file_path is None or scope.cls is None:
            return []
        info = self.classes.get(scope.cls)
        if info is None or self.parents.get(info.node) is not self.module_scope.node:
            return []
        out: list[tuple[FileFacts, CallSite]] = []
        for module in self.project.importers_naming(scope.cls, imported=True):
            user = module_facts(self.project, module)
            if user is None:
                continue
            imported = False
            for local, ref in user.imports.items():
                if ref.name != scope.cls:
                    continue
                sib = user.sibling(local)
                if sib is not None and sib[0].project is not None:
                    imported |= sib[0].project.file_path == self.project.file_path
            if not imported:
                continue
            out += [
                (user, c)
                for s in user.scopes
                for c in s.calls
                if isinstance(c.node.func, cst.Attribute) and c.node.func.attr.value == scope.name
            ]
        return out

    def calls_from_importers(self, name: str) -> list[tuple[FileFacts, CallSite]]:
        """Calls of this file's module-level function `name` in the project modules that import
        it (`from libs.bench import run` then `run(...)`, under any local alias), in file order.
        """
        if self.project is None or self.project.file_path is None:
            return []
        memo: dict[str, list[tuple[FileFacts, CallSite]]] = self.memo.setdefault("importers", {})
        if name in memo:
            return memo[name]
        memo[name] = []
        out: list[tuple[FileFacts, CallSite]] = []
        for module in self.project.importers_naming(name, imported=True):
            user = module_facts(self.project, module)
            if user is None:
                continue
            for local, ref in user.imports.items():
                if ref.name != name:
                    continue
                sib = user.sibling(local)
                if sib is None or sib[0].project is None:
                    continue
                if sib[0].project.file_path != self.project.file_path:
                    continue
                out += [(user, site) for site in user.calls_to_function(local)]
                if re.search(rf"[(,=]\s*{re.escape(local)}\s*[,)]", user.source):
                    self.memo.setdefault("handed-by-importers", set()).add(name)
        memo[name] = out
        return out

    def callee(
        self, scope: Scope, func: cst.BaseExpression, pos: Pos
    ) -> tuple[FileFacts, Scope] | None:
        """The function a call runs, when it is defined in this file or a sibling module: a
        function by name, `self.method`, a method of an instance of a known class, or the
        `__call__` of an instance called itself."""
        if isinstance(func, cst.Name):
            if func.value in self.functions:
                return self, self.functions[func.value]
            sib = self.sibling(func.value)
            if sib is not None and sib[1] in sib[0].functions:
                return sib[0], sib[0].functions[sib[1]]
            # `post = post_openai` (chosen by a flag), then `post(url, prompt)`
            b = self.binding_before(scope, func.value, pos)
            if b is not None and b.kind == "assign" and isinstance(b.value, cst.Name):
                held = self.functions.get(b.value.value)
                return (self, held) if held is not None else None
            # `pipe = DSPipeline(...)`, then `pipe(inputs)`: the class's `__call__`
            if b is not None and b.kind == "assign" and isinstance(b.value, cst.Call):
                owner = self.class_of(scope, func, pos)
                if owner is not None and "__call__" in owner[1].methods:
                    return owner[0], owner[1].methods["__call__"]
            return None
        if not isinstance(func, cst.Attribute):
            return None
        owner = self.class_of(scope, func.value, pos)
        if owner is not None:
            facts, info = owner
            method = info.methods.get(func.attr.value)
            if method is not None:
                return facts, method
        return None

    def class_of(
        self, scope: Scope, expr: cst.BaseExpression, pos: Pos
    ) -> tuple[FileFacts, ClassInfo] | None:
        """The class of `self` in a method, or of a name bound to `Cls(...)`."""
        if isinstance(expr, cst.Name) and expr.value == "self" and scope.cls in self.classes:
            return self, self.classes[scope.cls]
        value, vscope, vpos = self.resolve(scope, expr, pos)
        if isinstance(value, cst.Call):
            return self.class_named(value.func) or self._class_built_by(vscope, value, vpos)
        if isinstance(value, cst.Name) and value.value in vscope.params and vscope.parent:
            return self._class_of_param(vscope, value.value)
        return None

    def _class_of_param(self, scope: Scope, param: str) -> tuple[FileFacts, ClassInfo] | None:
        """The class of what this file's callers pass as `param`, if they agree (once per
        function and parameter: every read of the parameter asks the same question)."""
        memo: dict[tuple[int, str], tuple[FileFacts, ClassInfo] | None]
        memo = self.memo.setdefault("param-class", {})
        key = (id(scope), param)
        if key not in memo:
            index = scope.params.index(param)
            found: dict[int, tuple[FileFacts, ClassInfo]] = {}
            for site in self.calls_to_function(scope.name):
                arg = self.argument(site.node, param, index)
                cls = self._class_of_arg(site, arg) if arg is not None else None
                if cls is not None:
                    found[id(cls[1])] = cls
            memo[key] = next(iter(found.values())) if len(found) == 1 else None
        return memo[key]

    def annotated_class(self, scope: Scope, param: str) -> tuple[FileFacts, ClassInfo] | None:
        """`def run(settings: BenchmarkSettings)`: a project class named by the annotation."""
        annotation = _annotation(scope, param)
        if annotation is None:
            return None
        if isinstance(annotation, cst.SimpleString):  # `"BenchmarkSettings"`
            text = N.string_value(annotation) or ""
            annotation = cst.Name(text) if text.isidentifier() else annotation
        return self.class_named(annotation)

    def _class_built_by(
        self, scope: Scope, call: cst.Call, pos: Pos
    ) -> tuple[FileFacts, ClassInfo] | None:
        """`build_predictor(cfg)`, a project factory that returns `Predictor(...)`: that class
        (every return agreeing)."""
        target = self.callee(scope, call.func, pos)
        if target is None:
            return None
        owner, fn = target
        found: dict[int, tuple[FileFacts, ClassInfo]] = {}
        for ret in fn.returns:
            if ret.value is None:
                continue
            start, _ = owner.pos(ret)
            value, _, _ = owner.resolve(fn, ret.value, start)
            cls = owner.class_named(value.func) if isinstance(value, cst.Call) else None
            if cls is None:
                return None
            found[id(cls[1])] = cls
        return next(iter(found.values())) if len(found) == 1 else None

    def _class_of_arg(
        self, site: CallSite, arg: cst.BaseExpression
    ) -> tuple[FileFacts, ClassInfo] | None:
        if isinstance(arg, cst.Call):
            return self.class_named(arg.func)
        if isinstance(arg, cst.Name) and arg.value != "self":
            value, _, _ = self.resolve(site.scope, arg, site.start)
            if isinstance(value, cst.Call):
                return self.class_named(value.func)
        return None

    def is_model_class(self, cls: ClassInfo, depth: int = 0) -> bool:
        """A class of this file that derives from `torch.nn.Module` (or a model base of
        transformers or diffusers), directly or through project classes."""
        if any(q.startswith(N.MODEL_BASE_PREFIXES) for q in cls.bases):
            return True
        if depth > 3:
            return False
        for base in cls.node.bases:
            if depth > 0 and not (
                isinstance(base.value, cst.Name) and base.value.value in self.classes
            ):
                continue  # past the first module hop, only bases defined beside the class
            found = self.class_named(base.value)
            if found is not None and found[1] is not cls:
                if found[0].is_model_class(found[1], depth + 1):
                    return True
        return False

    def class_named(self, expr: cst.BaseExpression) -> tuple[FileFacts, ClassInfo] | None:
        if not isinstance(expr, cst.Name):
            return None
        if expr.value in self.classes:
            return self, self.classes[expr.value]
        sib = self.sibling(expr.value)
        if sib is not None and sib[1] in sib[0].classes:
            return sib[0], sib[0].classes[sib[1]]
        return None

    def _summarise(self, scope: Scope) -> FuncSummary:
        kinds = [(c, self.kind(c)) for c in sorted(scope.calls, key=lambda c: c.end)]
        does_work = any(k.work for _, k in kinds)
        runs_model = any(k.model is not None or k.pipeline_call or k.runs_model for _, k in kinds)
        syncs = any(k.sync is not None for _, k in kinds)
        # (joining the results a synchronised loop produced, `torch.cat(tokens)`, or stepping a
        # position counter takes microseconds: the function still ends synchronised)
        last_work = max((c.end for c, k in kinds if k.work and not _light(c)), default=None)
        if last_work is None and does_work:
            last_work = max(c.end for c, k in kinds if k.work)
        ends_synced = last_work is not None and any(
            k.sync is not None and c.end >= last_work for c, k in kinds
        )
        returns_timer: str | None = None
        timer_synced = False
        timer_at: Pos | None = None
        returns_model: ModelInfo | None = None
        dynamic = False
        cli = False
        for ret in scope.returns:
            if ret.value is None:
                continue
            start, _ = self.pos(ret)
            value, vscope, vpos = self.resolve(scope, ret.value, start)
            read = value
            if isinstance(value, cst.Dict):  # `measures = {"time": time.time()}; return measures`
                read = next(
                    (
                        el.value
                        for el in value.elements
                        if isinstance(el, cst.DictElement)
                        and isinstance(el.value, cst.Call)
                        and self.qnames_of(el.value.func) & N.HOST_TIMERS
                    ),
                    value,
                )
            if isinstance(read, cst.Call):
                qn = self.qnames_of(read.func)
                if qn & N.HOST_TIMERS:
                    returns_timer = sorted(qn & N.HOST_TIMERS)[0]
                    timer_at, _ = self.pos(read)
                    timer_synced = any(k.sync is not None and c.end <= timer_at for c, k in kinds)
            if isinstance(value, cst.Call) and N.call_name(value) in (
                "parse_args",
                "parse_known_args",
            ):
                cli = True
            info = self.model_info(vscope, value, vpos)
            if info is not None and returns_model is None:
                returns_model = info
            if self.is_dynamic_module(vscope, value, vpos) or (
                isinstance(value, cst.Name) and self.is_dynamic_module(scope, value, start)
            ):
                dynamic = True
        closes = self._closes_param(scope, kinds) if scope.params else None
        if closes is not None:
            timer_at = closes[1]
        return FuncSummary(
            does_work=does_work,
            ends_synced=ends_synced or (syncs and not does_work),
            syncs=syncs,
            returns_timer=returns_timer,
            timer_synced=timer_synced,
            timer_at=timer_at,
            closes_param=closes[0] if closes else None,
            closes_clock=closes[2] if closes else "",
            closes_synced=closes[3] if closes else False,
            returns_model=returns_model,
            returns_dynamic_module=dynamic,
            returns_cli_args=cli,
            runs_model=runs_model,
            serves=next((k.model for _, k in kinds if k.model and k.work), None)
            if self.serving_client
            else None,
        )

    def _closes_param(
        self, scope: Scope, kinds: list[tuple[CallSite, CallKind]]
    ) -> tuple[int, Pos, str, bool] | None:
        """`time.time() - start`, `time.time() - start_measures["time"]` or `- run.t0` with
        `start` a parameter: the function closes an interval its caller opened. The
        parameter's index, where the clock is read, the clock, and whether a synchronisation
        comes before the read."""
        for sub in self.binary_operations(scope, cst.Subtract):
            param = subtracted_param(scope, sub)
            if param is None:
                continue
            left, _, _ = self.resolve(scope, sub.left, self.pos(sub)[0])
            if not isinstance(left, cst.Call):
                continue
            clock = self.qnames_of(left.func) & N.HOST_TIMERS
            if not clock:
                continue
            at, _ = self.pos(left)
            synced = any(k.sync is not None and c.end <= at for c, k in kinds)
            return scope.params.index(param), at, sorted(clock)[0], synced
        return None

    def binary_operations(self, scope: Scope, operator: type) -> list[cst.BinaryOperation]:
        """`a <op> b` expressions in the scope's own code (not in nested functions)."""
        key = (id(scope), operator)
        if key not in self._binops:
            self._binops[key] = [b for b in scope.binops if isinstance(b.operator, operator)]
        return self._binops[key]

    # -------------------------------------------------------------------- structure
    def assigned_by(self, node: cst.CSTNode) -> set[str]:
        """The names the simple statement holding `node` assigns (`batch_time = (now() - t0) /
        1e6`, `llm = Llama(path)`, `a, b = ...`)."""
        stmt = self.enclosing_statement(node)
        found: set[str] = set()
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    for t in small.targets:
                        found |= N.names_in(t.target)
                elif isinstance(small, cst.AugAssign | cst.AnnAssign):
                    found |= N.names_in(small.target)
        return found

    def behind_opt_in_flag(self, scope: Scope, node: cst.CSTNode, pos: Pos) -> bool:
        """`node` runs only when a command-line flag that is off by default is given (`if
        args.clear_every_run: gc.collect()`, with `action="store_true"`): the default run
        does not run it."""
        return any(
            side == "body"
            and isinstance(anc.test, cst.Attribute)
            and anc.test.attr.value in self.argparse_opt_in
            and self.is_cli_args(scope, anc.test.value, pos)
            for anc, side in self.enclosing_ifs(node, scope)
        )

    def appends_of(
        self, scope: Scope, node: cst.CSTNode, names: set[str] | frozenset[str] = frozenset()
    ) -> list[CallSite]:
        """The `.append(...)` calls of `scope` that store `node`'s value in a list: one that
        holds `node` (`runs.append(time.perf_counter() - t0)`), or one after it that appends a
        name the value was stored in (`dt = ...; runs.append(dt)`, `names`). The list is
        `N.dotted(call.node.func.value)`."""
        start, end = self.pos(node)
        out: list[CallSite] = []
        for c in scope.calls:
            if (
                not c.node.args
                or not isinstance(c.node.func, cst.Attribute)
                or c.node.func.attr.value != "append"
                or c.end < end
            ):
                continue
            if c.start <= start or N.names_in(c.node.args[0].value) & names:
                out.append(c)  # (a call whose range holds `node` holds it in its arguments)
        return out

    def enclosing_statement(self, node: cst.CSTNode) -> cst.CSTNode | None:
        cur: cst.CSTNode | None = node
        while cur is not None and not isinstance(cur, cst.BaseStatement):
            cur = self.parents.get(cur)
        return cur

    def exclusive(self, a: cst.CSTNode, b: cst.CSTNode) -> bool:
        """Whether `a` and `b` sit in different branches of one `if` statement (its body and
        its `else`/`elif` chain), so that no run executes both."""
        path_a = [a, *self.ancestors(a)]
        index = {id(n): i for i, n in enumerate(path_a)}
        child_b: cst.CSTNode = b
        for anc in self.ancestors(b):
            if id(anc) in index:
                i = index[id(anc)]
                if i == 0 or not isinstance(anc, cst.If):
                    return False
                child_a = path_a[i - 1]
                in_body_a = child_a is anc.body
                in_body_b = child_b is anc.body
                branch_a = in_body_a or child_a is anc.orelse
                branch_b = in_body_b or child_b is anc.orelse
                return branch_a and branch_b and in_body_a != in_body_b
            child_b = anc
        return False

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        cur = self.parents.get(node)
        while cur is not None:
            yield cur
            cur = self.parents.get(cur)

    def encloses(self, outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
        """`inner` lies (strictly) inside `outer`."""
        return any(a is outer for a in self.ancestors(inner))


#: Re-exported names followed per checked file (each may parse a module of the package).
MAX_REEXPORTS = 6

#: Methods of executors and pools that run a function handed to them (`executor.map(fn, xs)`).
EXECUTOR_METHODS = N.EXECUTOR_METHODS
#: Constructors of a thread or process that runs the function given as `target=`.
THREAD_STARTERS = frozenset(
    {
        "threading.Thread",
        "multiprocessing.Process",
        "multiprocessing.context.Process",
        "torch.multiprocessing.Process",
    }
)
#: Executor methods that run the handed function once per item of their iterable.
MAPPING_METHODS = frozenset({"map", "starmap", "imap", "imap_unordered"})

LOOP_TYPES = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


class FactsCollector(cst.BatchableCSTVisitor):
    """Runs first in the batched traversal and fills `facts`."""

    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider, ParentNodeProvider)

    def __init__(self) -> None:
        super().__init__()
        self.facts: FileFacts | None = None
        self._scopes: list[Scope] = []
        self._loops: list[list[cst.CSTNode]] = []
        self._classes: list[tuple[ClassInfo, Scope]] = []  # with the scope that encloses each
        self._cuda_queries: set[int] = set()  # `torch.cuda` nodes of `torch.cuda.device_count`

    # metadata access that tolerates nodes without metadata
    def _qn(self, node: cst.CSTNode) -> frozenset[str]:
        names = self.get_metadata(QualifiedNameProvider, node, set())
        return frozenset(q.name for q in names)

    def visit_Module(self, node: cst.Module) -> None:
        positions = self.metadata[PositionProvider]
        parents = self.metadata[ParentNodeProvider]
        self.facts = FileFacts(node, positions, {}, parents)  # type: ignore[arg-type]
        scope = Scope(node, "<module>", None)
        self.facts.scopes.append(scope)
        self._scopes.append(scope)
        self._loops.append([])

    def _pos(self, node: cst.CSTNode) -> tuple[Pos, Pos]:
        return _pos(self.get_metadata(PositionProvider, node))

    def _cur(self) -> Scope:
        return self._scopes[-1]

    def _bind(
        self,
        target: cst.BaseExpression,
        value: cst.BaseExpression | None,
        kind: str,
        node: cst.CSTNode,
        loop: cst.CSTNode | None = None,
        index: int | None = None,
    ) -> None:
        if isinstance(target, cst.Tuple | cst.List):
            values = value.elements if isinstance(value, cst.Tuple | cst.List) else None
            for i, el in enumerate(target.elements):
                if kind == "assign":
                    # `a, b = x, y` pairs up; other unpacking leaves the value unknown
                    same = values is not None and len(values) == len(target.elements)
                    elem = values[i].value if same and values is not None else None
                    self._bind(el.value, elem, kind, node, loop)
                else:
                    self._bind(
                        el.value, value, kind, node, loop, index=i if index is None else None
                    )
            return
        key = N.dotted(target)
        if key is None:
            return
        sub_key = N.subscript_key(target) if isinstance(target, cst.Subscript) else None
        start, end = self._pos(node)
        self._cur().bindings.append(
            Binding(key, value, kind, start, end, self._cur(), loop=loop, key=sub_key, index=index)
        )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        assert self.facts is not None
        bases = frozenset(q for b in node.bases for q in self._qn(b.value))
        info = ClassInfo(node.name.value, node, bases=bases)
        if self._cur().parent is None:
            self.facts.classes.setdefault(node.name.value, info)
        self._classes.append((info, self._cur()))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        assert self.facts is not None
        owner = self._classes[-1] if self._classes and self._classes[-1][1] is self._cur() else None
        scope = Scope(node, node.name.value, self._cur(), cls=owner[0].name if owner else None)
        for dec in node.decorators:
            scope.decorators |= self._qn(dec.decorator)
            if isinstance(dec.decorator, cst.Name | cst.Attribute):
                scope.decorators.add(N.dotted(dec.decorator) or "")
        self.facts.scopes.append(scope)
        if owner is not None:
            owner[0].methods.setdefault(node.name.value, scope)
        else:
            self.facts.functions.setdefault(node.name.value, scope)
        self._scopes.append(scope)
        self._loops.append([])
        params = node.params
        for p in [*params.posonly_params, *params.params, *params.kwonly_params]:
            scope.params.append(p.name.value)
            start, end = self._pos(p)
            scope.bindings.append(Binding(p.name.value, p.default, "param", start, end, scope))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scopes.pop()
        self._loops.pop()

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target, node.iter, "for", node, loop=node)
        self._loops[-1].append(node)

    def leave_For(self, original_node: cst.For) -> None:
        self._loops[-1].pop()

    def visit_While(self, node: cst.While) -> None:
        self._loops[-1].append(node)

    def leave_While(self, original_node: cst.While) -> None:
        self._loops[-1].pop()

    def _visit_comp(
        self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp
    ) -> None:
        comp: cst.CompFor | None = node.for_in
        while comp is not None:
            self._bind(comp.target, comp.iter, "comp", node, loop=node)
            comp = comp.inner_for_in
        self._loops[-1].append(node)

    def _leave_comp(self) -> None:
        self._loops[-1].pop()

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._visit_comp(node)

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        self._leave_comp()

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._visit_comp(node)

    def leave_SetComp(self, original_node: cst.SetComp) -> None:
        self._leave_comp()

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._visit_comp(node)

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self._leave_comp()

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._visit_comp(node)

    def leave_DictComp(self, original_node: cst.DictComp) -> None:
        self._leave_comp()

    def visit_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            self._bind(t.target, node.value, "assign", node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value, "assign", node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target, node.value, "aug", node)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            bound = alias.asname.name if alias.asname else alias.name
            if isinstance(bound, cst.Name | cst.Attribute):
                key = N.dotted(bound)
                if key is not None:
                    start, end = self._pos(node)
                    self._cur().bindings.append(
                        Binding(
                            key.split(".")[0] if alias.asname is None else key,
                            None,
                            "import",
                            start,
                            end,
                            self._cur(),
                        )
                    )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        assert self.facts is not None
        if isinstance(node.names, cst.ImportStar):
            return
        module = N.dotted(node.module) if node.module is not None else ""
        if module is None:
            return
        level = len(node.relative)
        for alias in node.names:
            name = N.dotted(alias.name)
            bound = alias.asname.name if alias.asname else alias.name
            local = N.dotted(bound) if isinstance(bound, cst.Name) else None
            if name is None or local is None:
                continue
            start, end = self._pos(node)
            self._cur().bindings.append(Binding(local, None, "import", start, end, self._cur()))
            if self._cur().parent is None:
                self.facts.imports[local] = ImportRef(module, name, level)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind(node.asname.name, node.item, "with", node)

    def visit_Return(self, node: cst.Return) -> None:
        self._cur().returns.append(node)

    def visit_Yield(self, node: cst.Yield) -> None:
        self._cur().yields.append(self._pos(node)[0])

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        assert self.facts is not None
        if not self.facts.mentions_cuda:
            value = N.string_value(node)
            if value is not None and (value == "cuda" or value.startswith("cuda:")):
                self.facts.mentions_cuda = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        assert self.facts is not None
        if self.facts.mentions_cuda:
            return
        if node.attr.value in CUDA_QUERIES and isinstance(node.value, cst.Attribute):
            # `torch.cuda.device_count()`, `torch.cuda.is_available()`: questions, no GPU use
            self._cuda_queries.add(id(node.value))
        elif node.attr.value == "cuda" and id(node) not in self._cuda_queries:
            self.facts.mentions_cuda = True

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self._cur().binops.append(node)

    def visit_With(self, node: cst.With) -> None:
        self._cur().withs.append(node)

    def visit_Call(self, node: cst.Call) -> None:
        assert self.facts is not None
        qn = self._qn(node.func)
        self.facts.qnames[node.func] = qn
        start, end = self._pos(node)
        stmt = self.facts.enclosing_statement(node)
        self._cur().calls.append(
            CallSite(node, self._cur(), start, end, tuple(self._loops[-1]), qn, stmt)
        )
        if N.call_name(node) == "add_argument":
            self._record_argparse(node)

    def _record_argparse(self, node: cst.Call) -> None:
        assert self.facts is not None
        options = [N.string_value(a.value) for a in node.args if a.keyword is None]
        longs = [o for o in options if o and o.startswith("--")]
        dest_arg = N.keyword(node, "dest")
        dest = N.string_value(dest_arg.value) if dest_arg else None
        if dest is None and longs:
            dest = longs[0][2:].replace("-", "_")
        elif dest is None and options and options[0] and not options[0].startswith("-"):
            dest = options[0]
        if dest is None:
            return
        default = N.keyword(node, "default")
        self.facts.argparse_defaults[dest] = N.code(default.value) if default else "None"
        action = N.keyword(node, "action")
        if (
            action is not None
            and N.string_value(action.value) == "store_true"
            and (default is None or N.code(default.value) == "False")
        ):
            self.facts.argparse_opt_in.add(dest)
        self.facts.argparse_options[dest] = longs[0] if longs else dest
        choices = N.keyword(node, "choices")
        if choices is not None and isinstance(choices.value, cst.List | cst.Tuple | cst.Set):
            values = [N.string_value(e.value) for e in choices.value.elements]
            if values and all(v is not None for v in values):
                self.facts.argparse_choices[dest] = tuple(v for v in values if v is not None)

    def visit_Name(self, node: cst.Name) -> None:
        assert self.facts is not None
        # Keep qualified names of every name load, for imports of timers and syncs used as
        # values (e.g. `clock = time.perf_counter`).
        return None


def subtracted_param(scope: Scope, sub: cst.BinaryOperation) -> str | None:
    """The parameter of `scope` whose value a subtraction takes away (`x - start`,
    `x - start_measures["time"]`, `x - run.t0`), if any."""
    base = sub.right
    while isinstance(base, cst.Subscript | cst.Attribute):
        base = base.value
    if isinstance(base, cst.Name) and base.value in scope.params:
        return base.value
    return None


def _annotation(scope: Scope, param: str) -> cst.BaseExpression | None:
    """The annotation of the function's parameter `param` (`drafter: Module`), if any."""
    if not isinstance(scope.node, cst.FunctionDef):
        return None
    params = scope.node.params
    for p in [*params.posonly_params, *params.params, *params.kwonly_params]:
        if p.name.value == param:
            return p.annotation.annotation if p.annotation is not None else None
    return None


def _light(call: CallSite) -> bool:
    """A tensor call of microseconds (`N.LIGHT_TENSOR_FUNCS`, `N.LIGHT_TENSOR_METHODS`)."""
    if call.qnames & N.LIGHT_TENSOR_FUNCS:
        return True
    func = call.node.func
    return isinstance(func, cst.Attribute) and func.attr.value in N.LIGHT_TENSOR_METHODS


@cache
def _is_statement(kind: type) -> bool:
    """A statement, a `with` item or a parameter: what makes a binding (by class, once: an
    `isinstance` against libcst's abstract classes on every node is slow)."""
    return issubclass(
        kind, cst.BaseSmallStatement | cst.BaseCompoundStatement | cst.WithItem | cst.Param
    )


def module_facts(project: ProjectModules, module: ProjectModule) -> FileFacts | None:
    """The facts of a sibling module, collected once per run (it is parsed, never run)."""

    def collect() -> FileFacts:
        wrapper = MetadataWrapper(module.module, unsafe_skip_copy=True)
        collector = FactsCollector()
        visit_with_metadata(wrapper, [collector])
        assert collector.facts is not None
        collector.facts.project = ProjectModules(module.path, project.cache)
        collector.facts.derived = True
        collector.facts.source = project.text(module.path) or module.module.code
        return collector.facts

    return project.derive(module, "facts", collect)


#: A model's method that runs it, held in a variable and called later (`infer_fn = model.
#: autoregressive_infer_cfg`, `step = unet.forward`).
MODEL_METHOD_RE = re.compile(r"infer|generate|sample|forward|predict|denoise|__call__", re.I)

#: Methods that place a model on a device.
PLACEMENT_METHODS = frozenset({"to", "cuda", "cpu"})

#: A command-line entry that runs a function it is handed (`CLI(main)`, `fire.Fire(main)`),
#: its parameters the command's options (searched with spaces removed).
CLI_ENTRY_RE = re.compile(r"(?:\bCLI|\bFire|typer\.run|defopt\.run)\(\w+\)")

#: Calls that wait for a collection of awaitables together.
AWAIT_ALL = frozenset({"asyncio.gather", "asyncio.wait", "asyncio.tasks.gather"})

#: Tensor methods that keep a tensor on its device (layout, copies, dtype casts).
TENSOR_VIEW_METHODS = frozenset(
    {
        "contiguous", "t", "T", "view", "reshape", "transpose", "permute", "clone",
        "detach", "float", "half", "bfloat16", "double", "int", "long", "squeeze",
        "unsqueeze", "flatten", "expand", "repeat",
    }
)  # fmt: skip


def _names_a_dtype(expr: cst.BaseExpression) -> bool:
    """`torch.float16`, `dtype`, `proj_type`, `getattr(torch, name)`: a cast, not a move."""
    if isinstance(expr, cst.Call) and N.dotted(expr.func) == "getattr" and expr.args:
        return N.dotted(expr.args[0].value) == "torch"
    text = N.dotted(expr) or ""
    leaf = text.rsplit(".", 1)[-1].lower()
    if text.startswith("torch.") and leaf != "device":
        return True
    return "dtype" in leaf or leaf.endswith("_type") or leaf == "type"


#: Names of functions that transform a model and hand it back (`compile_pipe`, `fuse_model`).
MODEL_TRANSFORM_RE = re.compile(
    r"compile|pipe|model|unet|optimi[sz]e|quanti[sz]|fuse|patch|accelerat|wrap", re.I
)


def _passed_through(fn: Scope) -> str | None:
    """The parameter a model transform hands back (`def compile_pipe(pipe, ...): ...; return
    pipe`): the function is named as one, and every `return` returns that parameter's name."""
    if not MODEL_TRANSFORM_RE.search(fn.name):
        return None  # `sample_image(x, model)` returning `x`: data, not the model
    names = {N.code(r.value) for r in fn.returns if r.value is not None}
    if len(names) == 1:
        (name,) = names
        if name in fn.params:
            return name
    return None


def _empty_dict(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and N.call_name(node) == "dict" and not node.args
