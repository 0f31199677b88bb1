"""Where a pipeline call's `num_inference_steps` comes from.

A source is a literal, a command-line option (with its default), the model module's own
declaration (`getattr(module, "num_inference_steps", ...)`), the model's default (the keyword is
omitted), or the model module's own `inference()` function. Parameters are followed to every call
site in the file, so `run(module, args.steps)` makes the parameter a CLI source.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.facts import CallSite, FileFacts, Pos, Scope


class StepKind(StrEnum):
    LITERAL = "literal"
    CLI = "cli"
    DECLARED = "declared"  # read from the model module
    DEFAULT = "default"  # omitted: the pipeline's own default applies
    MODULE = "module"  # the model module's inference() decides
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class StepSource:
    kind: StepKind
    value: str | None = None  # literal value, or the CLI default
    option: str | None = None  # the CLI option, e.g. "--steps"

    def describe(self) -> str:
        match self.kind:
            case StepKind.LITERAL:
                return f"the literal {self.value}"
            case StepKind.CLI:
                return f"the command-line default `{self.option}` ({self.value})"
            case StepKind.DECLARED:
                return "the model module's declared `num_inference_steps`"
            case StepKind.DEFAULT:
                return "the pipeline's own default (the keyword is omitted)"
            case StepKind.MODULE:
                return "the model module's own `inference()`"
        return "an unknown source"


def step_sources(facts: FileFacts, call: CallSite) -> list[StepSource]:
    """The step sources a pipeline call can see (one per distinct call path)."""
    kind = facts.kind(call)
    arg = N.keyword(call.node, N.STEP_KWARG)
    if arg is None:
        return [StepSource(StepKind.MODULE if kind.opaque else StepKind.DEFAULT)]
    return _classify(facts, call.scope, arg.value, call.start, 0)


def _classify(
    facts: FileFacts, scope: Scope, expr: cst.BaseExpression, pos: Pos, depth: int
) -> list[StepSource]:
    if depth > 6:
        return [StepSource(StepKind.UNKNOWN)]
    value = N.int_value(expr)
    if value is not None:
        return [StepSource(StepKind.LITERAL, str(value))]
    if isinstance(expr, cst.Attribute):
        attr = expr.attr.value
        if attr == N.STEP_KWARG:
            return [StepSource(StepKind.DECLARED)]
        if attr in facts.argparse_defaults and isinstance(expr.value, cst.Name):
            return [
                StepSource(
                    StepKind.CLI,
                    facts.argparse_defaults[attr],
                    facts.argparse_options.get(attr, attr),
                )
            ]
        return [StepSource(StepKind.UNKNOWN)]
    if isinstance(expr, cst.Call):
        if (
            N.call_name(expr) == "getattr"
            and len(expr.args) >= 2
            and N.string_value(expr.args[1].value) == N.STEP_KWARG
        ):
            return [StepSource(StepKind.DECLARED)]
        if N.call_name(expr) == "int" and expr.args:
            return _classify(facts, scope, expr.args[0].value, pos, depth + 1)
        return [StepSource(StepKind.UNKNOWN)]
    if isinstance(expr, cst.BooleanOperation | cst.IfExp):
        parts = (
            [expr.left, expr.right]
            if isinstance(expr, cst.BooleanOperation)
            else [expr.body, expr.orelse]
        )
        alternatives = [s for p in parts for s in _classify(facts, scope, p, pos, depth + 1)]
        if any(s.kind is StepKind.DECLARED for s in alternatives):
            return [StepSource(StepKind.DECLARED)]
        return alternatives
    if isinstance(expr, cst.Name):
        found: list[StepSource] = []
        for b in facts.reaching_bindings(scope, expr.value, pos):
            if b.kind == "assign" and b.value is not None:
                found += _classify(facts, b.scope, b.value, b.start, depth + 1)
            elif b.kind == "param":
                found += _from_call_sites(facts, b.scope, expr.value, depth)
            else:
                found.append(StepSource(StepKind.UNKNOWN))
        if len(found) > 1 and any(s.kind is StepKind.DECLARED for s in found):
            # `steps = getattr(module, ...)`, then a fallback when it is None
            return [StepSource(StepKind.DECLARED)]
        return list(dict.fromkeys(found)) or [StepSource(StepKind.UNKNOWN)]
    return [StepSource(StepKind.UNKNOWN)]


def _from_call_sites(facts: FileFacts, scope: Scope, param: str, depth: int) -> list[StepSource]:
    if param not in scope.params or scope.parent is None:
        return [StepSource(StepKind.UNKNOWN)]
    index = scope.params.index(param)
    found: list[StepSource] = []
    for site in facts.calls_to_function(scope.name):
        arg: cst.BaseExpression | None = None
        kw = N.keyword(site.node, param)
        if kw is not None:
            arg = kw.value
        else:
            positional = [a for a in site.node.args if a.keyword is None and not a.star]
            if index < len(positional):
                arg = positional[index].value
        if arg is None:
            default = next(
                (b.value for b in scope.bindings if b.kind == "param" and b.target == param), None
            )
            if default is None:
                continue
            found += _classify(facts, scope, default, (0, 0), depth + 1)
            continue
        found += _classify(facts, site.scope, arg, site.start, depth + 1)
    unique = list(dict.fromkeys(found))
    return unique or [StepSource(StepKind.UNKNOWN)]


def declared_steps(path: str) -> int | None:
    """The `num_inference_steps = N` a model module declares at module level (read, not run)."""
    try:
        module = cst.parse_module(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, cst.ParserSyntaxError):
        return None
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            targets: list[cst.BaseExpression] = []
            value: cst.BaseExpression | None = None
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
                value = small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                targets, value = [small.target], small.value
            for t in targets:
                if isinstance(t, cst.Name) and t.value in (N.STEP_KWARG, "NUM_INFERENCE_STEPS"):
                    return N.int_value(value)
    return None


def takes_steps(facts: FileFacts, call: CallSite) -> bool:
    """Only calls that take (or could take) a step count: pipelines and module hooks."""
    if N.keyword(call.node, N.STEP_KWARG) is not None or facts.kind(call).opaque:
        return True
    func = call.node.func
    if not isinstance(func, cst.Name | cst.Attribute) or N.call_name(call.node) == "generate":
        return False
    info = facts.model_info(call.scope, func, call.start)
    return info is not None and info.pipeline and not info.dynamic


def runs_loaded_module(facts: FileFacts, call: CallSite) -> bool:
    """`module.inference(pipe, ...)`, or a pipeline built by a module loaded at run time."""
    return facts.kind(call).opaque or any(
        (info := facts.model_info(call.scope, a.value, call.start)) is not None and info.dynamic
        for a in call.node.args
    )
