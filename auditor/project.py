"""The audited project's own modules, found beside the file being checked and parsed on demand.

`from timing_utils import Timer` in `bench.py` refers to `timing_utils.py` in the same folder (or
`timing_utils/__init__.py`); `from .utils.timing import Timer` to a module relative to the file's
package. An absolute import that matches nothing beside the file is looked up in the folders
above it, as the interpreter finds it when the script is run from the repository root or the
package is installed in development mode (`from src.decoding import kv` in `benchmarks/run.py`),
up to the project root (the first folder above with `.git`, `pyproject.toml`, `setup.py` or
`setup.cfg`) and at most `MAX_LEVELS_UP` folders up. The modules that import a file are looked
for in the whole project below its root; without a root marker, in the folders above the file,
below the folder that holds its top package (or below the file's own folder), and through
scripts that add folders to `sys.path`. Such modules are read and parsed with libcst,
never imported or run, and each is parsed at most once per run however many files import it.
Anything else (an installed library, a name that matches no file) resolves to None, and the
analyses treat it as unknown.
"""

from __future__ import annotations

import io
import os
import re
import tokenize
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from auditor.record import field, record

if TYPE_CHECKING:
    import libcst as cst

T = TypeVar("T")

#: Larger files are not audited code a benchmark imports for its timing helpers.
MAX_MODULE_BYTES = 1_000_000
#: How far above the file's folder absolute imports (and the modules importing the file) are
#: looked for: a benchmark in `benchmarks/llm/` importing the repository's `src` package.
MAX_LEVELS_UP = 3
#: Files that mark the root of a project: nothing above it is the project's code.
ROOT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")
#: Packages the analyses know as libraries (by their qualified names): a repository of one of
#: them adding its own `src` to `sys.path` (the library's examples) still imports the library,
#: not project code to follow.
LIBRARY_PACKAGES = frozenset(
    {"torch", "diffusers", "transformers", "accelerate", "optimum", "vllm", "peft", "timm"}
)
#: At most this many Python files of a project are scanned for the modules importing a file.
MAX_PROJECT_FILES = 3000


@record(frozen=True)
class ProjectModule:
    name: str  # dotted, as imported
    path: Path
    module: cst.Module


@record
class ProjectCache:
    """Parsed modules and what analyses derived from them, shared by every file of a run."""

    parsed: dict[Path, ProjectModule | None] = field(default_factory=dict)
    derived: dict[tuple[Path, str], Any] = field(default_factory=dict)


#: An import statement and what it imports (`from a.b import (x, y)`, `import a.b as c`).
IMPORT_RE = re.compile(r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+)?import[ \t]+(\([^)]*\)|[^\n]*)", re.M)


class ProjectModules:
    """Resolves module names imported by one file to sibling source files."""

    def __init__(self, file_path: Path | None, cache: ProjectCache | None = None) -> None:
        self.file_path = file_path.resolve() if file_path is not None else None
        self.cache = cache if cache is not None else ProjectCache()
        #: the sibling files this file's analyses read (a result cache must key on them too)
        self.used: set[Path] = set()
        #: folders the file adds to `sys.path` (`analyses.syspath`), searched after the others
        self.extra_folders: list[Path] = []

    def find(self, name: str, level: int = 0) -> ProjectModule | None:
        """The module `name` (`pkg.mod`), relative to the file's folder; `level` is the number of
        leading dots of a relative import."""
        for candidate in self.candidates(name, level):
            module = self._parse(candidate)
            if module is not None:
                self.used.add(module.path)
                return ProjectModule(name, module.path, module.module)
        return None

    def candidates(self, name: str, level: int = 0) -> list[Path]:
        """The files `find` tries for `name`, in order (read nothing, parse nothing)."""
        if self.file_path is None or (not name and level == 0):
            return []
        parts = [p for p in name.split(".") if p]
        if level:
            base = self.file_path.parent
            for _ in range(level - 1):
                base = base.parent
            bases = [base]
        else:
            bases = self.search_folders()
            if parts and parts[0] not in LIBRARY_PACKAGES:
                bases = bases + self.extra_folders + self.src_folders()
        out: list[Path] = []
        for base in bases:
            for candidate in (
                base.joinpath(*parts).with_suffix(".py"),
                base.joinpath(*parts, "__init__.py"),
            ):
                if candidate.is_file() and _resolve(candidate) not in (self.file_path, None):
                    out.append(candidate)
        return out

    def search_folders(self) -> list[Path]:
        """Where an absolute import of this file is looked for: its folder, then the folders
        above it up to the project root (see the module docstring)."""
        if self.file_path is None:
            return []
        folder = self.file_path.parent
        return self.cached((folder, "search-folders"), lambda: _folders_up(folder))

    def src_folders(self) -> list[Path]:
        """`<folder>/src` beside the folders searched: a `src` layout's installed package
        (also where no root marker was found: a checkout copied without its packaging
        files). Never for a library's own name (`diffusers` in the diffusers repository)."""
        folders = self.search_folders()
        if not folders:
            return []
        return self.cached(
            (folders[0], "src-folders"),
            lambda: [f / "src" for f in folders if (f / "src").is_dir()],
        )

    def importers_naming(self, name: str, imported: bool = False) -> list[ProjectModule]:
        """The modules that import this file and whose text names `name` (a function or class
        of this file whose callers are looked for), with `imported` in an import statement
        (`from bench import main`, not the importer's own `def main`): only those are parsed.
        Every importer counts as used, so a cached result is dropped when any of them changes."""
        if self.file_path is None:
            return []
        paths = self.importer_paths()
        self.used.update(paths)
        word = re.compile(rf"\b{re.escape(name)}\b")
        out = []
        for path in paths:
            text = self.text(path)
            if text is None or word.search(text) is None:
                continue
            if imported and not any(word.search(m.group(1)) for m in IMPORT_RE.finditer(text)):
                continue
            module = self._parse(path)
            if module is not None:
                out.append(module)
        return out

    def importer_paths(self) -> list[Path]:
        """The files `importers` parses: those whose text imports this file (read as text,
        never parsed)."""
        if self.file_path is None:
            return []
        file_path = self.file_path
        return self.cached((file_path, "importer-paths"), lambda: self._importer_paths(file_path))

    def _importer_paths(self, file_path: Path) -> list[Path]:
        folders = self.search_folders()
        dotted = [file_path.stem]
        qualified: list[str] = []
        for folder in folders[:-1]:
            dotted = [folder.name, *dotted]
            qualified.append(".".join(dotted))
        local = _import_pattern([file_path.stem], local=True)
        far = [_import_pattern(name.split("."), local=False) for name in qualified]
        found: list[Path] = []
        top = folders[-1]
        if _is_root(top):  # the whole project, below its root marker
            candidates = self.cached((top, "project-files"), lambda: _project_files(top))
        else:
            # no root found: the folders above the file (not what lies beside them), and all
            # below the folder that holds the file's top package, or the file itself: its
            # scripts and tests (`scripts/run.py` beside `pkg/`, `quant1/bench.py` below a
            # root-level `my_bench.py` that it reaches through `sys.path`)
            candidates = [f for folder in folders for f in _project_files(folder, deep=False)]
            below = _package_root(folders) or folders[0]
            deep = self.cached((below, "project-files"), lambda: _project_files(below))
            seen = set(candidates)
            candidates += [f for f in deep if f not in seen]
        plain = _import_pattern([file_path.stem], local=False)
        for path in candidates:
            if _resolve(path) in (file_path, None):
                continue  # the file itself, or a link that leads nowhere (a loop)
            text = self.text(path)
            if not text or file_path.stem not in text:  # every pattern names the module
                continue
            near = _resolve(path.parent) == file_path.parent
            if (near and local.search(text)) or any(p.search(text) for p in far):
                found.append(path)
            elif "sys.path" in text and plain.search(text):
                found.append(path)  # `sys.path.append("..")`, then `from my_bench import ...`
        return found

    def text(self, path: Path) -> str | None:
        """A project file's text, read once per run."""
        return self.cached((path, "text"), lambda: _read(path))

    def cached(self, key: tuple[Path, str], make: Callable[[], T]) -> T:
        """What `make` returns, computed once per run for `key` (shared by every file)."""
        if key not in self.cache.derived:
            self.cache.derived[key] = make()
        value: T = self.cache.derived[key]
        return value

    def derive(self, module: ProjectModule, key: str, make: Callable[[], T]) -> T | None:
        """Memoise what an analysis computes from a module (its facts, its summaries). None
        while it is being computed, so modules that import each other do not recurse."""
        slot = (module.path, key)
        if slot not in self.cache.derived:
            self.cache.derived[slot] = None
            self.cache.derived[slot] = make()
        value: T | None = self.cache.derived[slot]
        return value

    def _parse(self, path: Path) -> ProjectModule | None:
        if not parts_ok(path):
            return None
        resolved = _resolve(path)
        if resolved is None:
            return None
        if resolved in self.cache.parsed:
            return self.cache.parsed[resolved]
        import libcst as cst  # only when a module is parsed: the screen reads text

        result: ProjectModule | None = None
        text = self.text(resolved)
        if text is not None:
            try:
                result = ProjectModule(resolved.stem, resolved, cst.parse_module(text))
            except (cst.ParserSyntaxError, RecursionError):
                result = None
        self.cache.parsed[resolved] = result
        return result


def _folders_up(folder: Path) -> list[Path]:
    folders = [folder]
    for _ in range(MAX_LEVELS_UP):
        if _is_root(folder) or not parts_ok(folder):
            break
        parent = folder.parent
        if parent == folder:
            break
        folder = parent
        folders.append(folder)
    return folders


def _import_pattern(dotted: list[str], local: bool) -> re.Pattern[str]:
    """`import a.b.c`, `from a.b.c import`, `from a.b import c` (and the relative `from .c
    import` for a module of the same folder)."""
    full = re.escape(".".join(dotted))
    forms = [rf"from\s+{full}\s+import\b", rf"import\s+{full}\b"]
    if len(dotted) > 1:
        parent = re.escape(".".join(dotted[:-1]))
        forms.append(rf"from\s+{parent}\s+import\s+[^\n]*\b{re.escape(dotted[-1])}\b")
    if local:
        forms.append(rf"from\s+\.{full}\s+import\b")
    return re.compile(rf"^\s*(?:{'|'.join(forms)})", re.M)


#: Folders never holding the project's own code.
SKIP_FOLDERS = frozenset(
    {"site-packages", "dist-packages", "node_modules", "__pycache__", "build", "dist", "venv"}
)


def _package_root(folders: list[Path]) -> Path | None:
    """With no root marker: the folder that holds the file's top package (`inferbench/` with
    its `__init__.py`, in `repo/`), from which `from inferbench.client import complete`
    resolves; its scripts and tests import the file from folders beside the package."""
    index = 0
    while index < len(folders) and (folders[index] / "__init__.py").is_file():
        index += 1
    return folders[index] if 0 < index < len(folders) else None


def _is_root(folder: Path) -> bool:
    return any((folder / marker).exists() for marker in ROOT_MARKERS)


def _project_files(root: Path, deep: bool = True) -> list[Path]:
    """The Python files under `root` (at most `MAX_PROJECT_FILES`), skipping hidden folders,
    virtual environments and build outputs; `deep=False`: those of `root` itself."""
    out: list[Path] = []
    try:
        for folder, dirs, files in os.walk(root):
            if not deep:
                dirs[:] = []
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_FOLDERS)
            out += [Path(folder) / f for f in sorted(files) if f.endswith(".py")]
            if len(out) >= MAX_PROJECT_FILES:
                break
    except OSError:
        pass
    return out[:MAX_PROJECT_FILES]


def _resolve(path: Path) -> Path | None:
    """The real path, or None for a link loop."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def parts_ok(path: Path) -> bool:
    """Never read from an installed environment, even if a folder beside the script holds one."""
    return not any(p in ("site-packages", "dist-packages") for p in path.parts)


def _read(path: Path) -> str | None:
    """The decoded source of a file, or None (missing, too large, undecodable)."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_MODULE_BYTES:
            return None
        data = path.read_bytes()
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding).removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError, SyntaxError, LookupError):
        return None
