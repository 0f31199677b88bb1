"""The wheel is self-contained: rules and schemas ship inside `auditor`, and nothing installs
as a global `rules`, `schemas` or `fixtures` module."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from fixture_expectations import ROOT


def test_wheel_contents(tmp_path: Path) -> None:
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    wheel = next(tmp_path.glob("benchaudit-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert not tops & {"rules", "schemas", "fixtures", "tests", "benchmarks"}, tops
    assert "auditor/rules/workload/per_prompt_loop.py" in names
    assert "auditor/rules/timing/unsynchronized_timer.py" in names
    assert "auditor/schemas/report.schema.json" in names
    assert "auditor/schemas/config.schema.json" in names
    assert "auditor/verify/worker.py" in names
