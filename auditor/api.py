"""One way into a run: a typed request becomes a prepared run that `check`, `fix` and `verify`
share, and that a Python caller can use directly.

    >>> from auditor.api import RunRequest, prepare
    >>> run = prepare(RunRequest(paths=("fixtures/seed",)))
    >>> report = run.check()
    >>> [f.code for f in report.findings][:2]

`prepare` does everything that can fail on bad input before anything is checked, and says what
is wrong in one line (`SetupError`): a configuration that is not valid TOML, has an unknown key or
a bad value; an unknown rule selector; a path or `--model` file that does not exist.

Configuration is resolved per checked file (the nearest `pyproject.toml` with a
`[tool.benchaudit]` table above it, as ruff finds its settings; `config=` forces one file for
all), then the request's selections go on top. Files that share a configuration share one
`CheckOptions`, so one rule selection and one cache fingerprint serve them all. `exclude` prunes
walked directories; with `force_exclude` (or `force-exclude = true`) it also drops files named
explicitly, which the pre-commit hook needs because it names every staged file.

Nothing here imports the command line; `auditor.cli` and `auditor.verify.cli` are thin layers
over this module.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.config import Config, ConfigError, ConfigResolver, load_config
from auditor.core import CheckReport, FileResult
from auditor.discovery import PathError, discover, display_path
from auditor.options import CheckOptions
from auditor.record import field, record, replace
from auditor.registry import UnknownRuleError, rule_classes, select_codes

if TYPE_CHECKING:
    from auditor.engine import Rule
    from auditor.fix import FileFix

#: The path that means "read standard input", as in ruff and most linters.
STDIN = "-"


class SetupError(ValueError):
    """The request cannot run; the message is one line that names the file and the problem."""


def split_selectors(values: Iterable[str] | None) -> tuple[str, ...]:
    """`--select BA1,BA2 --select BA3` -> ("BA1", "BA2", "BA3"), as ruff reads its lists."""
    return tuple(s.strip() for v in values or () for s in v.split(",") if s.strip())


@record(frozen=True)
class RunRequest:
    """What to check and how: the command line's options, or a Python caller's."""

    paths: Sequence[Path | str] = ()
    select: Sequence[str] | None = None
    ignore: Sequence[str] = ()
    extend_select: Sequence[str] = ()
    #: model name -> module path (relative to the working directory), on top of `models` in
    #: the configuration; every file must exist
    models: Mapping[str, str] = field(default_factory=dict)
    #: one configuration file for every checked file (pyproject.toml or a bare TOML table)
    config: Path | None = None
    #: no configuration at all
    isolated: bool = False
    #: apply `exclude` to named files too; None: the configuration's `force-exclude`
    force_exclude: bool | None = None
    #: `paths` may hold "-": read that source from standard input (or `stdin_data`) and report
    #: (and resolve configuration) as this file name
    stdin_filename: str | None = None
    stdin_data: bytes | None = None
    #: skip files that cannot have a finding (`auditor.screen`); False analyses every file
    screen: bool = True


@record(frozen=True)
class FileGroup:
    """Files that share one configuration, hence one set of rules and options."""

    config: Config
    options: CheckOptions
    files: tuple[tuple[Path, str], ...]


@record(frozen=True)
class StdinSource:
    path: Path  # where it would be on disk (for sibling modules); need not exist
    display: str
    data: bytes
    options: CheckOptions


@record(frozen=True)
class PreparedRun:
    """A request with its configuration resolved, rules selected and files listed."""

    groups: tuple[FileGroup, ...]
    #: the codes of every rule enabled for at least one file, in code order
    codes: tuple[str, ...]
    #: model name -> module path: the configuration's (of the first checked file), then the
    #: request's
    models: dict[str, str]
    stdin: StdinSource | None = None

    @property
    def rules(self) -> tuple[type[Rule], ...]:
        """Every rule enabled for at least one file, in code order (a report's rule list);
        imports them."""
        return rule_classes(self.codes)

    @property
    def files(self) -> list[tuple[Path, str]]:
        return sorted((f for g in self.groups for f in g.files), key=lambda f: f[1])

    def only(self, keep: Callable[[str], bool]) -> PreparedRun:
        """The same run, limited to the files whose display path `keep` accepts."""
        groups = tuple(
            replace(g, files=tuple(f for f in g.files if keep(f[1]))) for g in self.groups
        )
        stdin = self.stdin if self.stdin is None or keep(self.stdin.display) else None
        return replace(self, groups=tuple(g for g in groups if g.files), stdin=stdin)

    def check(
        self, *, jobs: int = 1, use_cache: bool = False, progress: bool = False
    ) -> CheckReport:
        """Check every file. `jobs=0`: one process per core. `use_cache`: the result cache
        (`.benchaudit_cache/`). `progress`: a progress bar on a terminal for a large tree."""
        from auditor.parallel import check_group, check_one

        results: list[FileResult] = []
        for group in self.groups:
            results += check_group(
                list(group.files),
                group.options,
                jobs=jobs,
                use_cache=use_cache,
                progress=progress,
            ).files
        if self.stdin is not None:
            s = self.stdin
            results.append(check_one(s.path, s.display, s.options, data=s.data))
        return CheckReport(sorted(results, key=lambda r: r.path))

    def fix(self, *, unsafe: bool = False, write: bool = True) -> list[FileFix]:
        """Apply (or, with `write=False`, compute) the fixes of every file."""
        from auditor.fix import fix_file

        if self.stdin is not None:
            raise SetupError("fixes are written to files: standard input cannot be fixed")
        by_file = {f: g.options for g in self.groups for f in g.files}
        return [
            fix_file(path, display, by_file[(path, display)], unsafe=unsafe, write=write)
            for path, display in self.files
        ]


def _codes_for(cfg: Config, request: RunRequest) -> tuple[str, ...]:
    select = split_selectors(request.select) if request.select else None
    try:
        return select_codes(
            select=select if select else cfg.select,
            ignore=[*cfg.ignore, *split_selectors(request.ignore)],
            extend_select=[*cfg.extend_select, *split_selectors(request.extend_select)],
        )
    except UnknownRuleError as exc:
        where = f"{cfg.path}: " if cfg.path is not None and not select else ""
        raise SetupError(f"{where}{exc}") from None


def _check_models(models: Mapping[str, str], origin: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, path in models.items():
        if not name or not path:
            raise SetupError(f"{origin}: a model needs a name and a path, got {name!r}={path!r}")
        p = Path(path)
        if not p.exists():
            raise SetupError(f"{origin}: model file not found: {path} (model `{name}`)")
        if not p.is_file():
            raise SetupError(f"{origin}: model `{name}` is not a file: {path}")
        out[name] = path
    return out


def prepare(request: RunRequest) -> PreparedRun:
    """Resolve a request into a run; raises `SetupError` (one line) on any bad input."""
    try:
        return _prepare(request)
    except ConfigError as exc:
        raise SetupError(str(exc)) from None
    except PathError as exc:
        raise SetupError(str(exc)) from None


def _prepare(request: RunRequest) -> PreparedRun:
    cli_models = _check_models(request.models, "--model")
    fixed: Config | None = None
    if request.isolated:
        fixed = Config()
    elif request.config is not None:
        fixed = load_config(request.config)
    resolver = ConfigResolver()

    def config_for(path: Path, *, folder: bool = False) -> Config:
        """The configuration of a file (or, with `folder`, of a folder's own files)."""
        if fixed is not None:
            return fixed
        return resolver.for_folder(path if folder else path.parent)

    paths = [Path(p) for p in request.paths]
    wants_stdin = any(str(p) == STDIN for p in paths)
    on_disk = [p for p in paths if str(p) != STDIN]
    if not on_disk and not wants_stdin:
        raise SetupError("no paths to check")

    # Directories are walked with the exclusions of the configuration above each one.
    found: list[tuple[Path, str]] = []
    for path in on_disk:
        walked = path.is_dir()
        cfg = config_for(path, folder=walked)
        force = request.force_exclude if request.force_exclude is not None else cfg.force_exclude

        def skip(full: Path, disp: str) -> bool:
            return config_for(full).excludes(full, disp)

        for item in discover([path], skip=skip):
            file_cfg = config_for(item[0]) if walked else cfg
            if (walked or force) and file_cfg.excludes(*item):
                continue
            found.append(item)

    groups: dict[int, tuple[Config, list[tuple[Path, str]]]] = {}
    seen: set[str] = set()
    for item in sorted(found, key=lambda f: f[1]):
        if item[1] in seen:
            continue
        seen.add(item[1])
        cfg = config_for(item[0])
        groups.setdefault(id(cfg), (cfg, []))[1].append(item)

    # Where standard input would be on disk (for its configuration and sibling modules).
    stdin_path = Path(request.stdin_filename or "stdin.py").absolute()
    stdin_cfg = config_for(stdin_path) if wants_stdin else None
    configs = [cfg for cfg, _ in groups.values()] + ([stdin_cfg] if stdin_cfg else [])
    if not configs:  # every path excluded: the configuration still applies to nothing
        configs = [config_for(Path.cwd(), folder=True)]

    options: dict[int, CheckOptions] = {}

    def options_for(cfg: Config) -> CheckOptions:
        if id(cfg) not in options:
            cfg_models = _check_models(cfg.model_paths(), f"{cfg.path} [tool.benchaudit.models]")
            options[id(cfg)] = CheckOptions(
                _codes_for(cfg, request),
                options=cfg.rule_options,
                model_paths={**cfg_models, **cli_models},
                screen=request.screen,
            )
        return options[id(cfg)]

    built: list[FileGroup] = []
    for cfg, files in groups.values():
        opts = options_for(cfg)
        if cfg.per_file_ignores:
            extra = {disp: cfg.ignores_for(disp, path) for path, disp in files}
            opts = replace(opts, extra_ignores={k: v for k, v in extra.items() if v})
        built.append(FileGroup(cfg, opts, tuple(files)))

    stdin = None
    if stdin_cfg is not None:
        data = request.stdin_data
        if data is None:
            try:
                data = sys.stdin.buffer.read()
            except (OSError, ValueError, AttributeError) as exc:
                raise SetupError(f"cannot read standard input: {exc}") from None
        name = request.stdin_filename
        display = display_path(Path(name)) if name else "<stdin>"
        opts = options_for(stdin_cfg)
        ignores = stdin_cfg.ignores_for(display)
        if ignores:
            opts = replace(opts, extra_ignores={display: ignores})
        stdin = StdinSource(stdin_path, display, data, opts)

    # The models a run reports (verify's default models): the first configuration's, then the
    # request's; the rules: every rule enabled for some file.
    models = dict(options_for(configs[0]).model_paths)
    codes = tuple(sorted({c for o in options.values() for c in o.codes}))
    return PreparedRun(tuple(built), codes, models, stdin)


def check(
    paths: Sequence[Path | str],
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    models: Mapping[str, str] | None = None,
    config: Path | None = None,
    isolated: bool = False,
    jobs: int = 1,
) -> CheckReport:
    """Check files and directories as `benchaudit check` does (configuration included)."""
    request = RunRequest(
        paths=tuple(paths),
        select=select,
        ignore=ignore,
        models=dict(models or {}),
        config=config,
        isolated=isolated,
    )
    return prepare(request).check(jobs=jobs)
