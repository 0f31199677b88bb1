"""Faster libcst traversal and metadata resolution for read-only visitors, same results.

libcst visits a tree by rebuilding every node (`_visit_and_replace_children` constructs and
validates a copy, which a read-only `CSTVisitor` then throws away) and asks every visitor about
every attribute of every node (`visit_Call_func`, `leave_Call_args`, ...). For a 300-line script
that is most of the check's time. This module walks the same children in the same order,
calling the same callbacks, without the copies and without attribute callbacks nobody listens
to; and it resolves the metadata the rules use (positions, parents, scopes, qualified names)
without the extra whole-tree passes `MetadataWrapper` makes (positions from libcst's own code
generation, with its per-node bookkeeping done without generator context managers).
`tests/test_traversal.py` checks
that the callbacks and the metadata are identical to libcst's own, node for node.

The order of a node class's children is learnt from libcst itself: one call of its
`_visit_and_replace_children` with a visitor that records the attribute callbacks and descends
nowhere. A transformer (`CSTTransformer`) always takes libcst's own path.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Collection, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import fields
from functools import cache
from types import MappingProxyType
from typing import Any, NamedTuple

import libcst as cst
from libcst import CSTNode, CSTVisitor, MaybeSentinel
from libcst._batched_visitor import _BatchedCSTVisitor
from libcst._metadata_dependent import LazyValue
from libcst._position import CodePosition, CodeRange
from libcst.metadata import (
    BaseMetadataProvider,
    BatchableMetadataProvider,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)
from libcst.metadata.position_provider import NEWLINE_RE, PositionProvidingCodegenState

_ORIGINAL_VISIT = CSTNode.visit
_ATTRIBUTE_HOOK = re.compile(r"^(?:visit|leave)_[A-Z][A-Za-z]*_[a-z_]+$")
_SENTINEL = MaybeSentinel.DEFAULT


class _OrderRecorder(CSTVisitor):
    """Records which attributes `_visit_and_replace_children` visits, in order; descends nowhere."""

    def __init__(self) -> None:
        super().__init__()
        self.attributes: list[str] = []

    def on_visit(self, node: CSTNode) -> bool:
        return False

    def on_leave(self, original_node: CSTNode) -> None:
        pass

    def on_visit_attribute(self, node: CSTNode, attribute: str) -> None:
        self.attributes.append(attribute)

    def on_leave_attribute(self, original_node: CSTNode, attribute: str) -> None:
        pass


class _Order(NamedTuple):
    visited: tuple[str, ...]  # the attributes libcst visits, in its order
    others: tuple[str, ...]  # fields it did not visit here but that may hold nodes elsewhere
    silent_when_none: frozenset[str]  # fields it skips without callbacks when they are None


_ORDERS: dict[type, _Order] = {}
_INSTANCE_ORDERS: dict[tuple[type, frozenset[str]], tuple[str, ...]] = {}


def _record(node: CSTNode) -> tuple[str, ...]:
    recorder = _OrderRecorder()
    node._visit_and_replace_children(recorder)
    return tuple(recorder.attributes)


def _learn(node: CSTNode) -> _Order:
    visited = _record(node)
    node_fields = fields(node)
    # Fields libcst skipped here but that hold, or could hold, nodes in another instance (a
    # str-valued field such as `Name.value` never does).
    others = tuple(
        f.name
        for f in node_fields
        if f.name not in visited and _may_hold_nodes(getattr(node, f.name))
    )
    # Fields visited here that libcst skips silently when None (`format_spec`): try each
    # optional one set to None.
    silent = set()
    for f in node_fields:
        if f.name in visited and f.default is None and getattr(node, f.name) is not None:
            try:
                blank = node.with_changes(**{f.name: None})
            except Exception:  # this node cannot hold None there: nothing to learn
                continue
            if f.name not in _record(blank):
                silent.add(f.name)
    entry = _Order(visited, others, frozenset(silent))
    _ORDERS[type(node)] = entry
    return entry


def _may_hold_nodes(value: object) -> bool:
    return value is None or value is _SENTINEL or isinstance(value, CSTNode | tuple | list)


def _holds_nodes(value: object) -> bool:
    kind = type(value)
    if value is None or value is _SENTINEL or kind is str:  # the common case, cheaply
        return False
    if kind is tuple or kind is list:
        return any(isinstance(v, CSTNode) for v in value)  # type: ignore[attr-defined]
    return isinstance(value, CSTNode)


def _order_of(node: CSTNode) -> _Order:
    return _ORDERS.get(type(node)) or _learn(node)


def attribute_order(node: CSTNode, entry: _Order | None = None) -> tuple[str, ...]:
    """The attributes libcst visits for this node, in libcst's order (a None field in
    `silent_when_none` is then skipped without callbacks)."""
    if entry is None:
        entry = _order_of(node)
    if entry.others:
        # A field libcst visits only when it is set, first seen unset: learn the order from
        # a node that has it.
        present = frozenset(name for name in entry.others if _holds_nodes(getattr(node, name)))
        if present:
            key = (type(node), present)
            order = _INSTANCE_ORDERS.get(key)
            if order is None:
                order = _INSTANCE_ORDERS[key] = _record(node)
            return order
    return entry.visited


def iter_children(node: CSTNode) -> Iterator[CSTNode]:
    """`node.children` without rebuilding the node."""
    for name in attribute_order(node):
        value = getattr(node, name)
        kind = type(value)
        if kind is tuple or kind is list:
            yield from value
        elif value is not None and value is not _SENTINEL:
            yield value


_VISITOR_BASES = frozenset(CSTVisitor.__mro__)
# Weak: visitors are often classes defined inside functions, a new class per call.
_HOOKS_BY_CLASS: weakref.WeakKeyDictionary[type, bool] = weakref.WeakKeyDictionary()
_IS_VISITOR: weakref.WeakKeyDictionary[type, bool] = weakref.WeakKeyDictionary()


def _wants_attribute_callbacks(visitor: CSTVisitor) -> bool:
    """Whether any callback listens to attributes (`visit_Call_func`, `on_visit_attribute`);
    libcst's own are no-ops, so they are skipped when only those would run."""
    if type(visitor) is _BatchedCSTVisitor:
        wants: bool | None = getattr(visitor, "_benchaudit_attribute_hooks", None)
        if wants is None:
            wants = any(_ATTRIBUTE_HOOK.match(name) for name in visitor.visitor_methods)
            visitor._benchaudit_attribute_hooks = wants  # type: ignore[attr-defined]
        return wants
    cls = type(visitor)
    known = _HOOKS_BY_CLASS.get(cls)
    if known is None:
        known = _HOOKS_BY_CLASS[cls] = any(
            name in ("on_visit_attribute", "on_leave_attribute") or _ATTRIBUTE_HOOK.match(name)
            for klass in cls.__mro__
            if klass not in _VISITOR_BASES
            for name in vars(klass)
        )
    return known


def _walk(node: CSTNode, visitor: CSTVisitor, hooks: bool) -> None:
    if visitor.on_visit(node):
        entry = _ORDERS.get(type(node)) or _learn(node)
        order = attribute_order(node, entry) if entry.others else entry.visited
        for name in order:
            value = getattr(node, name)
            if value is None and name in entry.silent_when_none:
                continue
            if hooks:
                visitor.on_visit_attribute(node, name)
            # A visited attribute holds a node, a sequence of nodes, None or MaybeSentinel
            # (type() tests: isinstance against libcst's ABCs is the slow part of a walk).
            kind = type(value)
            if kind is tuple or kind is list:
                for child in value:
                    _walk(child, visitor, hooks)
            elif value is not None and value is not _SENTINEL:
                _walk(value, visitor, hooks)
            if hooks:
                visitor.on_leave_attribute(node, name)
    visitor.on_leave(node)


def _fast_visit(self: CSTNode, visitor: Any) -> Any:
    cls = type(visitor)
    is_visitor = _IS_VISITOR.get(cls)
    if is_visitor is None:
        is_visitor = _IS_VISITOR[cls] = issubclass(cls, CSTVisitor)
    if not is_visitor:  # a transformer builds a new tree: libcst's path
        return _ORIGINAL_VISIT(self, visitor)
    _walk(self, visitor, _wants_attribute_callbacks(visitor))
    return self


_lock = threading.Lock()
_depth = 0


@contextmanager
def fast_visits() -> Iterator[None]:
    """Within this block, `node.visit(visitor)` takes the fast path for read-only visitors
    (process-wide; re-entrant and thread-safe; transformers are unaffected)."""
    global _depth
    with _lock:
        if _depth == 0:
            CSTNode.visit = _fast_visit  # type: ignore[method-assign]
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                CSTNode.visit = _ORIGINAL_VISIT  # type: ignore[method-assign]


def compute_parents(module: cst.Module) -> dict[CSTNode, CSTNode]:
    parents: dict[CSTNode, CSTNode] = {}
    stack: list[CSTNode] = [module]
    while stack:
        node = stack.pop()
        for child in iter_children(node):
            parents[child] = node
            stack.append(child)
    return parents


class _QualifiedNames(Mapping[CSTNode, object]):
    """What `QualifiedNameProvider` computes, lazily: names are found for the nodes asked
    about instead of every node of the tree."""

    def __init__(
        self, module: cst.Module, scopes: Mapping[CSTNode, Any], parents: Mapping[CSTNode, Any]
    ) -> None:
        self._module = module
        self._scopes = scopes
        self._parents = parents
        self._values: dict[CSTNode, object] = {}

    def __getitem__(self, node: CSTNode) -> object:
        value = self._values.get(node)
        if value is not None:
            return value
        scope = self._scopes.get(node)
        if scope:
            value = LazyValue(lambda: scope.get_qualified_names_for(node))
        elif node in self._parents or node is self._module:
            value = set()
        else:
            raise KeyError(node)
        self._values[node] = value
        return value

    def __iter__(self) -> Iterator[CSTNode]:
        yield self._module
        yield from self._parents

    def __len__(self) -> int:
        return len(self._parents) + 1


@cache
def _only_visits_module(provider: type) -> bool:
    hooks = {
        name
        for name in dir(provider)
        if name.startswith(("visit_", "leave_"))
        and not getattr(getattr(provider, name), "_is_no_op", False)
    }
    return hooks == {"visit_Module"}


def _dependencies_first(providers: Collection[type]) -> list[type]:
    ordered: list[type] = []

    def add(p: type) -> None:
        if p in ordered:
            return
        for dep in p.METADATA_DEPENDENCIES:  # type: ignore[attr-defined]
            add(dep)
        ordered.append(p)

    for p in providers:
        add(p)
    return ordered


class _PositionState(PositionProvidingCodegenState):
    """libcst's `PositionProvidingCodegenState` (code generation that records each node's
    range), with the same results at a fraction of the cost: a token without a line break
    moves the column without a regular expression; the open ranges are kept as tuples; and
    `record_syntactic_position` is a plain context manager, not a generator."""

    def _update_position(self, value: str) -> None:
        if "\n" not in value and "\r" not in value:
            self.column += len(value)
            return
        segments = NEWLINE_RE.split(value)
        self.line += len(segments) - 1
        self.column = len(segments[-1])

    def before_codegen(self, node: CSTNode) -> None:
        stack: list[tuple[int, int]] = self._stack  # type: ignore[assignment]
        stack.append((self.line, self.column))

    def after_codegen(self, node: CSTNode) -> None:
        stack: list[tuple[int, int]] = self._stack  # type: ignore[assignment]
        start_line, start_column = stack.pop()
        computed = self.provider._computed
        if node not in computed:  # a syntactic range, recorded first, is kept
            start = CodePosition(start_line, start_column)
            computed[node] = CodeRange(start, CodePosition(self.line, self.column))

    def record_syntactic_position(  # type: ignore[override]
        self,
        node: CSTNode,
        *,
        start_node: CSTNode | None = None,
        end_node: CSTNode | None = None,
    ) -> _Syntactic:
        return _Syntactic(self, node, start_node, end_node)


class _Syntactic:
    """`record_syntactic_position`'s block: the node's range without the whitespace around it,
    or hoisted from the children named."""

    __slots__ = ("end_node", "node", "start", "start_node", "state")

    def __init__(
        self,
        state: _PositionState,
        node: CSTNode,
        start_node: CSTNode | None,
        end_node: CSTNode | None,
    ) -> None:
        self.state, self.node = state, node
        self.start_node, self.end_node = start_node, end_node

    def __enter__(self) -> None:
        state: Any = self.state
        self.start = (state.line, state.column)

    def __exit__(self, *exc: object) -> None:
        state: Any = self.state
        computed: dict[CSTNode, Any] = state.provider._computed
        if self.start_node is not None:
            start = computed[self.start_node].start
        else:
            start = CodePosition(*self.start)
        if self.end_node is not None:
            end = computed[self.end_node].end
        else:
            end = CodePosition(state.line, state.column)
        computed[self.node] = CodeRange(start, end)


def compute_positions(module: cst.Module) -> dict[CSTNode, CodeRange]:
    """`PositionProvider`'s ranges for every node of `module`, as libcst computes them."""
    provider = PositionProvider()
    provider._computed = {}
    state = _PositionState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        provider=provider,
    )
    module._codegen(state)
    computed: dict[CSTNode, CodeRange] = provider._computed  # type: ignore[assignment]
    return computed


def resolve_metadata(wrapper: MetadataWrapper, providers: Collection[type]) -> None:
    """Compute `providers` (and their dependencies) into `wrapper`, as `wrapper.resolve_many`
    would, skipping libcst's extra whole-tree passes. Call inside `fast_visits()`."""
    computed: MutableMapping[Any, Mapping[CSTNode, object]] = wrapper._metadata
    module = wrapper.module
    for provider in _dependencies_first(providers):
        if provider in computed:
            continue
        if provider is ParentNodeProvider:
            computed[provider] = MappingProxyType(compute_parents(module))
        elif provider is PositionProvider:
            computed[provider] = MappingProxyType(compute_positions(module))
        elif provider is QualifiedNameProvider:
            resolve_metadata(wrapper, (ScopeProvider, ParentNodeProvider))
            computed[provider] = _QualifiedNames(
                module, computed[ScopeProvider], computed[ParentNodeProvider]
            )
        elif (
            issubclass(provider, BatchableMetadataProvider)
            and not provider.gen_cache
            and _only_visits_module(provider)
        ):
            # Its visit_Module walks the tree itself; libcst would walk it once more around it.
            instance = provider()
            with instance.resolve(wrapper):
                instance.visit_Module(module)
            computed[provider] = MappingProxyType(dict(instance._computed))
        elif issubclass(provider, BaseMetadataProvider) and not provider.gen_cache:
            # (`wrapper.resolve` would also walk the tree with an empty batch of visitors)
            computed[provider] = provider()._gen(wrapper)
        else:
            wrapper.resolve(provider)


def visit_with_metadata(
    wrapper: MetadataWrapper, visitors: Sequence[cst.BatchableCSTVisitor]
) -> None:
    """Run `visitors` over the wrapper's module in one batched traversal, their metadata
    computed first by `resolve_metadata`, every walk on the fast path (the engine's file and
    the project modules the analyses read go through this one path)."""
    with fast_visits():
        resolve_metadata(wrapper, {p for v in visitors for p in v.get_inherited_dependencies()})
        wrapper.visit_batched(visitors)
