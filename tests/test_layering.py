"""Dependencies point one way: core <- engine <- analyses <- rules; core <- reporters;
core <- verifier. Checked on the import statements of each module."""

from __future__ import annotations

import ast
from pathlib import Path

from fixture_expectations import ROOT

_DATA = (  # the data modules: findings, evidence, rule metadata
    "auditor.engine",
    "auditor.analyses",
    "auditor.rules",
    "auditor.verify",
    "auditor.reporters",
    "auditor.cli",
)
FORBIDDEN = {
    "auditor/core.py": _DATA,
    "auditor/evidence.py": _DATA,
    "auditor/rulemeta.py": _DATA,
    "auditor/engine.py": (
        "auditor.analyses",
        "auditor.rules",
        "auditor.verify",
        "auditor.reporters",
        "auditor.cli",
    ),
    "auditor/analyses": ("auditor.rules", "auditor.verify", "auditor.reporters", "auditor.cli"),
    "rules": ("auditor.verify", "auditor.reporters", "auditor.cli"),
    "auditor/reporters": (
        "auditor.engine",
        "auditor.analyses",
        "auditor.rules",
        "auditor.verify.worker",
        "auditor.cli",
    ),
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_dependency_direction() -> None:
    for where, banned in FORBIDDEN.items():
        target = ROOT / where
        files = [target] if target.is_file() else sorted(target.rglob("*.py"))
        assert files, where
        for f in files:
            for name in imports_of(f):
                assert not name.startswith(banned), f"{f.relative_to(ROOT)} imports {name}"


def test_only_the_verifier_imports_torch() -> None:
    for f in [*sorted((ROOT / "auditor").rglob("*.py")), *sorted((ROOT / "rules").rglob("*.py"))]:
        if "verify" in f.relative_to(ROOT).parts:
            continue
        for name in imports_of(f):
            assert name.split(".")[0] not in {"torch", "diffusers", "transformers"}, f


# --- the module graph: no import loops, nothing below the CLI imports it ------------------------

#: The command-line modules: only they (and `auditor.__main__`) may import one another.
CLI_MODULES = ("auditor.cli", "auditor.checkcmd", "auditor.fastcli", "auditor.verify.cli")


def _module_files() -> dict[str, Path]:
    """Installed module name -> source file, for auditor/ and rules/ (shipped as auditor.rules)."""
    out: dict[str, Path] = {}
    for base, prefix in ((ROOT / "auditor", "auditor"), (ROOT / "rules", "auditor.rules")):
        for f in sorted(base.rglob("*.py")):
            parts = list(f.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([prefix, *parts])] = f
    return out


def import_graph() -> dict[str, set[str]]:
    """Every import of every module (top-level, lazy and TYPE_CHECKING-only alike), resolved to
    the project's modules: `from auditor.verify import probes` is an edge to the module
    `auditor.verify.probes`, `from auditor.core import Finding` to `auditor.core`."""
    files = _module_files()
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in files else node.module
                    for a in node.names
                ]
            edges |= {t for t in targets if t in files and t != name}
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_loops() -> None:
    graph = import_graph()
    assert "auditor.engine" in graph and "auditor.rules.meta.unused_suppression" in graph
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_loop() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_nothing_below_the_cli_imports_it() -> None:
    for name, edges in import_graph().items():
        if name in CLI_MODULES or name == "auditor.__main__":
            continue
        assert not edges & set(CLI_MODULES), f"{name} imports {sorted(edges & set(CLI_MODULES))}"
