"""The result cache and the parallel runner: exact round trips, invalidation, corruption,
identical results whatever the number of processes."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_expectations import FIXTURES, ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor import cache as cache_module
from auditor import parallel
from auditor.cache import ResultCache, config_fingerprint, result_from_dict, result_to_dict
from auditor.core import (
    Applicability,
    Edit,
    FileError,
    FileResult,
    Finding,
    Fix,
    Related,
    Severity,
    Span,
)
from auditor.discovery import discover
from auditor.evidence import (
    ArmsEvidence,
    PerPromptEvidence,
    StepSourceEvidence,
    UnitMixEvidence,
    UnsyncedEvidence,
    WarmupEvidence,
)
from auditor.options import CheckOptions
from auditor.parallel import ProgressBar, check_many
from auditor.registry import select_codes

RULES = select_codes()
OPTS = CheckOptions(RULES)
SEED = FIXTURES / "seed" / "test.py"

# --- exact round trips ------------------------------------------------------------------------

positions = st.integers(min_value=1, max_value=10_000)
text = st.text(max_size=40)
spans = st.builds(Span, positions, positions, positions, positions)
cells = st.none() | st.integers(min_value=1, max_value=500)
findings = st.builds(
    Finding,
    code=st.from_regex(r"BA[0-9]{3}", fullmatch=True),
    name=st.from_regex(r"[a-z]+(-[a-z]+)*", fullmatch=True),
    path=text,
    span=spans,
    severity=st.sampled_from(list(Severity)),
    message=text,
    help=text,
    source_line=text,
    fix=st.none()
    | st.builds(
        Fix,
        title=text,
        applicability=st.sampled_from(list(Applicability)),
        edits=st.lists(st.builds(Edit, spans, text), max_size=3).map(tuple),
    ),
    related=st.lists(st.builds(Related, spans, text, cells), max_size=3).map(tuple),
    evidence=st.none()
    | st.builds(PerPromptEvidence, text, text)
    | st.builds(UnsyncedEvidence, text, text)
    | st.builds(
        StepSourceEvidence,
        st.none() | st.integers(1, 1000),
        st.none() | text,
        st.lists(st.tuples(text, st.none() | st.integers(1, 1000)), max_size=3).map(tuple),
    )
    | st.builds(
        WarmupEvidence,
        text,
        st.none() | st.integers(0, 50),
        st.lists(st.sampled_from(["none", "single-call", "no-sync"]), max_size=3).map(tuple),
        st.none() | text,
        st.none() | text,
    )
    | st.builds(UnitMixEvidence, text, text, st.just("total"), st.just("per-sample"))
    | st.builds(
        ArmsEvidence,
        st.lists(text, max_size=3).map(tuple),
        st.lists(st.tuples(text, text, text), max_size=2).map(tuple),
    ),
    cell=cells,
)


@settings(max_examples=200, deadline=None)
@given(findings)
def test_finding_round_trips_exactly_through_json(finding: Finding) -> None:
    data = json.loads(json.dumps(finding.to_dict()))
    assert Finding.from_dict(data) == finding
    assert data["fingerprint"] == finding.fingerprint()


@settings(max_examples=100, deadline=None)
@given(
    st.lists(findings, max_size=4),
    st.none()
    | st.builds(
        FileError,
        text,
        st.sampled_from(["parse-error", "read-error", "internal-error"]),
        text,
        st.none() | positions,
        st.none() | positions,
        cells,
    ),
)
def test_file_result_round_trips(found: list[Finding], error: FileError | None) -> None:
    result = FileResult("x.py", tuple(found), error)
    assert result_from_dict(json.loads(json.dumps(result_to_dict(result)))) == result


def test_the_seed_findings_round_trip() -> None:
    report = check_many([(SEED, "fixtures/seed/test.py")], CheckOptions(select_codes(["ALL"])))
    assert report.findings
    for finding in report.findings:
        assert Finding.from_dict(json.loads(json.dumps(finding.to_dict()))) == finding


# --- the cache --------------------------------------------------------------------------------


def make_cache(tmp_path: Path, codes: tuple[str, ...] = RULES) -> ResultCache:
    return ResultCache(tmp_path / "cache", config_fingerprint(codes, {}, {}))


def tree(tmp_path: Path, n: int = 6) -> list[tuple[Path, str]]:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    for i in range(n):
        shutil.copy(SEED, src / f"bench{i}.py")
    return list(discover([src]))


def no_checking(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached file was checked again")

    monkeypatch.setattr(parallel, "_check_data", fail)


def test_a_rerun_is_served_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = tree(tmp_path)
    cache = make_cache(tmp_path)
    cold = check_many(files, OPTS, cache=cache)
    assert cache.misses == len(files) and cold.findings
    warm_cache = make_cache(tmp_path)
    no_checking(monkeypatch)
    warm = check_many(files, OPTS, cache=warm_cache)
    assert warm == cold and warm_cache.hits == len(files)


def test_edits_rules_and_tool_changes_invalidate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = tree(tmp_path, 2)
    check_many(files, OPTS, cache=make_cache(tmp_path))
    files[0][0].write_text(SEED.read_text() + "\nx = 1\n")
    cache = make_cache(tmp_path)
    check_many(files, OPTS, cache=cache)
    assert (cache.hits, cache.misses) == (1, 1)
    other_rules = select_codes(["BA1"])
    cache = make_cache(tmp_path, other_rules)
    check_many(files, CheckOptions(other_rules), cache=cache)
    assert cache.hits == 0
    monkeypatch.setattr(cache_module, "tool_fingerprint", lambda: "edited rule")
    cache = make_cache(tmp_path)
    check_many(files, OPTS, cache=cache)
    assert cache.hits == 0


def test_options_and_model_contents_are_part_of_the_key(tmp_path: Path) -> None:
    model = tmp_path / "model.py"
    model.write_text("num_inference_steps = 20\n")
    codes = list(RULES)
    base = config_fingerprint(codes, {}, {"m": str(model)})
    assert config_fingerprint(codes, {"weak-warmup": {"min_calls": 3}}, {"m": str(model)}) != base
    model.write_text("num_inference_steps = 10\n")
    assert config_fingerprint(codes, {}, {"m": str(model)}) != base


def test_a_changed_sibling_module_invalidates(tmp_path: Path) -> None:
    src = tmp_path / "proj"
    src.mkdir()
    (src / "timing_utils.py").write_text(
        "import time\ndef now():\n    return time.perf_counter()\n"
    )
    (src / "bench.py").write_text(
        "import torch\nfrom timing_utils import now\nt0 = now()\n"
        "torch.ones(3, device='cuda').sum()\ndt = now() - t0\n"
    )
    files = [(src / "bench.py", "bench.py")]
    first = check_many(files, OPTS, cache=make_cache(tmp_path))
    cache = make_cache(tmp_path)
    assert check_many(files, OPTS, cache=cache) == first and cache.hits == 1
    (src / "timing_utils.py").write_text("def now():\n    return 0\n")
    cache = make_cache(tmp_path)
    check_many(files, OPTS, cache=cache)
    assert cache.misses == 1


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"{",
        b"null",
        b"[]",
        b'{"result": 3}',
        b'{"result": {"path": "x", "findings": [{"code": 1}]}}',
        b'{"result": {"path": "x", "findings": [], "error": null}, "dependencies": [[1]]}',
        b"\xff\xfe\x00garbage",
        b'{"result": ' * 10_000,
    ],
)
def test_a_corrupt_entry_is_a_miss(tmp_path: Path, damage: bytes) -> None:
    files = tree(tmp_path, 1)
    cold = check_many(files, OPTS, cache=make_cache(tmp_path))
    for entry in (tmp_path / "cache").rglob("*.json"):
        entry.write_bytes(damage)
    cache = make_cache(tmp_path)
    assert check_many(files, OPTS, cache=cache) == cold
    assert cache.misses == 1
    cache = make_cache(tmp_path)  # and the entry was rewritten
    assert check_many(files, OPTS, cache=cache) == cold and cache.hits == 1


def test_an_unwritable_cache_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("a file where the folder should be")
    files = tree(tmp_path, 2)
    report = check_many(files, OPTS, cache=make_cache(tmp_path))
    assert report.findings and not report.errors


def test_entries_are_written_atomically_and_marked(tmp_path: Path) -> None:
    files = tree(tmp_path, 3)
    check_many(files, OPTS, cache=make_cache(tmp_path))
    root = tmp_path / "cache"
    assert (root / ".gitignore").read_text().strip().endswith("*")
    assert (root / "CACHEDIR.TAG").is_file()
    assert not [p for p in root.rglob("*") if p.name.endswith(".tmp")]
    assert len(list(root.rglob("*.json"))) == 3


def test_read_errors_are_not_cached(tmp_path: Path) -> None:
    (tmp_path / "gone.py").symlink_to(tmp_path / "missing.py")
    cache = make_cache(tmp_path)
    report = check_many([(tmp_path / "gone.py", "gone.py")], OPTS, cache=cache)
    assert report.errors[0].kind == "read-error"
    assert not list((tmp_path / "cache").rglob("*.json"))


# --- the command line -------------------------------------------------------------------------


def cli(*args: str, cache_dir: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", "BENCHAUDIT_CACHE_DIR": str(cache_dir)},
        timeout=300,
    )


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown"])
def test_cold_and_warm_reports_are_identical(tmp_path: Path, fmt: str) -> None:
    args = ("check", str(FIXTURES), "--format", fmt, "--statistics")
    cold = cli(*args, cache_dir=tmp_path)
    warm = cli(*args, cache_dir=tmp_path)
    uncached = cli(*args, "--no-cache", "--jobs", "1", cache_dir=tmp_path / "unused")
    assert cold.returncode == warm.returncode == uncached.returncode == 1
    assert cold.stdout == warm.stdout == uncached.stdout
    assert not (tmp_path / "unused").exists()


def test_statistics_count_per_rule_from_the_cache(tmp_path: Path) -> None:
    args = ("check", str(FIXTURES / "seed"), "--statistics", "--no-source")
    cli(*args, cache_dir=tmp_path)
    out = cli(*args, cache_dir=tmp_path).stdout.splitlines()
    table = [line.split() for line in out if re.fullmatch(r"\s*\d+  BA\d{3}  [a-z-]+", line)]
    assert len(table) >= 5
    assert sum(int(row[0]) for row in table) == int(out[-1].split()[1])  # "Found N findings"


def test_default_cache_location_is_the_project_root(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    shutil.copy(SEED, project / "sub" / "bench.py")
    env = {k: v for k, v in os.environ.items() if k != "BENCHAUDIT_CACHE_DIR"}
    res = subprocess.run(
        [sys.executable, "-m", "auditor.cli", "check", "bench.py"],
        capture_output=True,
        text=True,
        cwd=project / "sub",
        env=env,
        timeout=120,
    )
    assert res.returncode == 1, res.stderr
    assert (project / ".benchaudit_cache" / "CACHEDIR.TAG").is_file()
    assert not (project / "sub" / ".benchaudit_cache").exists()


def test_jobs_must_not_be_negative(tmp_path: Path) -> None:
    res = cli("check", str(SEED), "--jobs", "-1", cache_dir=tmp_path)
    assert res.returncode == 2


# --- processes --------------------------------------------------------------------------------


def test_any_number_of_processes_gives_the_same_report() -> None:
    files = list(discover([FIXTURES]))
    opts = CheckOptions(select_codes(["ALL"]))
    one = check_many(files, opts, jobs=1)
    assert check_many(files, opts, jobs=2) == one
    assert check_many(files, opts, jobs=3) == one


def test_a_worker_that_dies_costs_only_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = tree(tmp_path, 8)
    real = parallel._check_data

    def crash_on_bench3(path: Path, display: str, *args: object) -> FileResult:
        if path.name == "bench3.py":
            os._exit(70)  # as a native crash would: no exception, no cleanup
        return real(path, display, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "_check_data", crash_on_bench3)  # inherited by forked workers
    report = check_many(files, OPTS, jobs=2)
    assert len(report.files) == 8
    by_name = {Path(r.path).name: r for r in report.files}
    assert by_name["bench3.py"].error is not None
    assert by_name["bench3.py"].error.kind == "internal-error"
    assert all(r.findings for n, r in by_name.items() if n != "bench3.py")


def test_progress_bar_only_on_a_terminal_for_large_trees() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert ProgressBar.for_terminal(1000, io.StringIO()) is None
    assert ProgressBar.for_terminal(10, Tty()) is None
    stream = Tty()
    bar = ProgressBar.for_terminal(1000, stream)
    assert bar is not None
    bar.update(500, 1000)
    bar.update(1000, 1000)
    bar.close()
    assert "checking 500/1000 files" in stream.getvalue()
    assert "1000/1000" in stream.getvalue()
    assert stream.getvalue().endswith("\r")


def test_a_cache_hit_imports_neither_libcst_nor_a_rule(tmp_path: Path) -> None:
    """An unchanged file (the pre-commit hook's re-run) is answered from the cache without
    importing libcst, a rule or typer: the findings come back, the analysis never loads."""
    code = (
        "import sys\n"
        "from auditor.fastcli import run_check_fast\n"
        f"code = run_check_fast(['check', {str(FIXTURES / 'seed' / 'test.py')!r}])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('libcst', 'typer')"
        " or m.startswith(('auditor.rules.', 'auditor.analyses', 'auditor.engine')))\n"
        "print(code, heavy, file=sys.stderr)\n"
    )
    env = {**os.environ, "NO_COLOR": "1", "BENCHAUDIT_CACHE_DIR": str(tmp_path / "cache")}

    def run() -> tuple[str, str]:
        res = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env
        )
        return res.stdout, res.stderr.strip().splitlines()[-1]

    cold_out, cold = run()
    warm_out, warm = run()
    assert cold.startswith("1 [") and "libcst" in cold  # the first run analysed the file
    assert warm == "1 []"
    assert warm_out == cold_out and "BA201" in warm_out
