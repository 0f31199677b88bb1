"""`benchaudit server`: a Language Server Protocol server over stdio (issue 15), on pygls.

What an editor gets:

- **Diagnostics** for a document's current text (not the file on disk), on open, on save and on
  change (debounced: a burst of keystrokes is checked once, `DEBOUNCE_S` after the last):
  range, code, severity, message, a link to the rule's documentation (`codeDescription`) and
  the finding's related locations. A document that does not parse gets its syntax error; a
  configuration error gets one diagnostic at the top that says it.
- **Code actions** on a finding: its fix (a safe one as the preferred quick fix, an unsafe one
  titled so), and a `# benchaudit: ignore[CODE]` suppression on its line.
- **Hover** on a rule code (`BA101`) anywhere in the document: the rule's summary and remedy.

The document is checked through the same run setup as `benchaudit check -
--stdin-filename PATH` (`auditor.api`), so it sees the configuration `check` would for its path.
The server never imports torch and never runs the user's code. `pip install
'benchaudit[server]'` installs pygls; the plain install does not need it.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer

import auditor
from auditor.api import RunRequest, SetupError, prepare
from auditor.core import Applicability, Finding, Severity, Span
from auditor.reporters.common import rule_doc_url

DEBOUNCE_S = 0.3
SOURCE = "benchaudit"
_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}
_CODE = re.compile(r"BA\d{3}")
_SUPPRESSION = re.compile(r"#\s*benchaudit:\s*ignore\[([^\]]*)\]")


class BenchauditServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("benchaudit", auditor.__version__)
        self.findings: dict[str, list[Finding]] = {}  # by document URI, as last published
        self.versions: dict[str, int] = {}  # changes seen per document, for the debounce


server = BenchauditServer()


def _path(uri: str) -> Path:
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(parsed.path or "doc")


def _range(span: Span) -> types.Range:
    return types.Range(
        start=types.Position(line=span.line - 1, character=span.column - 1),
        end=types.Position(line=span.end_line - 1, character=max(0, span.end_column - 1)),
    )


def check_text(uri: str, text: str) -> tuple[list[Finding], list[types.Diagnostic]]:
    """The findings of `text` checked as the file `uri` names, and their diagnostics."""
    path = _path(uri)
    try:
        name = str(path.relative_to(Path.cwd()))
    except ValueError:
        name = str(path)
    request = RunRequest(paths=("-",), stdin_filename=name, stdin_data=text.encode("utf-8"))
    try:
        report = prepare(request).check()
    except SetupError as exc:
        top = types.Range(start=types.Position(0, 0), end=types.Position(0, 0))
        message = f"configuration: {exc}"
        return [], [types.Diagnostic(range=top, message=message, source=SOURCE)]
    findings: list[Finding] = []
    diagnostics: list[types.Diagnostic] = []
    for result in report.files:
        if result.error is not None:
            line = max(0, (result.error.line or 1) - 1)
            column = max(0, (result.error.column or 1) - 1)
            at = types.Range(start=types.Position(line, column), end=types.Position(line, column))
            diagnostics.append(
                types.Diagnostic(
                    range=at,
                    message=result.error.message,
                    severity=types.DiagnosticSeverity.Error,
                    source=SOURCE,
                    code=result.error.kind,
                )
            )
        for finding in result.findings:
            findings.append(finding)
            diagnostics.append(_diagnostic(uri, finding))
    return findings, diagnostics


def _diagnostic(uri: str, finding: Finding) -> types.Diagnostic:
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri, range=_range(r.span)), message=r.message
        )
        for r in finding.related
        if r.cell is None
    ]
    return types.Diagnostic(
        range=_range(finding.span),
        message=f"[{finding.name}] {finding.message}",
        severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.code,
        code_description=types.CodeDescription(href=rule_doc_url(finding.name, finding.code)),
        source=SOURCE,
        related_information=related or None,
    )


def publish(ls: BenchauditServer, uri: str) -> None:
    document = ls.workspace.get_text_document(uri)
    findings, diagnostics = check_text(uri, document.source)
    ls.findings[uri] = findings
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=document.version)
    )


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: BenchauditServer, params: types.DidOpenTextDocumentParams) -> None:
    publish(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: BenchauditServer, params: types.DidSaveTextDocumentParams) -> None:
    publish(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: BenchauditServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.versions[uri] = seen = ls.versions.get(uri, 0) + 1
    await asyncio.sleep(DEBOUNCE_S)
    if ls.versions.get(uri) == seen:  # no later change: check this text
        publish(ls, uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: BenchauditServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.findings.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return p.line, p.character

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
)
def code_action(ls: BenchauditServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    lines = ls.workspace.get_text_document(uri).source.splitlines()
    actions: list[types.CodeAction] = []
    for finding in ls.findings.get(uri, []):
        if not _overlaps(_range(finding.span), params.range):
            continue
        diagnostic = _diagnostic(uri, finding)
        if finding.fix is not None:
            unsafe = finding.fix.applicability is Applicability.UNSAFE
            edits = [
                types.TextEdit(range=_range(e.span), new_text=e.content) for e in finding.fix.edits
            ]
            actions.append(
                types.CodeAction(
                    title=f"{finding.fix.title} ({finding.code}{', unsafe' if unsafe else ''})",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    is_preferred=not unsafe,
                    edit=types.WorkspaceEdit(changes={uri: edits}),
                )
            )
        actions.append(_suppression(uri, lines, finding, diagnostic))
    return actions


def _suppression(
    uri: str, lines: list[str], finding: Finding, diagnostic: types.Diagnostic
) -> types.CodeAction:
    """`# benchaudit: ignore[CODE]` at the end of the finding's line (added to one there)."""
    index = finding.span.line - 1
    text = lines[index] if index < len(lines) else ""
    found = _SUPPRESSION.search(text)
    if found:
        codes = [c.strip() for c in found.group(1).split(",") if c.strip()]
        new = f"# benchaudit: ignore[{', '.join([*codes, finding.code])}]"
        start, end = found.start(), found.end()
    else:
        new = f"  # benchaudit: ignore[{finding.code}]"
        start = end = len(text)
    edit = types.TextEdit(
        range=types.Range(start=types.Position(index, start), end=types.Position(index, end)),
        new_text=new,
    )
    return types.CodeAction(
        title=f"Suppress {finding.code} on this line",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=types.WorkspaceEdit(changes={uri: [edit]}),
    )


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: BenchauditServer, params: types.HoverParams) -> types.Hover | None:
    from auditor.registry import UnknownRuleError, find_rule

    lines = ls.workspace.get_text_document(params.text_document.uri).source.splitlines()
    line = lines[params.position.line] if params.position.line < len(lines) else ""
    for match in _CODE.finditer(line):
        if match.start() <= params.position.character <= match.end():
            try:
                meta = find_rule(match.group()).META
            except UnknownRuleError:
                return None
            text = (
                f"**{meta.code} {meta.name}**: {meta.summary}\n\nFix: {meta.fix_title}\n\n"
                f"[Documentation]({rule_doc_url(meta.name, meta.code)})"
            )
            return types.Hover(
                contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)
            )
    return None


def main() -> None:
    server.start_io()


if __name__ == "__main__":
    main()
