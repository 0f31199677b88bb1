"""Check many files: cached results first, the rest on every core.

One file (or a few small ones) is checked in this process: starting workers would cost more
than it saves. More go to a `ProcessPoolExecutor` in chunks (largest files first, so a big file
does not finish last), each worker forked with the rules already imported. A worker that dies
(a native crash on hostile input, the OOM killer) costs nothing but its own files: they are
re-run one at a time in fresh workers, and a file that kills its worker again is reported as an
internal error for that file.
"""

from __future__ import annotations

import gc
import math
import os
import stat
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from auditor.checkfile import SourceDecodeError, check_source, decode_source
from auditor.core import CheckReport, FileError, FileResult
from auditor.limits import MAX_FILE_BYTES, MAX_NOTEBOOK_BYTES, too_large
from auditor.options import CheckOptions
from auditor.project import ProjectModules

if TYPE_CHECKING:  # imported when a pool is needed: multiprocessing costs a one-file run ~20 ms
    from concurrent.futures import Future, ProcessPoolExecutor

    from auditor.cache import ResultCache

#: Fewer files than this, or less source than PARALLEL_MIN_BYTES, are checked in-process.
PARALLEL_MIN_FILES = 4
PARALLEL_MIN_BYTES = 32_000
MAX_CHUNK = 16
COLLECT_EVERY = 16  # files checked in-process between garbage collections (collector off)

Progress = Callable[[int, int], None]  # (files done, files in all)
Item = tuple[Path, str]  # (path to read, path to report)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def read_error(display: str, exc: OSError | str) -> FileResult:
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
    else:
        reason = exc
    return FileResult(display, error=FileError(display, "read-error", f"cannot read: {reason}"))


def read_file(path: Path, display: str) -> bytes | FileResult:
    """The file's bytes, or the result that says why there are none to check."""
    # A notebook's outputs (images) can be large: the limit applies to its code, later.
    limit = MAX_NOTEBOOK_BYTES if _is_notebook(path, display) else MAX_FILE_BYTES
    try:
        st = os.stat(path)  # follows a symlink; a dangling one is "No such file or directory"
        if stat.S_ISDIR(st.st_mode):  # a folder the walk could not list: say why
            os.listdir(path)
            return read_error(display, "is a directory")
        if not stat.S_ISREG(st.st_mode):  # a FIFO or a device would block or never end
            return read_error(display, "not a regular file")
        if st.st_size > limit:
            return FileResult(display, error=too_large(display, st.st_size, limit))
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        return read_error(display, exc)
    if len(data) > limit:  # grew since stat
        return FileResult(display, error=too_large(display, len(data), limit))
    return data


def _is_notebook(path: Path, display: str) -> bool:
    return display.endswith(".ipynb") or path.suffix == ".ipynb"


def check_one(
    path: Path,
    display: str,
    opts: CheckOptions,
    cache: ResultCache | None = None,
    data: bytes | None = None,
    *,
    consult_cache: bool = True,
) -> FileResult:
    """Check one file (a .py script or an .ipynb notebook). Never raises for bad input.
    With `consult_cache=False` the cache was already asked (and missed): only store."""
    if data is None:
        read = read_file(path, display)
        if isinstance(read, FileResult):
            return read
        data = read
    key = None
    if cache is not None:
        key = cache.key(display, _real(path), data, opts.extra_ignores.get(display, ()))
        hit = cache.get(key) if consult_cache else None
        if hit is not None:
            return hit
    modules = ProjectModules(path, opts.project_cache)
    try:
        result = _check_data(path, display, data, opts, modules)
    except MemoryError:
        result = FileResult(display, error=FileError(display, "internal-error", "out of memory"))
    except Exception as exc:  # the engine turns rule bugs into errors; this is the last guard
        if os.environ.get("BENCHAUDIT_DEBUG"):
            raise
        message = f"{type(exc).__name__}: {exc}"
        result = FileResult(display, error=FileError(display, "internal-error", message))
    if cache is not None and key is not None:
        cache.put(key, result, modules.used)
    return result


def _check_data(
    path: Path, display: str, data: bytes, opts: CheckOptions, modules: ProjectModules
) -> FileResult:
    if _is_notebook(path, display):
        from auditor.notebooks import NotebookError, read_notebook, to_cells

        try:
            notebook = read_notebook(data)
        except NotebookError as exc:
            return FileResult(display, error=FileError(display, "parse-error", str(exc)))
        result = check_source(notebook.source, display, opts, file_path=path, modules=modules)
        return to_cells(result, notebook)
    try:
        source = decode_source(data)
    except SourceDecodeError as exc:  # the content, like a syntax error: not a read failure
        return FileResult(display, error=FileError(display, "parse-error", str(exc)))
    return check_source(source, display, opts, file_path=path, modules=modules)


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: the path as given still identifies it
        return path.absolute()


def check_many(
    files: Sequence[Item],
    opts: CheckOptions,
    *,
    jobs: int = 1,
    cache: ResultCache | None = None,
    progress: Progress | None = None,
) -> CheckReport:
    """Check `files`: cache hits first, then the rest in-process or on `jobs` processes."""
    total = len(files)
    done = 0
    results: list[FileResult] = []
    todo: list[tuple[Path, str, int]] = []
    for path, display in files:
        if cache is None:
            todo.append((path, display, _size(path)))
            continue
        read = read_file(path, display)
        if isinstance(read, FileResult):
            results.append(read)
        else:
            key = cache.key(display, _real(path), read, opts.extra_ignores.get(display, ()))
            hit = cache.get(key)
            if hit is None:
                todo.append((path, display, len(read)))
                continue
            results.append(hit)
        done += 1
        if progress:
            progress(done, total)
    big_enough = len(todo) >= PARALLEL_MIN_FILES and sum(s for *_, s in todo) >= PARALLEL_MIN_BYTES
    if jobs > 1 and big_enough:
        results += _in_pool(todo, opts, cache, jobs, done, total, progress)
    else:
        for n, (path, display, _) in enumerate(todo, 1):
            results.append(check_one(path, display, opts, cache, consult_cache=False))
            done += 1
            if progress:
                progress(done, total)
            if n % COLLECT_EVERY == 0:
                _collect()
    results.sort(key=lambda r: r.path)
    return CheckReport(results)


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


# --- worker processes ------------------------------------------------------------------------

_worker_opts: CheckOptions | None = None
_worker_cache: ResultCache | None = None


def _init_worker(opts: CheckOptions, cache: ResultCache | None) -> None:
    global _worker_opts, _worker_cache
    _worker_opts, _worker_cache = opts, cache


def _check_chunk(chunk: list[Item]) -> list[FileResult]:
    assert _worker_opts is not None
    results = [
        check_one(path, display, _worker_opts, _worker_cache, consult_cache=False)
        for path, display in chunk
    ]
    _collect()
    return results


def _collect() -> None:
    """The command line turns the cyclic collector off (see `auditor.fastcli`); a long run
    collects between files instead, so its memory stays flat."""
    if not gc.isenabled():
        # The youngest generation only: what the last files allocated and did not free. A
        # full collection would rescan everything kept alive (parsed sibling modules...) each
        # time, so a long run would slow down as it goes.
        gc.collect(0)


def _executor(jobs: int, opts: CheckOptions, cache: ResultCache | None) -> ProcessPoolExecutor:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import auditor.engine  # noqa: F401  (libcst)

    opts.rules  # noqa: B018  (imported here once, so that no worker imports them)
    methods = multiprocessing.get_all_start_methods()
    # fork: the workers start with libcst and the rules imported (no re-import per worker)
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_init_worker, initargs=(opts, cache)
    )


def _in_pool(
    todo: list[tuple[Path, str, int]],
    opts: CheckOptions,
    cache: ResultCache | None,
    jobs: int,
    done: int,
    total: int,
    progress: Progress | None,
) -> list[FileResult]:
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    ordered = [(p, d) for p, d, _ in sorted(todo, key=lambda t: -t[2])]
    jobs = min(jobs, len(ordered))
    size = max(1, min(MAX_CHUNK, math.ceil(len(ordered) / (jobs * 4))))
    chunks = [ordered[i : i + size] for i in range(0, len(ordered), size)]
    results: list[FileResult] = []
    failed: list[Item] = []
    try:
        executor = _executor(jobs, opts, cache)
    except (OSError, ValueError, ImportError):  # no processes here: check in-process
        return [check_one(p, d, opts, cache, consult_cache=False) for p, d in ordered]
    with executor:
        futures: dict[Future[list[FileResult]], list[Item]] = {}
        try:
            for chunk in chunks:
                futures[executor.submit(_check_chunk, chunk)] = chunk
            for future in as_completed(futures):
                try:
                    chunk_results = future.result()
                except BrokenProcessPool:
                    failed += futures[future]
                    continue
                results += chunk_results
                done += len(chunk_results)
                if progress:
                    progress(done, total)
        except BaseException:
            executor.shutdown(wait=False, cancel_futures=True)
            raise
    for result in _isolated(failed, opts, cache):
        results.append(result)
        done += 1
        if progress:
            progress(done, total)
    return results


def _isolated(files: list[Item], opts: CheckOptions, cache: ResultCache | None) -> list[FileResult]:
    """Files whose worker died, one worker each, so the file that kills one is found."""
    from concurrent.futures.process import BrokenProcessPool

    results: list[FileResult] = []
    executor: ProcessPoolExecutor | None = None
    try:
        for path, display in sorted(files, key=lambda item: item[1]):
            if executor is None:
                executor = _executor(1, opts, cache)
            try:
                results += executor.submit(_check_chunk, [(path, display)]).result()
            except BrokenProcessPool:
                executor.shutdown(wait=False)
                executor = None
                message = "the checker's worker died on this file (a crash or out of memory)"
                results.append(
                    FileResult(display, error=FileError(display, "internal-error", message))
                )
    finally:
        if executor is not None:
            executor.shutdown()
    return results


# --- a run's files ------------------------------------------------------------------------


def check_group(
    files: Sequence[Item],
    opts: CheckOptions,
    *,
    jobs: int = 0,
    use_cache: bool = True,
    progress: bool = True,
) -> CheckReport:
    """Files that share `opts`: every core unless told otherwise, the cache if `use_cache`, a
    progress bar on a terminal for a large tree if `progress`."""
    cache = None
    if use_cache:
        from auditor.cache import ResultCache, config_fingerprint, default_cache_dir

        fingerprint = config_fingerprint(opts.codes, opts.options, opts.model_paths)
        cache = ResultCache(default_cache_dir(), fingerprint)
    bar = ProgressBar.for_terminal(len(files)) if progress else None
    if not gc.isenabled():
        gc.freeze()  # what is imported stays: later collections skip it
    try:
        return check_many(
            files,
            opts,
            jobs=jobs or default_jobs(),
            cache=cache,
            progress=bar.update if bar is not None else None,
        )
    finally:
        if bar is not None:
            bar.close()


class ProgressBar:
    """`checking 512/1000 files [#####.....]` on stderr, redrawn at most ten times a second
    and erased at the end; only on a terminal, and only for more than a few hundred files."""

    MIN_FILES = 200
    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.last = 0.0

    @classmethod
    def for_terminal(cls, total: int, stream: TextIO | None = None) -> ProgressBar | None:
        stream = stream if stream is not None else sys.stderr
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        if total < cls.MIN_FILES or not tty or os.environ.get("TERM") == "dumb":
            return None
        return cls(stream)

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        filled = self.WIDTH * done // max(total, 1)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\rchecking {done}/{total} files [{bar}]")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r" + " " * (self.WIDTH + 40) + "\r")
        self.stream.flush()
