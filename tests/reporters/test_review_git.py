"""`--changed-since REV` and `--baseline` on a real git history built in the test."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from fixture_expectations import FIXTURES
from reporter_helpers import SEED_RULES
from reporter_helpers import cli as run_cli

from auditor.review import ReviewError, changed_lines, parse_diff

SEED = FIXTURES / "seed" / "test.py"
RATIO_LINE = "    gt_ratio = base_per_sample / gt_time\n"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`benchaudit` with the seed script's rules only (new rules leave these tests alone)."""
    select = [a for code in SEED_RULES for a in ("--select", code)]
    return run_cli(*args, *select, cwd=cwd)


def git(repo: Path, *args: str) -> str:
    res = subprocess.run(
        ["git", "-c", "user.email=test@example.com", "-c", "user.name=test", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return res.stdout


def edit(path: Path, lineno: int, new: str) -> None:
    """Replace 1-based line `lineno` of `path` with `new` (which may hold several lines)."""
    lines = path.read_text().splitlines(keepends=True)
    lines[lineno - 1] = new
    path.write_text("".join(lines))


def findings(res: subprocess.CompletedProcess[str]) -> list[tuple[int, str]]:
    return sorted((f["line"], f["code"]) for f in json.loads(res.stdout)["findings"])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    shutil.copy(SEED, root / "bench.py")
    git(root, "add", "bench.py")
    git(root, "commit", "-q", "-m", "the seed benchmark")
    return root


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if line == text)


def test_diff_reports_only_findings_on_changed_lines(repo: Path) -> None:
    script = repo / "bench.py"
    everything = findings(cli("check", "bench.py", "--isolated", "-f", "json", cwd=repo))
    assert len({code for _, code in everything}) >= 4

    unchanged = cli(
        "check", "bench.py", "--isolated", "--changed-since", "HEAD", "-f", "json", cwd=repo
    )
    assert unchanged.returncode == 0, unchanged.stderr
    assert findings(unchanged) == []

    timer_line = line_of(script, "    gen_time = time.time() - start")
    edit(script, timer_line, "    gen_time = time.time() - start  # seconds for the batch\n")
    res = cli("check", "bench.py", "--isolated", "--changed-since", "HEAD", "-f", "json", cwd=repo)
    assert res.returncode == 1, res.stderr
    assert findings(res) == [(timer_line, "BA101")]

    # committed changes count too, against an older revision
    git(repo, "commit", "-q", "-am", "comment the timer")
    ratio_line = line_of(script, RATIO_LINE.rstrip("\n"))
    edit(script, ratio_line, "    gt_ratio = base_per_sample / gt_time  # mixed\n")
    res = cli(
        "check", "bench.py", "--isolated", "--changed-since", "HEAD~1", "-f", "json", cwd=repo
    )
    assert findings(res) == [(timer_line, "BA101"), (ratio_line, "BA301")]
    res = cli("check", "bench.py", "--isolated", "--changed-since", "HEAD", "-f", "json", cwd=repo)
    assert findings(res) == [(ratio_line, "BA301")]


def test_diff_counts_an_untracked_file_as_changed_throughout(repo: Path) -> None:
    shutil.copy(SEED, repo / "new_bench.py")
    res = cli("check", ".", "--isolated", "--changed-since", "HEAD", "-f", "json", cwd=repo)
    assert res.returncode == 1
    paths = {f["path"] for f in json.loads(res.stdout)["findings"]}
    assert paths == {"new_bench.py"}
    full = cli("check", "new_bench.py", "--isolated", "-f", "json", cwd=repo)
    assert len(json.loads(res.stdout)["findings"]) == len(json.loads(full.stdout)["findings"])


def test_diff_outside_a_repository_or_with_a_bad_revision_is_a_usage_error(
    repo: Path, tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    shutil.copy(SEED, plain / "bench.py")
    res = cli("check", "bench.py", "--changed-since", "HEAD", cwd=plain)
    assert res.returncode == 2 and res.stdout == ""
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("error: --changed-since needs a git repository")

    for rev in ("no-such-branch", "--output=x"):
        res = cli("check", "bench.py", f"--changed-since={rev}", cwd=repo)
        assert res.returncode == 2, res.stderr
        (line,) = res.stderr.strip().splitlines()
        assert line.startswith("error: --changed-since"), line
    assert not (repo / "x").exists()


def test_changed_lines_api(repo: Path) -> None:
    script = repo / "bench.py"
    text = script.read_text().splitlines(keepends=True)
    script.write_text("".join(["# new first line\n", *text[:9], *text[10:]]))
    changes = changed_lines({"bench.py": script}, "HEAD", cwd=repo)
    assert changes.lines["bench.py"] == frozenset({1})
    with pytest.raises(ReviewError):
        changed_lines({"bench.py": script}, "HEAD~5", cwd=repo)


def test_parse_diff_reads_counts_not_headers() -> None:
    diff = (
        "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n"
        "@@ -1,0 +2,2 @@\n++++ b/evil.py\n+second\n"
        "@@ -5 +7 @@\n-old\n+new\n"
        "@@ -9,2 +10,0 @@\n-gone\n-gone\n"
        'diff --git a/y.py b/y.py\n--- a/y.py\n+++ "b/sp ace\\"q.py"\n@@ -0,0 +1 @@\n+a\n'
        "diff --git a/z.py b/z.py\n--- a/z.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-z\n"
    )
    assert parse_diff(diff) == {"x.py": {2, 3, 7}, 'sp ace"q.py': {1}}


def test_baseline_accepts_old_findings_through_line_shifts_and_reports_new_ones(
    repo: Path,
) -> None:
    script = repo / "bench.py"
    baseline = repo / "benchaudit-baseline.json"
    res = cli("check", "bench.py", "--isolated", "--write-baseline", str(baseline), cwd=repo)
    assert res.returncode == 0, res.stderr
    recorded = json.loads(baseline.read_text())
    assert recorded["tool"] == "benchaudit" and recorded["baseline_version"] == 1
    assert {e["code"] for e in recorded["findings"]} >= {"BA101", "BA201", "BA301"}
    assert all(
        set(e) == {"path", "code", "name", "fingerprint", "count"} for e in recorded["findings"]
    )

    # unrelated lines shift every finding: nothing new
    script.write_text("# Benchmark of the three models.\n\n" + script.read_text())
    res = cli(
        "check", "bench.py", "--isolated", "--baseline", str(baseline), "-f", "json", cwd=repo
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert findings(res) == []
    assert "in the baseline" in res.stderr

    # the same flaw once more: a multiset, so the baseline's one copy does not cover two
    ratio_line = line_of(script, RATIO_LINE.rstrip("\n"))
    edit(script, ratio_line, RATIO_LINE + RATIO_LINE)
    res = cli(
        "check", "bench.py", "--isolated", "--baseline", str(baseline), "-f", "json", cwd=repo
    )
    assert res.returncode == 1
    assert findings(res) == [(ratio_line + 1, "BA301")]

    # a new kind of flaw is reported too
    timer_line = line_of(script, "    gen_time = time.time() - start")
    edit(
        script, timer_line, "    gen_time = time.time() - start\n    other = time.time() - start\n"
    )
    res = cli(
        "check", "bench.py", "--isolated", "--baseline", str(baseline), "-f", "json", cwd=repo
    )
    assert res.returncode == 1
    assert (timer_line + 1, "BA101") in findings(res)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "baseline file not found"),
        ("[1, 2", "is not valid JSON"),
        ('{"tool": "x"}', "is not a benchaudit baseline"),
        (
            '{"tool": "benchaudit", "baseline_version": 1, "findings": [{"count": 1}]}',
            "findings[0]",
        ),
    ],
)
def test_a_bad_baseline_is_a_one_line_error(repo: Path, content: str | None, expected: str) -> None:
    baseline = repo / "b.json"
    if content is not None:
        baseline.write_text(content)
    res = cli("check", "bench.py", "--baseline", str(baseline), cwd=repo)
    assert res.returncode == 2
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("error: ") and expected in line, line
