"""GitHub Actions workflow commands: one `::error` or `::warning` annotation per finding, placed
on its line in the pull request's diff, and one per file that could not be checked.

    ::error file=t.py,line=59,col=21,endLine=59,endColumn=74,title=BA201 per-prompt-loop::...

Values are escaped as the runner expects (`%`, CR and LF in the message; also `:` and `,` in
properties), so a crafted file name or message cannot inject a second command.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.reporters.common import (
    Payload,
    RuleInfo,
    fmt_x,
    headline,
    impact_verdict,
    is_verify,
    match_impacts,
)
from auditor.reporters.markup import gh_data, gh_property

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def render_github(payload: Payload, catalogue: Mapping[str, RuleInfo] | None = None) -> str:
    del catalogue  # annotations carry the finding's own message and help
    impacts = match_impacts(payload)
    out: list[str] = []
    for e in payload.get("errors") or []:
        props = {"file": e["path"]}
        if e.get("line"):
            props["line"] = str(e["line"])
            props["col"] = str(e.get("column") or 1)
        props["title"] = f"benchaudit {e['kind']}"
        cell = f"cell {e['cell']}: " if e.get("cell") else ""
        out.append(_command("error", props, cell + str(e["message"])))
    for i, f in enumerate(payload.get("findings") or []):
        out.append(_annotation(f, impacts.get(i)))
    if is_verify(payload):
        for c in payload.get("comparisons") or []:
            text = (
                f"script's method {fmt_x(c.get('script_speedup'), c.get('script_ci'))}, "
                f"canonical {fmt_x(c.get('canonical_speedup'), c.get('canonical_ci'))}: "
                f"{c.get('verdict')}"
            )
            title = f"speedup of {c['candidate']} over {c['baseline']}"
            out.append(_command("notice", {"title": title}, text))
    out.append(f"benchaudit {payload['kind']}: {headline(payload)}")
    return "\n".join(out) + "\n"


def _annotation(f: Mapping[str, Any], impact: Mapping[str, Any] | None) -> str:
    props = {"file": str(f["path"]), "line": str(f["line"])}
    if f["end_line"] == f["line"]:  # GitHub honours columns only on a one-line annotation
        props |= {"col": str(f["column"]), "endLine": str(f["end_line"])}
        props["endColumn"] = str(f["end_column"])
    else:
        props["endLine"] = str(f["end_line"])
    props["title"] = f"{f['code']} {f['name']}"
    message = f"{f['message']}\nhelp: {f['help']}"
    if f.get("cell"):  # the line and column count within the cell, not the .ipynb file
        message = f"cell {f['cell']}, line {f['line']}: {message}"
        props = {"file": str(f["path"]), "title": f"{f['code']} {f['name']}"}
    if impact is not None:
        message += f"\nmeasured: {impact['explanation']} ({impact_verdict(impact)})"
    return _command(COMMANDS.get(str(f["severity"]), "warning"), props, message)


def _command(name: str, props: Mapping[str, str], message: str) -> str:
    joined = ",".join(f"{k}={gh_property(v)}" for k, v in props.items())
    return f"::{name} {joined}::{gh_data(message)}"
