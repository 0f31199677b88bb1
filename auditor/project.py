"""The audited project's own modules, found beside the file being checked and parsed on demand.

`from timing_utils import Timer` in `bench.py` refers to `timing_utils.py` in the same folder (or
`timing_utils/__init__.py`); `from .utils.timing import Timer` to a module relative to the file's
package. Such modules are read and parsed with libcst, never imported or run, and each is parsed
at most once per run however many files import it. Anything else (an installed library, a name
that matches no file) resolves to None, and the analyses treat it as unknown.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import libcst as cst

T = TypeVar("T")

#: Larger files are not audited code a benchmark imports for its timing helpers.
MAX_MODULE_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class ProjectModule:
    name: str  # dotted, as imported
    path: Path
    module: cst.Module


@dataclass(slots=True)
class ProjectCache:
    """Parsed modules and what analyses derived from them, shared by every file of a run."""

    parsed: dict[Path, ProjectModule | None] = field(default_factory=dict)
    derived: dict[tuple[Path, str], Any] = field(default_factory=dict)


class ProjectModules:
    """Resolves module names imported by one file to sibling source files."""

    def __init__(self, file_path: Path | None, cache: ProjectCache | None = None) -> None:
        self.file_path = file_path.resolve() if file_path is not None else None
        self.cache = cache if cache is not None else ProjectCache()
        #: the sibling files this file's analyses read (a result cache must key on them too)
        self.used: set[Path] = set()

    def find(self, name: str, level: int = 0) -> ProjectModule | None:
        """The module `name` (`pkg.mod`), relative to the file's folder; `level` is the number of
        leading dots of a relative import."""
        if self.file_path is None or (not name and level == 0):
            return None
        base = self.file_path.parent
        for _ in range(max(level - 1, 0)):
            base = base.parent
        parts = [p for p in name.split(".") if p]
        for candidate in (
            base.joinpath(*parts).with_suffix(".py"),
            base.joinpath(*parts, "__init__.py"),
        ):
            if candidate.resolve() == self.file_path:
                continue
            module = self._parse(candidate)
            if module is not None:
                self.used.add(module.path)
                return ProjectModule(name, module.path, module.module)
        return None

    def importers(self) -> list[ProjectModule]:
        """The modules in this file's folder that import it (`import x`, `from x import ...`)."""
        if self.file_path is None:
            return []
        folder, stem = self.file_path.parent, self.file_path.stem
        key = (folder, "importers:" + stem)
        if key not in self.cache.derived:
            pattern = re.compile(
                rf"^\s*(from\s+\.?{re.escape(stem)}\s+import\b|import\s+{re.escape(stem)}\b)",
                re.M,
            )
            found: list[ProjectModule] = []
            try:
                siblings = sorted(folder.glob("*.py"))
            except OSError:
                siblings = []
            for path in siblings:
                if path.resolve() == self.file_path:
                    continue
                text = _read(path)
                module = self._parse(path) if text and pattern.search(text) else None
                if module is not None:
                    found.append(module)
            self.cache.derived[key] = found
        result: list[ProjectModule] = self.cache.derived[key]
        self.used.update(m.path for m in result)
        return result

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
        resolved = path.resolve()
        if resolved in self.cache.parsed:
            return self.cache.parsed[resolved]
        result: ProjectModule | None = None
        text = _read(resolved)
        if text is not None:
            try:
                result = ProjectModule(resolved.stem, resolved, cst.parse_module(text))
            except (cst.ParserSyntaxError, RecursionError):
                result = None
        self.cache.parsed[resolved] = result
        return result


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
