"""Payloads for the reporter tests: the seed script's live check, the saved verify report, a
crafted report full of markup, and a large one."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
from fixture_expectations import ROOT

from auditor.resources import load_schema

GOLDEN = ROOT / "tests" / "golden"
#: The official OASIS SARIF 2.1.0 schema, vendored (see tests/data/NOTICE).
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
SEED_SCRIPT = "fixtures/seed/test.py"
MODELS = {
    "base": "fixtures/models/tiny/base.py",
    "speedup": "fixtures/models/tiny/speedup.py",
    "gt": "fixtures/models/tiny/gt.py",
}
EVIL_PATH = "a<script>|b.py"


def cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        timeout=120,
    )


def validate(payload: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(load_schema("report.schema.json")).validate(payload)


def normalise(payload: dict[str, Any]) -> dict[str, Any]:
    """The tool version as 0.0.0 and no absolute paths, so goldens survive releases and
    checkouts."""
    text = json.dumps(payload).replace(str(ROOT) + os.sep, "")
    out: dict[str, Any] = json.loads(text)
    out["version"] = "0.0.0"
    return out


# The seed script's rules: a new rule elsewhere in the catalogue leaves the goldens alone.
SEED_RULES = ("BA101", "BA102", "BA201", "BA202", "BA301")


def check_payload() -> dict[str, Any]:
    """`benchaudit check fixtures/seed/test.py --model ... --format json`, run from the root."""
    models = [a for name, path in MODELS.items() for a in ("--model", f"{name}={path}")]
    select = [a for code in SEED_RULES for a in ("--select", code)]
    res = cli("check", SEED_SCRIPT, *models, *select, "--isolated", "--format", "json")
    assert res.returncode == 1, res.stderr
    return normalise(json.loads(res.stdout))


def verify_payload() -> dict[str, Any]:
    """A `benchaudit verify` report of the seed script and its tiny models, measured on the CPU
    and saved (timings cannot be golden)."""
    data: dict[str, Any] = json.loads((GOLDEN / "verify_input.json").read_text(encoding="utf-8"))
    return data


def injection_payload() -> dict[str, Any]:
    """A verify report whose every user-controlled string tries to become markup."""
    base = verify_payload()
    payload = copy.deepcopy(base)
    evil_message = (
        "`x|y` is read | here ``` `` <img src=x onerror=alert(1)> [click](http://evil.example) "
        "@octocat **bold** $x$ #1 %0A::error::no\r\nsecond line, a:b"
    )
    for f in payload["findings"]:
        f["path"] = EVIL_PATH
        f["source_line"] = "    s = '```</pre><script>alert(1)</script>|'"
        f["related"] = [{"line": 1, "column": 1, "message": "see <b>here</b> | `q`"}]
    payload["findings"][0]["message"] = evil_message
    payload["findings"][0]["help"] = "Use `a``b` not <i>c</i> | d"
    for imp in payload["impacts"]:
        imp["path"] = EVIL_PATH
        imp["explanation"] = "<svg onload=alert(1)> | `e` & f"
    for c in payload["comparisons"]:
        c["candidate"] = "<b>c|x</b>"
    for m in payload["models"]:
        if m["name"] != "base":
            m["name"] = "<b>c|x</b>" if m["name"] == "speedup" else m["name"]
    payload["notes"] = ["note with <script>alert(1)</script> and `code|pipe`"]
    payload["errors"] = [
        {
            "path": "bad,file:%.py",
            "kind": "parse-error",
            "message": "invalid syntax\nat <here>",
            "line": 3,
            "column": 7,
        }
    ]
    payload["summary"]["errors"] = 1
    payload["summary"]["files"] = 2
    return payload


def many_findings_payload(n: int = 300) -> dict[str, Any]:
    """A check report with `n` findings of one rule and one of another."""
    payload = check_payload()
    template = next(f for f in payload["findings"] if f["code"] == "BA201")
    findings = []
    for i in range(n):
        f = copy.deepcopy(template)
        f["path"] = f"scripts/bench_{i:03d}.py"
        findings.append(f)
    findings.append(next(f for f in payload["findings"] if f["code"] == "BA301"))
    payload["findings"] = findings
    payload["summary"] = {
        "files": n + 1,
        "findings": n + 1,
        "errors": 0,
        "by_code": {"BA201": n, "BA301": 1},
    }
    return payload
