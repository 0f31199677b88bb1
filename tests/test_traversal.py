"""The fast traversal and metadata resolution give exactly what libcst's own do."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from fixture_expectations import FIXTURES
from libcst.metadata import (
    ExpressionContextProvider,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from auditor.traversal import fast_visits, iter_children, resolve_metadata

EXTRA = """
import time as t, torch
from torch.cuda import synchronize as sync
@decorator(arg)
async def f(a, /, b=1, *args, c: int = 2, **kw) -> "T":
    x = [i for i in range(3) if i]
    y = {k: v for k, v in kw.items()}
    z = (lambda q=1: q)(b) if a else None
    async with ctx() as (m, n), other():
        async for i in gen():
            await thing
    del x[0], y
    global G
    try:
        pass
    except* ValueError as e:
        raise
    match a:
        case [1, *rest] | {"k": _} if rest:
            pass
        case Point(x=0) as p:
            pass
    return f"{a!r:>{b}} {c=}"
class C(Base, metaclass=M):
    attr: int = 1
    def m(self): return super().m()
type Alias[T] = list[T]
def g[T: int, *Ts, **P](x: T) -> T: ...
x = 1 if (y := 2) else 3
print(*a, **b); a[1:2, ::3] = b
"""


def corpus() -> list[tuple[str, str]]:
    files = sorted(FIXTURES.rglob("*.py"))
    site = Path(cst.__file__).parent
    files += [site / "_nodes" / "expression.py", site / "metadata" / "scope_provider.py"]
    out = [(str(p), p.read_text(encoding="utf-8")) for p in files]
    out.append(("extra", EXTRA))  # libcst parses 3.12 syntax on any interpreter
    return out


class Recorder(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, int, str]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.events.append(("visit", id(node), ""))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.events.append(("leave", id(original_node), ""))

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.events.append(("visit_attr", id(node), attribute))

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        self.events.append(("leave_attr", id(original_node), attribute))


class Pruning(cst.CSTVisitor):
    """Skips function bodies and counts names: the callbacks a typical analysis uses."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        node.params.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.names.append(node.value)


@pytest.mark.parametrize(("name", "source"), corpus(), ids=lambda v: Path(str(v)).name[:30])
def test_visit_callbacks_are_identical(name: str, source: str) -> None:
    module = cst.parse_module(source)
    slow, fast = Recorder(), Recorder()
    module.visit(slow)
    with fast_visits():
        module.visit(fast)
    assert fast.events == slow.events
    slow_p, fast_p = Pruning(), Pruning()
    module.visit(slow_p)
    with fast_visits():
        module.visit(fast_p)
    assert fast_p.names == slow_p.names
    assert cst.CSTNode.visit is not None and module.visit(Pruning()) is module


@pytest.mark.parametrize(("name", "source"), corpus(), ids=lambda v: Path(str(v)).name[:30])
def test_metadata_is_identical(name: str, source: str) -> None:
    module = cst.parse_module(source)
    providers = [
        PositionProvider,
        ParentNodeProvider,
        ExpressionContextProvider,
        ScopeProvider,
        QualifiedNameProvider,
    ]
    slow = MetadataWrapper(module, unsafe_skip_copy=True).resolve_many(providers)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    with fast_visits():
        resolve_metadata(wrapper, providers)
    fast = {p: wrapper.resolve(p) for p in providers}
    for provider in (PositionProvider, ParentNodeProvider, ExpressionContextProvider):
        assert dict(fast[provider]) == dict(slow[provider]), provider.__name__
    # String annotations are parsed into new trees on each run: compare the file's own nodes.
    tree = {module, *slow[ParentNodeProvider]}
    scopes_slow = {n: s for n, s in slow[ScopeProvider].items() if n in tree}
    scopes_fast = {n: s for n, s in fast[ScopeProvider].items() if n in tree}
    assert set(scopes_fast) == set(scopes_slow)
    for node, scope in scopes_slow.items():
        other = scopes_fast[node]
        assert type(other) is type(scope)
        assert getattr(other, "node", None) is getattr(scope, "node", None)
    assert set(fast[QualifiedNameProvider]) == set(slow[QualifiedNameProvider])

    class Ask(cst.CSTVisitor):
        METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    asker = Ask()
    asker.metadata = slow
    fast_asker = Ask()
    fast_asker.metadata = fast
    for node in slow[QualifiedNameProvider]:
        assert fast_asker.get_metadata(QualifiedNameProvider, node) == asker.get_metadata(
            QualifiedNameProvider, node
        )
    assert fast_asker.get_metadata(QualifiedNameProvider, cst.Name("x"), set()) == set()


def test_children_match_libcst() -> None:
    module = cst.parse_module(EXTRA)
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        assert list(iter_children(node)) == list(node.children)
        stack.extend(node.children)


def test_formatted_string_format_spec_is_found_when_present() -> None:
    """libcst visits `format_spec` only when it is set: the order must be learnt from a node
    that has one even if the first node seen had none."""
    module = cst.parse_module('a = f"{x}"\nb = f"{y:>{width}}"\n')
    slow, fast = Recorder(), Recorder()
    module.visit(slow)
    with fast_visits():
        module.visit(fast)
    assert fast.events == slow.events


def test_transformers_take_libcst_path() -> None:
    class Rename(cst.CSTTransformer):
        def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
            return updated_node.with_changes(value="y")

    module = cst.parse_module("x = x + 1\n")
    with fast_visits():
        assert module.visit(Rename()).code == "y = y + 1\n"


def test_patch_is_undone_and_reentrant() -> None:
    original = cst.CSTNode.visit
    with fast_visits():
        with fast_visits():
            pass
        assert cst.CSTNode.visit is not original
    assert cst.CSTNode.visit is original
