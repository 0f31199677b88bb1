"""SARIF: valid against the official 2.1.0 schema, and shaped the way GitHub code scanning needs
(relative URIs, fingerprints that survive line shifts, fixes, limits, notifications)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import jsonschema
import pytest
from fixture_expectations import ROOT
from reporter_helpers import (
    SARIF_SCHEMA,
    SEED_SCRIPT,
    check_payload,
    injection_payload,
    many_findings_payload,
    verify_payload,
)

from auditor.checkfile import check_source
from auditor.core import CheckReport
from auditor.options import CheckOptions
from auditor.registry import select_codes
from auditor.reporters import sarif as sarif_mod
from auditor.reporters.json_report import build_check_payload
from auditor.reporters.sarif import build_sarif, render_sarif
from auditor.review import catalogue


def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def test_the_vendored_schema_is_the_official_one() -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["id"] == sarif_mod.SARIF_SCHEMA  # the URI our documents declare
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    notice = (SARIF_SCHEMA.parent / "NOTICE").read_text(encoding="utf-8")
    assert "OASIS" in notice and hashlib.sha256(SARIF_SCHEMA.read_bytes()).hexdigest() in notice


def test_the_schema_rejects_what_it_should() -> None:
    doc = build_sarif(check_payload(), catalogue())
    doc["runs"][0]["results"][0]["level"] = "fatal"  # not a SARIF level
    assert not sarif_validator().is_valid(doc)


@pytest.mark.parametrize(
    "make", [check_payload, verify_payload, injection_payload], ids=["check", "verify", "crafted"]
)
def test_sarif_validates_against_the_official_schema(make: Any) -> None:
    doc = json.loads(render_sarif(make(), catalogue()))
    sarif_validator().validate(doc)


def test_sarif_has_what_github_code_scanning_requires() -> None:
    payload = check_payload()
    doc = build_sarif(payload, catalogue())
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "benchaudit"
    assert driver["semanticVersion"] == payload["version"]
    rules = driver["rules"]
    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"].startswith("# ")
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert len(run["results"]) == len(payload["findings"])
    for result, finding in zip(run["results"], payload["findings"], strict=True):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding["code"]
        assert result["level"] == {"error": "error", "warning": "warning"}[finding["severity"]]
        loc = result["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": "fixtures/seed/test.py", "uriBaseId": "%SRCROOT%"}
        assert loc["region"] == {
            "startLine": finding["line"],
            "startColumn": finding["column"],
            "endLine": finding["end_line"],
            "endColumn": finding["end_column"],
        }
        assert result["partialFingerprints"]["primaryLocationLineHash"].startswith(
            finding["fingerprint"]
        )
        assert len(result.get("relatedLocations", [])) == len(finding["related"])
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == []


def test_a_fix_becomes_a_sarif_fix() -> None:
    payload = check_payload()
    (index, finding) = next((i, f) for i, f in enumerate(payload["findings"]) if f["fix"])
    result = build_sarif(payload)["runs"][0]["results"][index]
    (fix,) = result["fixes"]
    assert fix["description"]["text"] == finding["fix"]["title"]
    (replacement,) = fix["artifactChanges"][0]["replacements"]
    edit = finding["fix"]["edits"][0]
    assert replacement["deletedRegion"]["startLine"] == edit["line"]
    assert replacement["insertedContent"]["text"] == edit["content"]


def _sarif_of(source: str) -> dict[str, Any]:
    opts = CheckOptions(select_codes())
    report = CheckReport([check_source(source, "bench.py", opts)])
    return build_sarif(build_check_payload(report, [r.META for r in opts.rules]))


def test_fingerprints_survive_unrelated_line_shifts() -> None:
    source = (ROOT / SEED_SCRIPT).read_text(encoding="utf-8")
    before = _sarif_of(source)["runs"][0]["results"]
    after = _sarif_of("# a comment\n\n" + source)["runs"][0]["results"]
    assert len(before) >= 5, "the seed script should be flagged"
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after] == [
        r["locations"][0]["physicalLocation"]["region"]["startLine"] + 2 for r in before
    ]
    assert [r["partialFingerprints"] for r in after] == [r["partialFingerprints"] for r in before]


def test_identical_findings_get_distinct_fingerprints() -> None:
    doc = build_sarif(many_findings_payload(3))
    hashes = [
        r["partialFingerprints"]["primaryLocationLineHash"] for r in doc["runs"][0]["results"]
    ]
    assert len(set(hashes)) == len(hashes)


def test_verify_evidence_is_in_result_properties() -> None:
    payload = verify_payload()
    doc = build_sarif(payload, catalogue())
    sarif_validator().validate(doc)
    results = doc["runs"][0]["results"]
    by_code_line = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]): r
        for r in results
    }
    for impact in payload["impacts"]:
        props = by_code_line[(impact["code"], impact["line"])]["properties"]["measuredImpact"]
        assert props["verdict"] == impact["verdict"]
        assert props["probe"] == impact["probe"]
    run_props = doc["runs"][0]["properties"]
    assert [c["candidate"] for c in run_props["comparisons"]] == [
        c["candidate"] for c in payload["comparisons"]
    ]


def test_file_errors_are_tool_notifications_and_uris_are_encoded() -> None:
    doc = build_sarif(injection_payload())
    invocation = doc["runs"][0]["invocations"][0]
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and note["descriptor"]["id"] == "parse-error"
    assert note["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert invocation["executionSuccessful"] is True  # a parse error is reported, not a crash
    uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"] == "a%3Cscript%3E%7Cb.py"


def test_results_are_capped_at_githubs_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sarif_mod, "MAX_RESULTS", 10)
    doc = build_sarif(many_findings_payload(20))
    run = doc["runs"][0]
    assert len(run["results"]) == 10
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["results-truncated"]
