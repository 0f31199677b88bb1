"""`benchaudit fix` and `check --fix`: fixes round-trip on the rule fixtures, keep comments and
formatting, are idempotent, never write a file that would not parse, and `--diff` writes nothing."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

import libcst as cst
import pytest
from fixture_expectations import FIXTURES, ROOT

from auditor.checkfile import check_source
from auditor.core import Applicability, Edit, Finding, Fix, Severity, Span
from auditor.discovery import discover
from auditor.fix import apply_fixes, fix_file, fix_source
from auditor.options import CheckOptions
from auditor.parallel import check_many
from auditor.registry import select_codes

OPTS = CheckOptions(select_codes(select=["ALL"]))  # BA103 is off by default


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)},
        timeout=120,
    )


def comments(source: str) -> list[str]:
    return [
        t.string
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type == tokenize.COMMENT
    ]


def fixable(report_findings: list[Finding], unsafe: bool) -> set[tuple[str, str]]:
    return {
        (f.path, f.fingerprint())
        for f in report_findings
        if f.fix is not None and (unsafe or f.fix.applicability is Applicability.SAFE)
    }


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_fixes_round_trip_on_the_fixtures(tmp_path: Path, unsafe: bool) -> None:
    shutil.copytree(FIXTURES / "rules", tmp_path / "rules")
    shutil.copytree(FIXTURES / "seed", tmp_path / "seed")
    files = list(discover([tmp_path]))
    before = {p: p.read_text(encoding="utf-8") for p, _ in files}
    report = check_many(list(files), OPTS)
    assert fixable(report.findings, unsafe), "the fixtures offer fixes"

    results = [fix_file(p, d, OPTS, unsafe=unsafe) for p, d in files]
    assert all(r.error is None for r in results)
    assert sum(len(r.applied) for r in results) >= len(fixable(report.findings, unsafe)) // 2
    after = check_many(list(files), OPTS)
    assert after.errors == []
    assert not fixable(after.findings, unsafe), "fixed findings are gone"
    applied = {(f.path, f.code, f.fingerprint()) for r in results for f in r.applied}
    remaining = {(f.path, f.code, f.fingerprint()) for f in after.findings}
    assert not applied & remaining
    for path, old in before.items():
        new = path.read_text(encoding="utf-8")
        cst.parse_module(new)
        if not unsafe:
            assert comments(new) == comments(old), path
        else:
            assert set(comments(new)) <= set(comments(old)) | {""}, path
            assert len(comments(new)) >= len(comments(old)) - 2, path

    again = [fix_file(p, d, OPTS, unsafe=unsafe) for p, d in files]
    assert not any(r.changed for r in again), "a second run is a no-op"


def test_safe_fixes_rewrite_the_clock_and_insert_a_sync() -> None:
    source = (
        "import time\n"
        "import torch\n\n"
        "model = torch.nn.Linear(8, 8).cuda()\n"
        'x = torch.randn(4, 8, device="cuda")\n'
        "for _ in range(3):\n    model(x)\ntorch.cuda.synchronize()\n"
        "t0 = time.time()  # start\n"
        "model(x)\n"
        "elapsed = time.time() - t0  # the interval\n"
    )
    result = fix_source(source, "bench.py", OPTS)
    assert result.fixed.endswith(
        "t0 = time.perf_counter()  # start\n"
        "model(x)\n"
        "torch.cuda.synchronize()\n"
        "elapsed = time.perf_counter() - t0  # the interval\n"
    )
    assert {f.code for f in result.applied} == {"BA101", "BA103"}


def test_sync_fix_imports_torch_when_the_script_does_not() -> None:
    source = (
        '"""Times a pipeline."""\n'
        "import time\n"
        "from diffusers import DiffusionPipeline\n\n"
        'pipe = DiffusionPipeline.from_pretrained("sd").to("cuda")\n'
        "for _ in range(3):\n"
        '    pipe("a cat", output_type="latent")\n'
        "t0 = time.perf_counter()\n"
        'pipe("a cat", output_type="latent")\n'
        "elapsed = time.perf_counter() - t0\n"
    )
    fixed = fix_source(source, "bench.py", OPTS).fixed
    assert fixed.startswith('"""Times a pipeline."""\nimport time\nfrom diffusers')
    assert "from diffusers import DiffusionPipeline\nimport torch\n" in fixed
    assert "torch.cuda.synchronize()\nelapsed" in fixed


def test_timestamp_start_is_not_rewritten() -> None:
    source = (
        "import json\nimport time\n\n"
        "t0 = time.time()\n"
        "total = sum(range(10))\n"
        "elapsed = time.time() - t0\n"
        'json.dumps({"started": t0, "elapsed": elapsed})\n'
    )
    result = fix_source(source, "log.py", OPTS)
    assert result.fixed == source  # `t0` is also logged as a timestamp: no rewrite offered
    flagged = check_source(source, "log.py", OPTS).findings
    assert [f.code for f in flagged] == ["BA103"] and flagged[0].fix is None


def test_a_fix_that_would_not_parse_is_never_applied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = "x = 1\ny = 2\n"
    bad = Finding(
        code="BA101",
        name="unsynchronized-timer",
        path="f.py",
        span=Span(1, 1, 1, 2),
        severity=Severity.ERROR,
        message="m",
        help="h",
        fix=Fix("break it", Applicability.SAFE, (Edit(Span(1, 1, 1, 2), "(("),)),
    )
    text, taken = apply_fixes(source, [bad])
    assert text == "(( = 1\ny = 2\n" and taken == [bad]

    import auditor.fix as fix_module
    from auditor.core import FileResult

    monkeypatch.setattr(
        fix_module, "check_source", lambda *a, **k: FileResult("f.py", findings=(bad,))
    )
    path = tmp_path / "f.py"
    path.write_text(source)
    result = fix_file(path, "f.py", OPTS)
    assert not result.changed and result.applied == []
    assert path.read_text() == source and [p.name for p in tmp_path.iterdir()] == ["f.py"]


def test_overlapping_fixes_are_taken_one_per_pass() -> None:
    def finding(col: int, text: str) -> Finding:
        span = Span(1, col, 1, col + 1)
        return Finding(
            "BA103",
            "wall-clock-timer",
            "f.py",
            span,
            Severity.WARNING,
            "m",
            "h",
            fix=Fix("t", Applicability.SAFE, (Edit(span, text),)),
        )

    text, taken = apply_fixes("abc\n", [finding(1, "X"), finding(1, "Y"), finding(2, "Z")])
    assert text == "XZc\n" and len(taken) == 2


def test_fix_diff_writes_nothing_and_fix_writes_atomically(tmp_path: Path) -> None:
    script = tmp_path / "bench.py"
    shutil.copy(FIXTURES / "rules" / "wall-clock-timer" / "bad_time_time.py", script)
    script.chmod(0o640)
    original = script.read_text()
    res = cli("fix", "bench.py", "--diff", "--isolated", "--extend-select", "BA103", cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert "+    start = time.perf_counter()" in res.stdout
    assert "Would fix 1 finding(s) (BA103: 1)" in res.stderr
    assert script.read_text() == original
    res = cli("fix", "bench.py", "--isolated", "--extend-select", "BA103", cwd=tmp_path)
    assert res.returncode == 0 and "Fixed 1 finding(s)" in res.stderr
    assert "time.perf_counter() - start" in script.read_text()
    assert script.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench.py"]
    assert (
        cli(
            "fix", "bench.py", "--diff", "--isolated", "--extend-select", "BA103", cwd=tmp_path
        ).returncode
        == 0
    )


def test_check_fix_reports_what_remains(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "seed" / "test.py", tmp_path / "test.py")
    res = cli(
        "check",
        "test.py",
        "--fix",
        "--isolated",
        "--extend-select",
        "BA103",
        "--no-source",
        "--no-cache",
        cwd=tmp_path,
    )
    assert res.returncode == 1
    assert "Fixed 2 finding(s) (BA101: 1, BA103: 1)" in res.stderr
    assert "BA103" not in res.stdout and "BA101" not in res.stdout
    assert "BA201" in res.stdout
    res = cli(
        "check",
        "test.py",
        "--fix",
        "--unsafe-fixes",
        "--isolated",
        "--no-source",
        "--no-cache",
        cwd=tmp_path,
    )
    assert "BA201" not in res.stdout
    assert (
        "_ = pipe(batch_prompts, num_inference_steps=num_inference_steps)"
        in (tmp_path / "test.py").read_text()
    )
