"""Read `# expect: CODE[, CODE]` annotations from fixture files."""

from __future__ import annotations

import re
from pathlib import Path

EXPECT_RE = re.compile(r"#\s*expect:\s*([A-Z0-9,\s]+)")
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def expected(path: Path) -> set[tuple[int, str]]:
    out: set[tuple[int, str]] = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        m = EXPECT_RE.search(line)
        if m:
            out |= {(lineno, c.strip()) for c in m.group(1).split(",") if c.strip()}
    return out


def rule_fixture_files() -> list[Path]:
    return sorted((FIXTURES / "rules").rglob("*.py"))
