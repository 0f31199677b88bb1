"""A content-addressed cache of per-file results, so a re-run on an unchanged tree is nearly free.

An entry is the JSON of one file's `FileResult`, stored under a key that hashes everything the
result depends on: the file's bytes and where it is (its display path and real path: per-file
ignores and sibling-module lookups depend on them), the tool (version, and the size and mtime
of its own source files, so an edited rule never serves stale results), the interpreter and
libcst versions, and the configuration (selected rules, their options, the model modules named
with `--model` and their contents). An entry also lists the sibling modules the analyses read
(`from timing_utils import Timer`) with their hashes, and is ignored when one has changed.

The cache lives in `.benchaudit_cache/` at the project root (the nearest folder above the
working directory with a pyproject.toml or .git; else the working directory), or in
`$BENCHAUDIT_CACHE_DIR`. Entries are written atomically (a temporary file, then a rename), so
concurrent runs and interrupted writes never leave a torn entry; an entry that cannot be read
or decoded is a miss, never an error. Read errors and internal errors are never cached.

Known limit: a sibling module that did not exist when a file was checked is not watched, so
creating one does not invalidate that file's entry (`--no-cache`, or delete the folder).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.core import FileError, FileResult, Finding

CACHE_DIR_NAME = ".benchaudit_cache"
ENV_CACHE_DIR = "BENCHAUDIT_CACHE_DIR"
FORMAT = 1  # bump when the entry layout changes
_CACHEABLE_ERRORS = frozenset({"parse-error"})


def default_cache_dir(cwd: Path | None = None) -> Path:
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        return Path(env)
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file() or (folder / ".git").exists():
            return folder / CACHE_DIR_NAME
    return start / CACHE_DIR_NAME


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tool_fingerprint() -> str:
    """The tool's version plus the size and mtime of every source file that shapes findings
    (the engine, the analyses, the rules), so a development edit invalidates the cache."""
    import auditor

    roots = [Path(auditor.__file__).parent]
    try:
        import importlib.util

        spec = importlib.util.find_spec("auditor.rules")
        if spec is not None and spec.submodule_search_locations:
            roots += [Path(p) for p in spec.submodule_search_locations]
    except (ImportError, ValueError):
        pass
    parts = [__version__, sys.version.split()[0], _libcst_version()]
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in ("verify", "reporters"))
            for name in sorted(filenames):
                if name.endswith(".py"):
                    full = os.path.join(dirpath, name)
                    try:
                        st = os.stat(full)
                    except OSError:
                        continue
                    parts.append(f"{full}:{st.st_size}:{st.st_mtime_ns}")
    return sha256_bytes("\n".join(parts).encode())


def _libcst_version() -> str:
    try:
        from importlib.metadata import version

        return version("libcst")
    except Exception:  # not installed as a distribution (vendored): its files still count
        return "unknown"


def config_fingerprint(
    rule_codes: Iterable[str],
    options: Mapping[str, Any],
    model_paths: Mapping[str, str],
) -> str:
    """The configuration a result depends on; model modules count by their contents."""
    models: dict[str, list[str | None]] = {}
    for name, path in sorted(model_paths.items()):
        try:
            models[name] = [path, sha256_bytes(Path(path).read_bytes())]
        except OSError:
            models[name] = [path, None]
    data = {
        "tool": tool_fingerprint(),
        "rules": sorted(rule_codes),
        "options": options,
        "models": models,
    }
    return sha256_bytes(json.dumps(data, sort_keys=True, default=str).encode())


@dataclass
class ResultCache:
    """Per-file results on disk. Picklable, so worker processes read and write it too."""

    directory: Path
    config: str  # config_fingerprint(...)
    hits: int = 0
    misses: int = 0
    _dep_hashes: dict[str, str | None] = field(default_factory=dict, repr=False)
    _writable: bool = True

    def key(self, display: str, real_path: Path, content: bytes, ignores: Iterable[str]) -> str:
        basis = "\0".join(
            [
                f"v{FORMAT}",
                self.config,
                display,
                str(real_path),
                sha256_bytes(content),
                ",".join(sorted(ignores)),
            ]
        )
        return sha256_bytes(basis.encode("utf-8", "surrogateescape"))

    def _entry(self, key: str) -> Path:
        return self.directory / f"v{FORMAT}" / key[:2] / f"{key}.json"

    def get(self, key: str) -> FileResult | None:
        try:
            data = json.loads(self._entry(key).read_bytes())
            if not self._dependencies_unchanged(data.get("dependencies", [])):
                raise ValueError("a sibling module changed")
            result = result_from_dict(data["result"])
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            self.misses += 1  # unreadable, torn, corrupt or stale: recompute
            return None
        self.hits += 1
        return result

    def put(self, key: str, result: FileResult, dependencies: Iterable[Path] = ()) -> None:
        if not self._writable:
            return
        if result.error is not None and result.error.kind not in _CACHEABLE_ERRORS:
            return
        deps = []
        for dep in sorted({str(d) for d in dependencies}):
            digest = self._dep_hash(dep)
            if digest is None:
                return  # a module read a moment ago is gone: do not cache
            deps.append([dep, digest])
        payload = json.dumps(
            {"result": result_to_dict(result), "dependencies": deps},
            separators=(",", ":"),  # ASCII: a non-UTF-8 file name (a lone surrogate) survives
        )
        try:
            self._write(self._entry(key), payload)
        except OSError:
            self._writable = False  # read-only or full: keep checking without the cache

    def _write(self, path: Path, text: str) -> None:
        folder = path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise OSError(f"{folder} is not a folder") from None
        self._mark_root()
        import tempfile

        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def _mark_root(self) -> None:
        """A .gitignore and a CACHEDIR.TAG, as ruff and pytest leave in their caches."""
        ignore = self.directory / ".gitignore"
        if ignore.exists():
            return
        try:
            ignore.write_text("# Created by benchaudit automatically.\n*\n", encoding="utf-8")
            (self.directory / "CACHEDIR.TAG").write_text(
                "Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by benchaudit.\n",
                encoding="utf-8",
            )
        except OSError:
            pass

    def _dep_hash(self, path: str) -> str | None:
        if path not in self._dep_hashes:
            try:
                self._dep_hashes[path] = sha256_bytes(Path(path).read_bytes())
            except OSError:
                self._dep_hashes[path] = None
        return self._dep_hashes[path]

    def _dependencies_unchanged(self, deps: Any) -> bool:
        if not isinstance(deps, list):
            return False
        for dep in deps:
            path, digest = dep
            if self._dep_hash(str(path)) != digest:
                return False
        return True


def result_to_dict(result: FileResult) -> dict[str, Any]:
    return {
        "path": result.path,
        "findings": [f.to_dict() for f in result.findings],
        "error": None if result.error is None else result.error.to_dict(),
    }


def result_from_dict(data: Mapping[str, Any]) -> FileResult:
    error = data.get("error")
    return FileResult(
        data["path"],
        findings=tuple(Finding.from_dict(f) for f in data["findings"]),
        error=None if error is None else FileError.from_dict(error),
    )
