"""The screen (issue 14): a file that cannot have a finding is not analysed.

Every rule speaks about something timed: a clock read, a CUDA event, a timing harness, a library
timer (`vocabulary.TIMING_SOURCES`), a token rate computed from recorded results (a token word
and a time-named value: `vocabulary.TIME_WORD_PATTERN`, `TOKEN_WORD_PATTERN`), or a suppression
comment (`BA001` reports unused ones). A file can have a finding only if one of these reaches it:

- its own code names one (a name, an attribute, an imported name, or a string naming one, as
  `importlib.import_module("time")` does; or names a token count and a time), or holds a
  `benchaudit` comment;
- a module of its project that it imports does (a timer class or `measure()` helper in
  `utils.py`), followed the way `ProjectModules` resolves imports, a few imports deep;
- a module of its project that imports it does (a script timing this file's `run()`);
- it changes `sys.path` (folders the analyses would search that the screen does not follow).

Otherwise it is reported checked, with no findings, and libcst never parses it. The screen reads
the file's syntax tree (`ast`, already built by `limits.checked_tree`) and its neighbours' (each
parsed by `ast` once per run). `tests/test_screen.py` runs the full analysis on every fixture
and corpus file and on generated programs, and shows that no file with a finding is screened
out.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.limits import levels
from auditor.vocabulary import TIME_WORD_PATTERN, TIMING_SOURCES, TOKEN_WORD_PATTERN

if TYPE_CHECKING:
    from auditor.project import ProjectModules

#: Modules named by their first component as well (`import time`, `import contexttimer`);
#: other sources are named by their last (`Event`, `perf_counter`, `do_bench`, `Timer`).
_MODULES = frozenset({"time", "timeit", "contexttimer", "codetiming", "benchmark"})
#: How many imports deep project modules are followed.
DEPTH = 3


@cache
def words() -> frozenset[str]:
    """The names whose presence may mean timing."""
    last = {q.rsplit(".", 1)[-1] for q in TIMING_SOURCES}
    first = {q.split(".", 1)[0] for q in TIMING_SOURCES} & _MODULES
    return frozenset(last | first | _MODULES)


_TIME = re.compile(TIME_WORD_PATTERN, re.IGNORECASE)
_TOKEN = re.compile(TOKEN_WORD_PATTERN, re.IGNORECASE)


#: An import: (module, level, the names taken from it; None for the whole module).
Import = tuple[str, int, tuple[str, ...] | None]


def _names(
    tree: ast.AST, tree_levels: list[list[ast.AST]] | None = None
) -> tuple[set[str], list[Import], bool]:
    """The words the code uses, what it imports, and whether it touches `sys.path`
    (`tree_levels`: the tree's nodes by level, when the caller has them already)."""
    found: set[str] = set()
    imports: list[Import] = []
    sys_path = False
    by_level = tree_levels if tree_levels is not None else levels(tree)
    for node in (n for level in by_level for n in level):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
            if node.attr == "path" and isinstance(node.value, ast.Name) and node.value.id == "sys":
                sys_path = True
        elif isinstance(node, ast.Import):
            for alias in node.names:
                found.update(alias.name.split("."))
                imports.append((alias.name, 0, None))
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            found.update(module.split("."))
            names = tuple(alias.name for alias in node.names)
            found.update(names)
            # `from pkg import mod` may take a submodule: each name as a module too
            imports += [(f"{module}.{n}" if module else n, node.level, None) for n in names]
            imports.append((module, node.level, None if "*" in names else names))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if len(node.value) <= 200:
                found.update(re.split(r"[^A-Za-z0-9_]+", node.value))
    return found, imports, sys_path


def _times(found: set[str], sys_path: bool) -> bool:
    """Whether code using these names may time something (see the module's docstring)."""
    if sys_path or found & words():
        return True
    return any(_TIME.search(n) for n in found) and any(_TOKEN.search(n) for n in found)


def may_have_findings(
    source: str,
    tree: ast.Module,
    modules: ProjectModules | None = None,
    tree_levels: list[list[ast.AST]] | None = None,
) -> bool:
    """False only when no finding is possible (see the module's docstring). `tree_levels`:
    the tree's nodes by level, as `limits.checked_tree` gives them (else walked here)."""
    if "benchaudit" in source:
        return True
    found, imports, sys_path = _names(tree, tree_levels)
    if _times(found, sys_path):
        return True
    if modules is None:
        return False
    return _imports_timing(modules, imports, DEPTH, set()) or _imported_by_timing(
        modules, DEPTH, set()
    )


class _Module:
    """What the screen knows of a project module: whether its code may time something (as a
    whole, and per top-level definition with the names it refers to), what it imports, which
    names it re-exports and which it assigns at module level."""

    def __init__(self, text: str | None) -> None:
        self.times = False
        self.imports: list[Import] = []
        self.defs: dict[str, tuple[bool, set[str]]] = {}  # name -> (may time, names used)
        self.reexports: dict[str, Import] = {}  # name -> the import it comes from
        #: module-level names bound some other way -> (may time, names their statements use)
        self.assigned: dict[str, tuple[bool, set[str]]] = {}
        if not text:
            return
        if "benchaudit" in text:
            self.times = True
            return
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            self.times = True  # unreadable to the screen: let the analysis decide
            return
        found: set[str] = set()
        sys_path = False
        for node in tree.body:  # each statement walked once: the module is their union
            inner, imports, inner_path = _names(node)
            found |= inner
            self.imports += imports
            sys_path = sys_path or inner_path
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.defs[node.name] = (_times(inner, inner_path), inner)
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    self.reexports[alias.asname or alias.name] = (
                        node.module or "",
                        node.level,
                        (alias.name,),
                    )
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.reexports[alias.asname or alias.name.split(".")[0]] = (
                        alias.name,
                        0,
                        None,
                    )
            else:
                verdict = _times(inner, inner_path)
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                        times, used = self.assigned.get(sub.id, (False, set()))
                        self.assigned[sub.id] = (times or verdict, used | inner)
        self.times = _times(found, sys_path)

    def taken(self, name: str) -> tuple[bool, list[Import]]:
        """Whether the definition of `name` may time something by itself, and the imports
        it (or the definitions it uses, in this module) depends on."""
        follow: list[Import] = []
        todo, done = [name], set()
        while todo:
            current = todo.pop()
            if current in done:
                continue
            done.add(current)
            bound = self.defs.get(current) or self.assigned.get(current)
            if bound is not None:
                times, used = bound
                if times:
                    return True, []
                todo += [u for u in used if u != current]
            elif current in self.reexports:
                follow.append(self.reexports[current])
            elif current == name:  # neither defined nor imported here: the whole module
                if self.times:
                    return True, []
                follow += self.imports
        return False, follow


def _module(modules: ProjectModules, path: Path) -> _Module:
    return modules.cached((path, "screen"), lambda: _Module(modules.text(path)))


def _imports_timing(
    modules: ProjectModules, imports: list[Import], depth: int, seen: set[tuple[Path, str]]
) -> bool:
    """Whether what these imports take from the project may time something: an imported
    function or class whose own code does (or the definitions and imports it uses), a
    re-export followed `depth` imports deep, or a whole module (`import x`) whose code does."""
    from auditor.project import ProjectModules

    for name, level, taken in imports:
        for path in modules.candidates(name, level):
            modules.used.add(path)  # a cached result depends on it
            info = _module(modules, path)
            follow: list[Import] = []
            for item in taken if taken is not None else (None,):
                key = (path, item or "*")
                if key in seen:
                    continue
                seen.add(key)
                if item is None:
                    if info.times:
                        return True
                    follow += info.imports
                    continue
                times, more = info.taken(item)
                if times:
                    return True
                follow += more
            if depth > 1 and follow:
                there = ProjectModules(path, modules.cache)
                found = _imports_timing(there, follow, depth - 1, seen)
                modules.used.update(there.used)
                if found:
                    return True
    return False


def _imported_by_timing(modules: ProjectModules, depth: int, seen: set[Path]) -> bool:
    """Whether a project module importing this one (or one importing that, `depth` deep) may
    time something."""
    from auditor.project import ProjectModules

    for path in modules.importer_paths():
        if path in seen:
            continue
        seen.add(path)
        modules.used.add(path)
        if _module(modules, path).times:
            return True
        if depth > 1:
            there = ProjectModules(path, modules.cache)
            found = _imported_by_timing(there, depth - 1, seen)
            modules.used.update(there.used)
            if found:
                return True
    return False
