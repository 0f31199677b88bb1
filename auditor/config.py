"""`[tool.benchaudit]` in pyproject.toml, validated against `schemas/config.schema.json`.

Each checked file takes its configuration from the nearest `pyproject.toml` at or above its
folder that has a `[tool.benchaudit]` table (as ruff does): a repository checked from another
directory keeps its own settings. Paths in a configuration (`exclude`, `per-file-ignores`,
`models`) are relative to the folder of the file that declares them.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Any

from auditor.record import field, record


class ConfigError(ValueError):
    """A configuration problem, worded for a one-line error message."""


@record(frozen=True)
class Config:
    path: Path | None = None
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    force_exclude: bool = False
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: model name -> module path, relative to the configuration's folder (as written)
    models: dict[str, str] = field(default_factory=dict)
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def root(self) -> Path | None:
        """The folder the configuration's relative paths start from."""
        return self.path.parent if self.path is not None else None

    def _candidates(self, path: Path, display: str) -> list[str]:
        """The strings a pattern is matched against: the path relative to the configuration's
        folder, the path as displayed, and each of their folder and file names."""
        names = [display]
        if self.root is not None:
            try:
                rel = os.path.relpath(os.path.abspath(path), os.path.abspath(self.root))
            except ValueError:
                rel = ""
            if rel and not rel.startswith(".."):
                names.append(rel.replace(os.sep, "/"))
        return names

    def excludes(self, path: Path, display: str) -> bool:
        """`exclude` matches the file or one of its folders."""
        return any(
            fnmatch.fnmatch(name, pat)
            or any(fnmatch.fnmatch(part, pat) for part in name.split("/"))
            for name in self._candidates(path, display)
            for pat in self.exclude
        )

    def ignores_for(self, display_path: str, path: Path | None = None) -> frozenset[str]:
        found: set[str] = set()
        names = self._candidates(path if path is not None else Path(display_path), display_path)
        for pattern, codes in self.per_file_ignores:
            if any(
                fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(name.rsplit("/", 1)[-1], pattern)
                for name in names
            ):
                found.update(c.upper() if c.upper().startswith("BA") else c for c in codes)
        return frozenset(found)

    def model_paths(self) -> dict[str, str]:
        """`models`, with each path resolved against the configuration's folder."""
        root = self.root
        return {
            name: str(root / path) if root is not None and not Path(path).is_absolute() else path
            for name, path in self.models.items()
        }


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # only when there is a file to read

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a configuration file") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ConfigError(f"{path}: cannot read: {reason}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start` that has a [tool.benchaudit] table.

    A pyproject.toml on the way that is not valid TOML is an error, not a file to skip: it may
    hold the table that was meant to apply."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "benchaudit" in _tool_table(_read_toml(candidate)):
            return candidate
    return None


def _tool_table(data: dict[str, Any]) -> dict[str, Any]:
    tool = data.get("tool", {})
    return tool if isinstance(tool, dict) else {}


def load_config(path: Path | None, *, search_from: Path | None = None) -> Config:
    """Read and validate the configuration. An explicit `path` must exist and parse; without
    one, the nearest configuration above `search_from` (the working directory) applies."""
    if path is None:
        path = find_pyproject((search_from or Path.cwd()).absolute())
        if path is None:
            return Config()
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        table = _tool_table(data).get("benchaudit")
        if table is None:
            raise ConfigError(f"{path}: has no [tool.benchaudit] table")
    else:
        table = data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.benchaudit] must be a table")
    _validate(table, path)
    return Config(
        path=path,
        select=tuple(table["select"]) if "select" in table else None,
        extend_select=tuple(table.get("extend-select", ())),
        ignore=tuple(table.get("ignore", ())),
        exclude=tuple(table.get("exclude", ())),
        force_exclude=bool(table.get("force-exclude", False)),
        per_file_ignores=tuple(
            (pattern, tuple(codes)) for pattern, codes in table.get("per-file-ignores", {}).items()
        ),
        models=dict(table.get("models", {})),
        rule_options={
            name: {k.replace("-", "_"): v for k, v in opts.items()}
            for name, opts in table.get("rules", {}).items()
        },
    )


class ConfigResolver:
    """The configuration of each checked file, found once per folder (ruff's hierarchical
    discovery): `for_file(path)` is the nearest `[tool.benchaudit]` above the file."""

    def __init__(self) -> None:
        self._by_folder: dict[Path, Config] = {}
        self._by_file: dict[Path, Config] = {}
        #: one object for every folder without a configuration, so that their files form one
        #: group of a run (one rule selection, one pool of worker processes)
        self._default = Config()

    def for_folder(self, folder: Path) -> Config:
        folder = folder.absolute()
        found = self._by_folder.get(folder)
        if found is None:
            pyproject = find_pyproject(folder)
            if pyproject is None:
                found = self._default
            else:
                found = self._by_file.get(pyproject) or load_config(pyproject)
                self._by_file[pyproject] = found
            self._by_folder[folder] = found
        return found

    def for_file(self, path: Path) -> Config:
        return self.for_folder(path.parent)


def _validate(table: dict[str, Any], path: Path) -> None:
    import jsonschema  # only when there is a configuration to check

    from auditor.resources import load_schema

    validator = jsonschema.Draft202012Validator(load_schema("config.schema.json"))
    errors = sorted(validator.iter_errors(table), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    err = errors[0]
    where = (
        "[tool.benchaudit"
        + "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in err.absolute_path)
        + "]"
    )
    if err.validator == "additionalProperties":
        known = set(err.schema.get("properties", {}))
        extra = sorted(set(err.instance) - known)
        raise ConfigError(f"{path}: unknown key `{extra[0]}` in {where}")
    raise ConfigError(f"{path}: {where}: {err.message}")
