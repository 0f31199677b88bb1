"""Which files a run checks: explicit files as given, directories walked for Python scripts
(`*.py`) and Jupyter notebooks (`*.ipynb`).

Walking never follows a symlinked directory (so a symlink loop cannot trap it) and never stops
at a folder it cannot read: that folder is listed like a file, and checking it reports the
read error.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "build",
        "dist",
        ".eggs",
        "site-packages",
    }
)
SOURCE_SUFFIXES = (".py", ".ipynb")


class PathError(ValueError):
    """A path given on the command line that does not exist."""


def display_path(path: Path) -> str:
    """Relative to the working directory when inside it, with forward slashes."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        rel = str(path)
    if rel.startswith(".." + os.sep) or rel == "..":
        rel = str(path)
    return rel.replace(os.sep, "/")


def _matches(rel: str, exclude: Sequence[str]) -> bool:
    parts = rel.split("/")
    return any(
        fnmatch.fnmatch(rel, pat) or any(fnmatch.fnmatch(p, pat) for p in parts) for pat in exclude
    )


def discover(
    paths: Sequence[Path],
    exclude: Sequence[str] = (),
    skip: Callable[[Path, str], bool] | None = None,
) -> Iterator[tuple[Path, str]]:
    """Yield (path, display) pairs, sorted and de-duplicated. Explicit files are always
    listed (the caller decides whether exclusions apply to them); directories are walked
    without following symlinked directories (no loops), leaving out what `exclude` (patterns on
    the display path) or `skip(path, display)` excludes."""

    def _excluded(disp: str, full: Path | None = None) -> bool:
        if skip is not None and full is not None and skip(full, disp):
            return True
        return _matches(disp, exclude)

    seen: set[str] = set()
    out: list[tuple[Path, str]] = []
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise PathError(f"{path}: no such file or directory")
        if path.is_dir():
            unreadable: list[OSError] = []
            for root, dirs, files in os.walk(path, onerror=unreadable.append, followlinks=False):
                dirs[:] = sorted(
                    d
                    for d in dirs
                    if d not in SKIP_DIRS
                    and not d.startswith(".")
                    and not _excluded(display_path(Path(root) / d), Path(root) / d)
                )
                for name in sorted(files):
                    if not name.endswith(SOURCE_SUFFIXES):
                        continue
                    full = Path(root) / name
                    disp = display_path(full)
                    if _excluded(disp, full) or disp in seen:
                        continue
                    seen.add(disp)
                    out.append((full, disp))
            for err in unreadable:  # reported as a read error when it is checked
                if err.filename is not None:
                    full = Path(os.fsdecode(err.filename))
                    disp = display_path(full)
                    if disp not in seen and not _excluded(disp, full):
                        seen.add(disp)
                        out.append((full, disp))
        else:
            disp = display_path(path)
            if disp not in seen:
                seen.add(disp)
                out.append((path, disp))
    out.sort(key=lambda item: item[1])
    yield from out
