"""Source rewrites that rules attach to findings as fixes, built with libcst.

A rewrite replaces one node's source range with new code generated from a libcst node (so it is
valid Python and formatted like libcst prints it), or inserts a line. Rewrites are only offered
where they are known to keep the script's meaning (safe) or where the meaning change is the
point and the user opts in (unsafe): turning a per-prompt loop into one batched pipeline call
changes what the loop collects from one output per prompt to the batch's outputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.batching import prompt_arg
from auditor.analyses.facts import CallSite, FileFacts


@dataclass(frozen=True, slots=True)
class NodeRewrite:
    node: cst.CSTNode  # whose source range is replaced
    code: str  # the replacement


def import_line(facts: FileFacts) -> int:
    """The 1-based line before which a new top-level `import` can go: after the docstring,
    `from __future__` imports and the existing imports at the top of the module."""
    line = 1
    for stmt in facts.module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            break
        small = stmt.body[0] if stmt.body else None
        is_doc = isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString)
        if not (is_doc or isinstance(small, cst.Import | cst.ImportFrom)):
            break
        line = facts.pos(stmt)[1][0] + 1
    return line


#: A script that can choose the CPU: a "cpu" string (`--device cpu`, `torch.device("cpu")`, a
#: `"cuda" if ... else "cpu"` fallback) or a check for CUDA.
CPU_CHOICE_RE = re.compile(r"""["']cpu["':]|cuda\.is_available\(|--cpu\b""")


def may_run_on_cpu(source: str) -> bool:
    return CPU_CHOICE_RE.search(source) is not None


def sync_insertions(facts: FileFacts, read: cst.CSTNode) -> list[tuple[int, str]] | None:
    """Lines to insert so that the statement holding a clock read synchronises first:
    `torch.cuda.synchronize()` above it at its indentation (behind `if
    torch.cuda.is_available():` in a script that may run on the CPU, where an unconditional
    sync raises), and `import torch` at the top when the module does not import it. None when
    the statement does not start its line."""
    stmt = facts.enclosing_statement(read)
    if stmt is None:
        return None
    (line, column), _ = facts.pos(stmt)
    lines = facts.source.splitlines()
    text = lines[line - 1] if line - 1 < len(lines) else ""
    indent = text[: len(text) - len(text.lstrip())]
    if len(indent) != column:
        return None
    if may_run_on_cpu(facts.source):  # an unconditional sync would fail there
        sync = f"{indent}if torch.cuda.is_available():\n{indent}    torch.cuda.synchronize()\n"
    else:
        sync = f"{indent}torch.cuda.synchronize()\n"
    out = [(line, sync)]
    if not facts.module_imported_as("torch"):
        at = import_line(facts)
        if at >= line:
            return None
        out.insert(0, (at, "import torch\n"))
    return out


def batched_call(facts: FileFacts, call: CallSite, loop: cst.CSTNode) -> NodeRewrite | None:
    """`for p in prompts: out.append(pipe(p, ...).images[0])` -> `out.extend(pipe(prompts,
    ...).images)`; `for p in prompts: pipe(p, ...)` -> `pipe(prompts, ...)`;
    `[pipe(p, ...).images[0] for p in prompts]` -> `pipe(prompts, ...).images`. Only for a
    diffusers pipeline, a loop whose body is that one statement, and no comments inside."""
    info = (
        facts.model_info(call.scope, call.node.func, call.start)
        if isinstance(call.node.func, cst.Name | cst.Attribute)
        else None
    )
    arg = prompt_arg(facts, call)
    if info is None or not info.pipeline or not isinstance(arg, cst.Name):
        return None
    if isinstance(loop, cst.ListComp):
        return _comprehension(facts, call, loop, arg)
    if not isinstance(loop, cst.For) or loop.orelse is not None or loop.asynchronous:
        return None
    if not isinstance(loop.target, cst.Name) or loop.target.value != arg.value:
        return None
    body = loop.body
    if not isinstance(body, cst.IndentedBlock) or len(body.body) != 1:
        return None
    stmt = body.body[0]
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    if _has_comments(
        loop.with_changes(
            body=body.with_changes(
                body=[stmt.with_changes(trailing_whitespace=cst.TrailingWhitespace())]
            )
        )
    ):
        return None  # only the statement's own end-of-line comment is carried over
    if _uses(stmt, arg.value) != 1:
        return None
    batched = _with_prompts(call.node, arg, loop.iter)
    small = stmt.body[0]
    new: cst.BaseSmallStatement | None = None
    if isinstance(small, cst.Expr) and small.value is call.node:
        new = small.with_changes(value=batched)
    elif isinstance(small, cst.Assign) and small.value is call.node:
        new = small.with_changes(value=batched)
    elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        new = _append_to_extend(small.value, call.node, batched)
    if new is None:
        return None
    # the loop's range ends before the statement's end-of-line comment, which stays in place
    return NodeRewrite(loop, N.code(cst.SimpleStatementLine([new])).rstrip("\n"))


def _comprehension(
    facts: FileFacts, call: CallSite, comp: cst.ListComp, arg: cst.Name
) -> NodeRewrite | None:
    if comp.for_in.inner_for_in is not None or comp.for_in.ifs or _has_comments(comp):
        return None
    target = comp.for_in.target
    if (
        not isinstance(target, cst.Name)
        or target.value != arg.value
        or _uses(comp.elt, arg.value) != 1
    ):
        return None
    images = _first_image(comp.elt, call.node)
    if images is None:
        return None
    return NodeRewrite(
        comp, N.code(images.with_changes(value=_with_prompts(call.node, arg, comp.for_in.iter)))
    )


def _first_image(elt: cst.BaseExpression, call: cst.Call) -> cst.Attribute | None:
    """`pipe(p).images[0]`: the `.images` attribute of the call, indexed by 0."""
    if (
        isinstance(elt, cst.Subscript)
        and len(elt.slice) == 1
        and isinstance(elt.slice[0].slice, cst.Index)
        and N.int_value(elt.slice[0].slice.value) == 0
        and isinstance(elt.value, cst.Attribute)
        and elt.value.attr.value == "images"
        and elt.value.value is call
    ):
        return elt.value
    return None


def _append_to_extend(
    outer: cst.Call, call: cst.Call, batched: cst.Call
) -> cst.BaseSmallStatement | None:
    """`out.append(pipe(p).images[0])` -> `out.extend(pipe(prompts).images)`."""
    if (
        N.call_name(outer) != "append"
        or len(outer.args) != 1
        or not isinstance(outer.func, cst.Attribute)
    ):
        return None
    images = _first_image(outer.args[0].value, call)
    if images is None:
        return None
    extend = outer.with_changes(
        func=outer.func.with_changes(attr=cst.Name("extend")),
        args=[outer.args[0].with_changes(value=images.with_changes(value=batched))],
    )
    return cst.Expr(extend)


def _with_prompts(call: cst.Call, single: cst.Name, prompts: cst.BaseExpression) -> cst.Call:
    args = [a.with_changes(value=prompts) if a.value is single else a for a in call.args]
    return call.with_changes(args=args)


def _uses(node: cst.CSTNode, name: str) -> int:
    """Reads of `name` (not keyword names or attribute names)."""
    count = 0

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            nonlocal count
            count += n.value == name

        def visit_Arg(self, n: cst.Arg) -> bool:
            n.value.visit(self)
            return False

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

    node.visit(V())
    return count


def _has_comments(node: cst.CSTNode) -> bool:
    found = False

    class V(cst.CSTVisitor):
        def visit_Comment(self, n: cst.Comment) -> None:
            nonlocal found
            found = True

    node.visit(V())
    return found
