"""The JSON report: the public contract described by `schemas/report.schema.json`."""

from __future__ import annotations

from collections import Counter
from typing import Any

from auditor import __version__
from auditor.core import CheckReport
from auditor.rulemeta import RuleMeta


def build_check_payload(
    report: CheckReport, rules: list[RuleMeta] | None = None, kind: str = "check"
) -> dict[str, Any]:
    findings = report.findings
    payload: dict[str, Any] = {
        "tool": "benchaudit",
        "version": __version__,
        "schema_version": 2,
        "kind": kind,
        "findings": [f.to_dict() for f in findings],
        "errors": [e.to_dict() for e in report.errors],
        "summary": {
            "files": len(report.files),
            "findings": len(findings),
            "errors": len(report.errors),
            "by_code": dict(sorted(Counter(f.code for f in findings).items())),
        },
    }
    if rules is not None:
        payload["rules"] = [rule_entry(m) for m in rules]
    return payload


def rule_entry(meta: RuleMeta) -> dict[str, Any]:
    return {
        "code": meta.code,
        "name": meta.name,
        "summary": meta.summary,
        "category": str(meta.category),
        "severity": str(meta.severity),
        "default_enabled": meta.default_enabled,
        "fix": meta.fix_title,
    }


def validate_report(payload: dict[str, Any]) -> None:
    """Raise `jsonschema.ValidationError` if the payload breaks the public contract."""
    import jsonschema

    from auditor.resources import load_schema

    jsonschema.Draft202012Validator(load_schema("report.schema.json")).validate(payload)
