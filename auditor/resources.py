"""Files shipped inside the package (the JSON schemas) and safe writing of user files."""

from __future__ import annotations

import json
import os
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any


def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("auditor.schemas").joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def write_atomic(path: Path, text: str, *, mode: int | None = None) -> None:
    """Write to a temporary file beside `path`, then rename: a reader never sees half a file,
    and the old content survives any error. Keeps the file's permission bits (and, where
    allowed, its owner); a symlink is written through, so the link stays a link."""
    if path.is_symlink():
        path = path.resolve()
    folder = path.parent if str(path.parent) else Path(".")
    owner: tuple[int, int] | None = None
    try:
        st = path.stat()
        owner = (st.st_uid, st.st_gid)
    except OSError:
        pass
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            # A new file gets the permissions open() would give it, not mkstemp's 0600.
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        if mode is not None:
            os.chmod(tmp, mode)
        if owner is not None and hasattr(os, "chown"):
            try:
                os.chown(tmp, *owner)
            except OSError:  # only root may give a file away: then the writer owns it
                pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
