"""Dependencies point one way: core <- engine <- analyses <- rules; core <- reporters;
core <- verifier. Checked on the import statements of each module."""

from __future__ import annotations

import ast
from pathlib import Path

from fixture_expectations import ROOT

FORBIDDEN = {
    "auditor/core.py": (
        "auditor.engine",
        "auditor.analyses",
        "auditor.rules",
        "auditor.verify",
        "auditor.reporters",
        "auditor.cli",
    ),
    "auditor/engine.py": (
        "auditor.analyses",
        "auditor.rules",
        "auditor.verify",
        "auditor.reporters",
        "auditor.cli",
    ),
    "auditor/analyses": ("auditor.rules", "auditor.verify", "auditor.reporters", "auditor.cli"),
    "rules": ("auditor.verify", "auditor.reporters", "auditor.cli"),
    "auditor/reporters": (
        "auditor.engine",
        "auditor.analyses",
        "auditor.rules",
        "auditor.verify.worker",
        "auditor.cli",
    ),
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_dependency_direction() -> None:
    for where, banned in FORBIDDEN.items():
        target = ROOT / where
        files = [target] if target.is_file() else sorted(target.rglob("*.py"))
        assert files, where
        for f in files:
            for name in imports_of(f):
                assert not name.startswith(banned), f"{f.relative_to(ROOT)} imports {name}"


def test_only_the_verifier_imports_torch() -> None:
    for f in [*sorted((ROOT / "auditor").rglob("*.py")), *sorted((ROOT / "rules").rglob("*.py"))]:
        if "verify" in f.relative_to(ROOT).parts:
            continue
        for name in imports_of(f):
            assert name.split(".")[0] not in {"torch", "diffusers", "transformers"}, f
