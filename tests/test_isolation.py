"""The static check never imports or executes audited code and never loads torch & co."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fixture_expectations import FIXTURES, ROOT

BLOCKER = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"torch", "diffusers", "transformers", "accelerate"}:
            raise ImportError(f"blocked: {name}")
        return None
sys.meta_path.insert(0, Block())
from auditor.cli import main
sys.argv = ["benchaudit", *sys.argv[1:]]
main()
"""


def run_blocked(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )


def test_check_runs_with_torch_diffusers_transformers_blocked() -> None:
    res = run_blocked("check", str(FIXTURES), "--format", "json")
    assert res.returncode == 1, res.stderr
    assert "blocked" not in res.stderr and '"findings"' in res.stdout
    assert run_blocked("rules").returncode == 0


def test_audited_code_is_never_imported_or_run(tmp_path: Path) -> None:
    sentinel = tmp_path / "sentinel"
    script = tmp_path / "evil_bench.py"
    script.write_text(
        "import pathlib\n"
        f"pathlib.Path({str(sentinel)!r}).write_text('ran')\n"
        "import time, torch\n"
        "t0 = time.perf_counter()\n"
        "torch.ones(3, device='cuda').sum()\n"
        "dt = time.perf_counter() - t0\n"
    )
    res = run_blocked("check", str(script), "--no-source")
    assert res.returncode == 1
    assert "BA101" in res.stdout
    assert not sentinel.exists()


def test_static_modules_do_not_import_runtime_libraries() -> None:
    code = (
        "import sys, auditor.cli, auditor.engine, auditor.registry\n"
        "auditor.registry.all_rules()\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "{'torch', 'diffusers', 'transformers', 'numpy'}]\n"
        "print(bad)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert res.stdout.strip() == "[]", res.stdout + res.stderr
