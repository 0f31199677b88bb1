"""Limits that keep hostile input from crashing or stalling the checker.

libcst's native parser overflows the C stack on input CPython itself refuses (5,000 nested
parentheses, a 20,000-link attribute chain) and takes the process down with it; the analyses
recurse as deep as the tree. So before libcst sees a file, CPython's own parser measures it
(`ast.parse`, in C, with its own limits), and the parse and the analyses run in a thread with a
large stack and a raised recursion limit. What is still out of reach becomes a reported error
for that file, never a crash.
"""

from __future__ import annotations

import ast
import sys
import threading
import warnings
from collections.abc import Callable
from typing import TypeVar

from auditor.core import FileError

T = TypeVar("T")

#: Larger files are generated code, not benchmark scripts. The analyses are near linear up to a
#: few thousand lines and grow faster beyond (the seed's test.py repeated 64 times, 315 kB:
#: 5.8 s; 160 times, 788 kB: 26 s and 540 MB on the 2-core development machine, 2026-12-06),
#: so a megabyte would hold a pre-commit hook for most of a minute.
MAX_FILE_BYTES = 1_000_000
#: A notebook file holds its outputs (images, tables) too: this bounds the JSON read; its code
#: then meets MAX_FILE_BYTES like a script.
MAX_NOTEBOOK_BYTES = 64_000_000
#: Deepest syntax tree (as CPython's `ast` counts it) handed to libcst.
MAX_DEPTH = 1_000
#: When CPython cannot parse a file (a syntax error, or syntax newer than this interpreter),
#: libcst decides; these bound what it is given then.
MAX_BRACKETS = 200  # CPython's own limit on nested brackets
MAX_LINE_CHARS = 20_000
STACK_BYTES = 512 * 1024 * 1024  # virtual: only the pages a deep file touches are used
RECURSION_LIMIT = 100_000


def too_large(path: str, size: int, limit: int = MAX_FILE_BYTES) -> FileError:
    return FileError(
        path,
        "parse-error",
        f"not checked: {size / 1e6:.1f} MB is over the {limit / 1e6:.0f} MB limit for one file",
    )


def too_deep(path: str, what: str) -> FileError:
    return FileError(path, "parse-error", f"not checked: nested too deeply to analyse ({what})")


#: CPython's syntax tree of a file, and its nodes level by level (`levels`).
Tree = tuple[ast.Module, list[list[ast.AST]]]


def checked_tree(source: str, path: str) -> FileError | Tree | None:
    """A reason not to give `source` to libcst (too large, too deep), or, when it is safe to
    parse, CPython's syntax tree with its nodes by level (walked once here, for the depth, and
    read again by the screen); None when CPython cannot parse what libcst may."""
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        return too_large(path, size)
    try:
        with warnings.catch_warnings():  # a SyntaxWarning about the user's code is not ours
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except SyntaxError as err:
        if "too many nested" in str(err.msg):
            return FileError(
                path, "parse-error", f"syntax error: {err.msg}", err.lineno, err.offset
            )
        return _rough_problem(source, path)
    except (RecursionError, MemoryError):
        return too_deep(path, "CPython's parser gives up too")
    except ValueError:  # NUL bytes: libcst reports them as a syntax error
        return _rough_problem(source, path)
    nodes = levels(tree)
    if len(nodes) > MAX_DEPTH:
        return too_deep(path, f"syntax tree {len(nodes)} levels deep, limit {MAX_DEPTH}")
    return tree, nodes


def levels(tree: ast.AST) -> list[list[ast.AST]]:
    """The tree's nodes, level by level from the root (`ast.walk`'s nodes, grouped; about three
    times faster than walking with `ast.iter_child_nodes`, which matters on the screen's path)."""
    out: list[list[ast.AST]] = []
    level: list[ast.AST] = [tree]
    node_type = ast.AST
    while level:
        out.append(level)
        below: list[ast.AST] = []
        for node in level:
            for name in node._fields:
                value = getattr(node, name, None)
                if isinstance(value, node_type):
                    below.append(value)
                elif type(value) is list:
                    below += [v for v in value if isinstance(v, node_type)]
        level = below
    return out


def _rough_problem(source: str, path: str) -> FileError | None:
    """Bounds for text CPython could not parse: bracket depth (counting brackets in strings
    too, which only errs towards refusing) and line length (chains without brackets)."""
    longest = max((len(line) for line in source.splitlines()), default=0)
    if longest > MAX_LINE_CHARS:
        return too_deep(path, f"a line of {longest} characters, limit {MAX_LINE_CHARS}")
    depth = deepest = 0
    for char in source:
        if char in "([{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif char in ")]}" and depth:
            depth -= 1
    if deepest > MAX_BRACKETS:
        return too_deep(path, f"brackets nested {deepest} deep, limit {MAX_BRACKETS}")
    return None


_lock = threading.Lock()
_active = 0
_saved_limit = 0


def run_deep(func: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Run `func` in a thread with a large stack and a high recursion limit, so that a deep
    (but accepted) tree is analysed rather than overflowing; exceptions propagate."""
    global _active, _saved_limit
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(func(*args, **kwargs))
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)

    with _lock:
        if _active == 0:
            _saved_limit = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_saved_limit, RECURSION_LIMIT))
        _active += 1
        thread: threading.Thread | None = None
        try:
            previous = threading.stack_size(STACK_BYTES)
            try:
                thread = threading.Thread(target=target, name="benchaudit-check", daemon=True)
                thread.start()
            finally:
                threading.stack_size(previous)
        except (RuntimeError, ValueError, MemoryError):  # no large stacks here: run inline
            thread = None
    try:
        if thread is None:
            target()
        else:
            thread.join()
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                sys.setrecursionlimit(_saved_limit)
    if error:
        raise error[0]
    return result[0]
