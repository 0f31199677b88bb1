"""`[tool.benchaudit]` in pyproject.toml, validated against `schemas/config.schema.json`."""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.resources import load_schema


class ConfigError(ValueError):
    """A configuration problem, worded for a one-line error message."""


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None = None
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    models: dict[str, str] = field(default_factory=dict)
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def ignores_for(self, display_path: str) -> frozenset[str]:
        found: set[str] = set()
        for pattern, codes in self.per_file_ignores:
            if fnmatch.fnmatch(display_path, pattern) or fnmatch.fnmatch(
                Path(display_path).name, pattern
            ):
                found.update(c.upper() if c.upper().startswith("BA") else c for c in codes)
        return frozenset(found)


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start` that has a [tool.benchaudit] table."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if "benchaudit" in data.get("tool", {}):
                return candidate
    return None


def load_config(path: Path | None, *, search_from: Path | None = None) -> Config:
    """Read and validate the configuration. An explicit `path` must exist and parse."""
    if path is None:
        path = find_pyproject(search_from or Path.cwd())
        if path is None:
            return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("benchaudit", {}) if path.name == "pyproject.toml" else data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.benchaudit] must be a table")
    _validate(table, path)
    return Config(
        path=path,
        select=tuple(table["select"]) if "select" in table else None,
        extend_select=tuple(table.get("extend-select", ())),
        ignore=tuple(table.get("ignore", ())),
        exclude=tuple(table.get("exclude", ())),
        per_file_ignores=tuple(
            (pattern, tuple(codes)) for pattern, codes in table.get("per-file-ignores", {}).items()
        ),
        models=dict(table.get("models", {})),
        rule_options={
            name: {k.replace("-", "_"): v for k, v in opts.items()}
            for name, opts in table.get("rules", {}).items()
        },
    )


def _validate(table: dict[str, Any], path: Path) -> None:
    import jsonschema  # only when there is a configuration to check

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
