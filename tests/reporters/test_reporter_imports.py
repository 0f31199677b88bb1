"""Reporters render the JSON payload with the standard library and the data modules
(`auditor.core`, with `auditor.evidence` and `auditor.rulemeta` split from it) and
`auditor.resources`; matplotlib only lazily for the PNG chart, jsonschema only to validate."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

from fixture_expectations import ROOT

ALLOWED_AUDITOR = (
    "auditor.core",
    "auditor.evidence",
    "auditor.rulemeta",
    "auditor.resources",
    "auditor.reporters",
)
THIRD_PARTY = {"matplotlib", "jsonschema"}


def test_reporters_import_only_core_resources_and_the_standard_library() -> None:
    for path in sorted((ROOT / "auditor" / "reporters").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top == "auditor":
                    ok = name == "auditor" or name.startswith(ALLOWED_AUDITOR)
                else:
                    ok = top in sys.stdlib_module_names or top in THIRD_PARTY
                assert ok, f"{path.relative_to(ROOT)} imports {name}"


def test_check_startup_does_not_load_the_review_reporters() -> None:
    code = (
        "import json, sys, auditor.cli\n"
        "from typer.testing import CliRunner\n"
        "CliRunner().invoke(auditor.cli.app, ['check', 'fixtures/seed/model_evaluator.py'])\n"
        "prefixes = ('auditor.reporters', 'auditor.review', 'matplotlib')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(prefixes))))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    loaded = json.loads(res.stdout)
    assert "auditor.review" not in loaded
    assert not [m for m in loaded if m.startswith("matplotlib")]
    assert set(loaded) <= {"auditor.reporters", "auditor.reporters.text"}
