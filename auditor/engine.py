"""Parse each file once and run every enabled rule in one batched libcst traversal.

The engine knows nothing about benchmarks: rules declare the analyses they need (visitors that
run before them in the same traversal) and report plain `Finding`s. A file that cannot be read
or parsed becomes a `FileError` for that file; the run goes on.
"""

from __future__ import annotations

import io
import os
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from auditor.core import (
    UNUSED_SUPPRESSION,
    FileError,
    FileResult,
    Finding,
    Fix,
    Related,
    Severity,
    Span,
)
from auditor.evidence import Evidence
from auditor.project import ProjectModules
from auditor.rulemeta import RuleMeta
from auditor.traversal import visit_with_metadata

SUPPRESSION_RE = re.compile(r"#\s*benchaudit:\s*ignore\[([A-Za-z0-9_,\s-]+)\]")


@dataclass(slots=True)
class FileContext:
    """What a rule may know about the file it checks."""

    path: str
    source: str
    lines: list[str]
    options: dict[str, dict[str, Any]] = field(default_factory=dict)  # rule name -> options
    model_paths: dict[str, str] = field(default_factory=dict)  # --model NAME=PATH
    analyses: dict[type, Any] = field(default_factory=dict)
    #: the audited project's own modules beside this file (parsed on demand, never run)
    modules: ProjectModules = field(default_factory=lambda: ProjectModules(None))

    def analysis(self, cls: type) -> Any:
        return self.analyses[cls]


_LIBCST_VISITOR_BASES = frozenset(cst.BatchableCSTVisitor.__mro__)


class _Visitor(cst.BatchableCSTVisitor):
    """Lists its visit/leave methods from the class, without evaluating properties (libcst's
    default inspects every attribute, which would run analyses before the traversal)."""

    _visitor_names: ClassVar[dict[type, tuple[str, ...]]] = {}

    def get_visitors(self) -> dict[str, Any]:
        cls = type(self)
        names = _Visitor._visitor_names.get(cls)
        if names is None:
            # The classes above libcst's own define the callbacks (scanning `dir(cls)` and
            # comparing ~2,000 typed stubs costs a one-file run ~8 ms).
            names = tuple(
                sorted(
                    {
                        n
                        for klass in cls.__mro__
                        if klass not in _LIBCST_VISITOR_BASES
                        for n in vars(klass)
                        if n.startswith(("visit_", "leave_"))
                    }
                )
            )
            _Visitor._visitor_names[cls] = names
        return {n: getattr(self, n) for n in names}


class Analysis(_Visitor):
    """A shared analysis: a visitor that runs before the rules in the same traversal."""

    def __init__(self, ctx: FileContext) -> None:
        super().__init__()
        self.ctx = ctx


class Rule(_Visitor):
    """A lint rule: a libcst visitor with one `report()` call per finding (as Fixit's LintRule)."""

    META: ClassVar[RuleMeta]
    ANALYSES: ClassVar[tuple[type[Analysis], ...]] = ()
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, ctx: FileContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.findings: list[Finding] = []

    @property
    def options(self) -> dict[str, Any]:
        merged = dict(self.META.options)
        merged.update(self.ctx.options.get(self.META.name, {}))
        return merged

    def span_of(self, node: cst.CSTNode) -> Span:
        rng = self.get_metadata(PositionProvider, node)
        return Span(rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1)

    def report(
        self,
        node: cst.CSTNode,
        message: str | None = None,
        *,
        fix: Fix | None = None,
        related: Sequence[tuple[cst.CSTNode, str]] = (),
        evidence: Evidence | None = None,
        severity: Severity | None = None,
        **fmt: str,
    ) -> None:
        span = self.span_of(node)
        text = message if message is not None else self.META.message.format(**fmt)
        line = self.ctx.lines[span.line - 1] if span.line - 1 < len(self.ctx.lines) else ""
        self.findings.append(
            Finding(
                code=self.META.code,
                name=self.META.name,
                path=self.ctx.path,
                span=span,
                severity=severity or self.META.severity,
                message=text,
                help=self.META.fix_title,
                source_line=line.rstrip("\r\n"),
                fix=fix,
                related=tuple(Related(self.span_of(n), m) for n, m in related),
                evidence=evidence,
            )
        )


@dataclass(frozen=True, slots=True)
class Suppression:
    line: int  #: 1-based
    column: int  #: 1-based
    codes: tuple[str, ...]


def find_suppressions(source: str) -> list[Suppression]:
    if "benchaudit" not in source:
        return []
    found: list[Suppression] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                m = SUPPRESSION_RE.search(tok.string)
                if m:
                    codes = tuple(c.strip() for c in m.group(1).split(",") if c.strip())
                    found.append(Suppression(tok.start[0], tok.start[1] + 1, codes))
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def _apply_suppressions(
    findings: list[Finding],
    suppressions: list[Suppression],
    enabled: set[str],
    path: str,
    lines: list[str],
) -> tuple[list[Finding], int]:
    used: set[tuple[int, str]] = set()
    by_line: dict[int, set[str]] = {}
    for s in suppressions:
        by_line.setdefault(s.line, set()).update(s.codes)
    kept: list[Finding] = []
    suppressed = 0
    for f in findings:
        hit = None
        for line in {f.span.line, f.span.end_line}:
            codes = by_line.get(line, set())
            if f.code in codes or f.name in codes:
                hit = (line, f.code if f.code in codes else f.name)
                break
        if hit:
            used.add(hit)
            suppressed += 1
        else:
            kept.append(f)
    if UNUSED_SUPPRESSION in enabled:
        for s in suppressions:
            for c in s.codes:
                if (s.line, c) in used or c == UNUSED_SUPPRESSION:
                    continue
                if c not in enabled and not any(c == name for name in enabled):
                    continue  # a rule that is off cannot use its suppression
                text = lines[s.line - 1].rstrip("\r\n") if s.line - 1 < len(lines) else ""
                kept.append(
                    Finding(
                        code=UNUSED_SUPPRESSION,
                        name="unused-suppression",
                        path=path,
                        span=Span(s.line, s.column, s.line, len(text) + 1),
                        severity=Severity.WARNING,
                        message=f"Suppression of `{c}` matches no finding on this line",
                        help="Remove the unused code from the `# benchaudit: ignore[...]` comment",
                        source_line=text,
                    )
                )
    return kept, suppressed


def analyse(
    source: str,
    path: str,
    rule_classes: Sequence[type[Rule]],
    *,
    modules: ProjectModules,
    options: dict[str, dict[str, Any]] | None = None,
    model_paths: dict[str, str] | None = None,
    report_unused: bool = True,
) -> FileResult:
    """Parse `source` with libcst and run `rule_classes` over it in one traversal; suppression
    comments applied (`report_unused`: BA001 reports those that suppress nothing). Called by
    `checkfile.check_source`, past its limits and screen, in a thread with a deep stack."""
    lines = source.splitlines(keepends=True)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return FileResult(path, error=_syntax_error(path, source, exc))
    except RecursionError:
        return FileResult(
            path, error=FileError(path, "parse-error", "syntax error: expression nested too deeply")
        )
    ctx = FileContext(
        path,
        source,
        lines,
        options=options or {},
        model_paths=model_paths or {},
        modules=modules,
    )
    try:
        findings = _run_rules(module, ctx, list(rule_classes))
    except RecursionError:
        return FileResult(
            path, error=FileError(path, "internal-error", "file is nested too deeply to analyse")
        )
    except Exception as exc:  # a rule bug must not end the run
        if os.environ.get("BENCHAUDIT_DEBUG"):
            raise
        return FileResult(
            path, error=FileError(path, "internal-error", f"{type(exc).__name__}: {exc}")
        )
    enabled = {r.META.code for r in rule_classes} | {r.META.name for r in rule_classes}
    if report_unused:
        enabled.add(UNUSED_SUPPRESSION)
    kept, _ = _apply_suppressions(findings, find_suppressions(source), enabled, path, lines)
    return FileResult(path, findings=tuple(sorted(set(kept), key=lambda f: f.sort_key)))


def _syntax_error(path: str, source: str, exc: cst.ParserSyntaxError) -> FileError:
    """Word the error as CPython does (its location is the one users know), falling back to
    libcst's when CPython accepts what libcst cannot parse."""
    import ast

    try:
        ast.parse(source)
    except SyntaxError as err:
        return FileError(path, "parse-error", f"syntax error: {err.msg}", err.lineno, err.offset)
    except (ValueError, RecursionError, MemoryError):
        pass
    first = str(exc).strip().splitlines()
    return FileError(
        path,
        "parse-error",
        f"syntax error: {first[0] if first else 'invalid'}",
        exc.raw_line,
        exc.raw_column + 1,
    )


def _run_rules(
    module: cst.Module, ctx: FileContext, rule_classes: list[type[Rule]]
) -> list[Finding]:
    if not rule_classes:
        return []
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    analyses: list[Analysis] = []
    for rule_cls in rule_classes:
        for an_cls in rule_cls.ANALYSES:
            if an_cls not in ctx.analyses:
                ctx.analyses[an_cls] = an_cls(ctx)
                analyses.append(ctx.analyses[an_cls])
    rules = [cls(ctx) for cls in rule_classes]
    visit_with_metadata(wrapper, [*analyses, *rules])
    return [f for r in rules for f in r.findings]
