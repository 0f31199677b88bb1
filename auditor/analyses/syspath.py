"""Folders a script adds to `sys.path` before importing its own modules.

`sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))` followed by
`from decoding import kv` imports `src/decoding/kv.py`: the folder is worked out statically
from the expression (`__file__`, `os.path.dirname/abspath/realpath/join`, `pathlib.Path`,
`.parent`, `.parents[n]`, `/`, `str()`, and names bound to such values; a relative literal is
taken from the script's folder and from the project root, where scripts are usually run from).
Only folders that exist and lie inside the project are used; nothing is imported or run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import libcst as cst

from auditor.analyses import names as N

# The facts module calls this one, so the facts (`FileFacts`, `Scope`) are typed `Any` here:
# importing them would make an import loop.
FileFacts = Any
Scope = Any

SYS_PATH_ADDS = frozenset({"sys.path.insert", "sys.path.append"})
SAME = frozenset({"os.path.abspath", "os.path.realpath", "os.path.normpath", "str"})


def added_folders(facts: FileFacts, file: Path, root: Path) -> list[Path]:
    """The existing folders under `root` that module-level code of `facts` adds to
    `sys.path`, in the order added."""
    out: list[Path] = []
    scope = facts.module_scope
    for call in scope.calls:
        if not call.qnames & SYS_PATH_ADDS or not call.node.args:
            continue
        expr = call.node.args[-1].value
        for folder in _values(facts, scope, expr, file, root, 0):
            try:
                folder = folder.resolve()
            except (OSError, RuntimeError):
                continue
            if folder.is_dir() and folder.is_relative_to(root) and folder not in out:
                out.append(folder)
    return out


def _values(
    facts: FileFacts, scope: Scope, expr: cst.BaseExpression, file: Path, root: Path, depth: int
) -> list[Path]:
    if depth > 8:
        return []
    text = N.string_value(expr)
    if text is not None:
        if Path(text).is_absolute():
            return [Path(text)]
        return [file.parent / text, root / text]
    if isinstance(expr, cst.Name):
        if expr.value == "__file__":
            return [file]
        value, vscope, _ = facts.resolve(scope, expr, facts.pos(expr)[0])
        if value is expr:
            return []
        return _values(facts, vscope, value, file, root, depth + 1)
    if isinstance(expr, cst.Attribute) and expr.attr.value == "parent":
        return [v.parent for v in _values(facts, scope, expr.value, file, root, depth + 1)]
    if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Attribute):
        if expr.value.attr.value == "parents" and len(expr.slice) == 1:
            index = expr.slice[0].slice
            if isinstance(index, cst.Index) and isinstance(index.value, cst.Integer):
                n = int(index.value.value)
                inner = _values(facts, scope, expr.value.value, file, root, depth + 1)
                return [v.parents[n] for v in inner if n < len(v.parents)]
        return []
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
        right = N.string_value(expr.right)
        if right is None:
            return []
        return [v / right for v in _values(facts, scope, expr.left, file, root, depth + 1)]
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        right = N.string_value(expr.right)  # `dir_path + "/../../.."`: text appended
        if right is None or not right.startswith(("/", "\\")):
            return []
        lefts = _values(facts, scope, expr.left, file, root, depth + 1)
        return [Path(str(v) + right) for v in lefts]
    if not isinstance(expr, cst.Call):
        return []
    if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("resolve", "absolute"):
        return _values(facts, scope, expr.func.value, file, root, depth + 1)
    if not expr.args:
        return []
    qnames = facts.qnames_of(expr.func)
    first = expr.args[0].value
    if qnames & SAME or (isinstance(expr.func, cst.Name) and expr.func.value == "str"):
        return _values(facts, scope, first, file, root, depth + 1)
    if "os.path.dirname" in qnames:
        return [v.parent for v in _values(facts, scope, first, file, root, depth + 1)]
    if qnames & {"pathlib.Path", "pathlib.PurePath"}:
        return _values(facts, scope, first, file, root, depth + 1)
    if "os.path.join" in qnames:
        parts = [N.string_value(a.value) for a in expr.args[1:]]
        if any(p is None for p in parts):
            return []
        bases = _values(facts, scope, first, file, root, depth + 1)
        return [b.joinpath(*[p for p in parts if p is not None]) for b in bases]
    return []
