"""SARIF 2.1.0, as GitHub code scanning reads it.

One run per report. Rules carry their documentation (`help.text` and `help.markdown`), results
carry a `partialFingerprints.primaryLocationLineHash` built from the finding's fingerprint (rule,
file and the offending line's text, so an alert survives unrelated line shifts) and the fix when
there is one; a verify report adds each finding's measured impact to the result's `properties`.
Files that could not be checked are `toolExecutionNotifications` of the one invocation.

GitHub rejects a run with more than 25,000 results or a result with more than 1,000 locations, so
both are capped and the cap is reported as a notification.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from auditor.reporters.common import (
    PROJECT_URL,
    Payload,
    RuleInfo,
    finite,
    impact_verdict,
    interval,
    is_verify,
    match_impacts,
    rule_infos,
)

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"
MAX_RESULTS = 25_000  # GitHub: results per run
MAX_RELATED = 999  # GitHub: locations per result, the primary one included
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def render_sarif(payload: Payload, catalogue: Mapping[str, RuleInfo] | None = None) -> str:
    return json.dumps(build_sarif(payload, catalogue), indent=2, ensure_ascii=False) + "\n"


def build_sarif(
    payload: Payload, catalogue: Mapping[str, RuleInfo] | None = None
) -> dict[str, Any]:
    rules = rule_infos(payload, catalogue)
    index = {code: i for i, code in enumerate(rules)}
    impacts = match_impacts(payload)
    findings = list(payload.get("findings") or [])
    notifications = [_error_notification(e) for e in payload.get("errors") or []]
    if len(findings) > MAX_RESULTS:
        notifications.append(
            _notification(
                "warning",
                "results-truncated",
                f"{len(findings)} findings: only the first {MAX_RESULTS} are in this SARIF file "
                "(GitHub code scanning accepts no more per run)",
            )
        )
    for model in payload.get("models") or []:
        if model.get("error"):
            notifications.append(
                _notification(
                    "error",
                    "model-error",
                    f"model `{model['name']}` could not be measured: {model['error']}",
                )
            )

    seen: Counter[str] = Counter()
    results = []
    for i, f in enumerate(findings[:MAX_RESULTS]):
        seen[f["fingerprint"]] += 1
        results.append(_result(f, index[f["code"]], impacts.get(i), seen[f["fingerprint"]]))

    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "benchaudit",
                "version": str(payload["version"]),
                "semanticVersion": str(payload["version"]),
                "informationUri": PROJECT_URL,
                "rules": [_rule(r) for r in rules.values()],
            }
        },
        "invocations": [
            {
                # A file that does not parse is the user's problem and is reported; a file that
                # could not be read, or a crash, means the run did not do its job.
                "executionSuccessful": not any(
                    e.get("kind") != "parse-error" for e in payload.get("errors") or []
                ),
                "toolExecutionNotifications": notifications,
            }
        ],
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The directory benchaudit was run from."}}
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"kind": payload["kind"]},
    }
    if is_verify(payload):
        run["properties"].update(_verify_properties(payload))
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def artifact_uri(path: str) -> str:
    """A relative URI reference for a report path (percent-encoded; `./` dropped)."""
    posix = PurePosixPath(path.replace("\\", "/"))
    text = posix.as_posix()
    return quote(text, safe="/")


def _artifact(path: str) -> dict[str, Any]:
    if path.startswith("/"):
        return {"uri": "file://" + artifact_uri(path)}
    return {"uri": artifact_uri(path), "uriBaseId": SRCROOT}


def _region(
    line: int, column: int, end_line: int | None = None, end_column: int | None = None
) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": line, "startColumn": column}
    if end_line is not None:
        region["endLine"] = end_line
    if end_column is not None:
        region["endColumn"] = end_column
    return region


def _rule(r: RuleInfo) -> dict[str, Any]:
    text = r.summary
    if r.why:
        text += ".\n\nWhy is this bad? " + r.why
    if r.fix:
        text += "\n\nFix: " + r.fix
    rule: dict[str, Any] = {
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.why or r.summary},
        "help": {"text": text, "markdown": r.docs_markdown or _markdown_help(r)},
        "helpUri": r.help_uri,
        "defaultConfiguration": {
            "level": LEVELS.get(r.severity, "warning"),
            "enabled": r.default_enabled,
        },
        "properties": {
            "tags": ["benchaudit", *([r.category] if r.category else [])],
            "precision": "high",
        },
    }
    return rule


def _markdown_help(r: RuleInfo) -> str:
    parts = [f"**{r.summary}**"]
    if r.why:
        parts.append(r.why)
    if r.fix:
        parts.append(f"Fix: {r.fix}")
    return "\n\n".join(parts) + "\n"


def _result(
    f: Mapping[str, Any], rule_index: int, impact: Mapping[str, Any] | None, occurrence: int
) -> dict[str, Any]:
    artifact = _artifact(str(f["path"]))
    message = str(f["message"])
    if f.get("cell"):  # the region counts lines within the notebook cell
        message = f"Cell {f['cell']}, line {f['line']}: {message}"
    if impact is not None:
        message += f". Measured: {impact['explanation']} ({impact_verdict(impact)})"
    result: dict[str, Any] = {
        "ruleId": f["code"],
        "ruleIndex": rule_index,
        "level": LEVELS.get(str(f["severity"]), "warning"),
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact,
                    "region": _region(f["line"], f["column"], f["end_line"], f["end_column"]),
                }
            }
        ],
        "partialFingerprints": {
            "primaryLocationLineHash": f"{f['fingerprint']}:{occurrence}",
        },
    }
    related = list(f.get("related") or [])[:MAX_RELATED]
    if related:
        result["relatedLocations"] = [
            {
                "id": n,
                "physicalLocation": {
                    "artifactLocation": artifact,
                    "region": _region(
                        r["line"], r["column"], r.get("end_line"), r.get("end_column")
                    ),
                },
                "message": {"text": str(r["message"])},
                **({"properties": {"cell": r["cell"]}} if r.get("cell") else {}),
            }
            for n, r in enumerate(related, start=1)
        ]
    fix = f.get("fix")
    if fix:
        result["fixes"] = [
            {
                "description": {"text": str(fix["title"])},
                "artifactChanges": [
                    {
                        "artifactLocation": artifact,
                        "replacements": [
                            {
                                "deletedRegion": _region(
                                    e["line"], e["column"], e["end_line"], e["end_column"]
                                ),
                                "insertedContent": {"text": str(e["content"])},
                            }
                            for e in fix["edits"]
                        ],
                    }
                ],
            }
        ]
    properties: dict[str, Any] = {"name": f["name"], "help": f["help"]}
    if f.get("fix"):
        properties["fixApplicability"] = f["fix"]["applicability"]
    if f.get("cell"):
        properties["cell"] = f["cell"]
    if impact is not None:
        properties["measuredImpact"] = _impact_properties(impact)
    result["properties"] = properties
    return result


def _impact_properties(imp: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "probe": imp["probe"],
        "verdict": imp["verdict"],
        "moves": imp["moves"],
        "explanation": imp["explanation"],
    }
    for key in (
        "ratio",
        "speedup_effect",
        "candidate_ratio",
        "script_value_s",
        "canonical_value_s",
    ):
        value = finite(imp.get(key))
        if value is not None:
            out[_camel(key)] = value
    for key in ("ratio_ci", "speedup_effect_ci", "candidate_ratio_ci"):
        pair = interval(imp.get(key))
        if pair is not None:
            out[_camel(key)] = list(pair)
    for key in ("candidate", "ratio_verdict", "speedup_effect_verdict"):
        if imp.get(key):
            out[_camel(key)] = imp[key]
    return out


def _verify_properties(payload: Payload) -> dict[str, Any]:
    comparisons = [
        {
            "candidate": c["candidate"],
            "baseline": c["baseline"],
            "scriptSpeedup": finite(c.get("script_speedup")),
            "scriptCi": list(interval(c.get("script_ci")) or ()) or None,
            "canonicalSpeedup": finite(c.get("canonical_speedup")),
            "canonicalCi": list(interval(c.get("canonical_ci")) or ()) or None,
            "discrepancyPct": finite(c.get("discrepancy_pct")),
            "verdict": c.get("verdict"),
        }
        for c in payload.get("comparisons") or []
    ]
    env = payload.get("environment") or {}
    return {
        "comparisons": comparisons,
        "environment": {k: env.get(k) for k in ("device", "device_name", "torch", "timer")},
    }


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(w.capitalize() for w in rest)


def _notification(level: str, ident: str, text: str) -> dict[str, Any]:
    return {"level": level, "descriptor": {"id": ident}, "message": {"text": text}}


def _error_notification(e: Mapping[str, Any]) -> dict[str, Any]:
    where = f"{e['path']} (cell {e['cell']})" if e.get("cell") else str(e["path"])
    note = _notification("error", str(e["kind"]), f"{where}: {e['message']}")
    region = _region(e["line"], e["column"] or 1) if e.get("line") else None
    physical: dict[str, Any] = {"artifactLocation": _artifact(str(e["path"]))}
    if region is not None:
        physical["region"] = region
    note["locations"] = [{"physicalLocation": physical}]
    return note
