"""The screen (issue 14): files that cannot have a finding are not analysed, and it never drops
a file that has one: the full analysis and the screened one agree on every fixture, every file
of the in-sample corpus, mutated fixtures and generated programs."""

from __future__ import annotations

import ast
import random
from pathlib import Path
from typing import Any

import hypothesmith
import pytest
from fixture_expectations import FIXTURES
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz import FLAWED, FUZZ, SOURCES, mutate

from auditor.api import RunRequest, prepare
from auditor.checkfile import check_source
from auditor.core import FileResult
from auditor.options import CheckOptions
from auditor.parallel import check_one
from auditor.project import ProjectModules
from auditor.registry import select_codes
from auditor.screen import may_have_findings, words

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "benchmarks" / "corpus"
RULES = select_codes(select=["ALL"])
SCREENED = CheckOptions(RULES)
FULL = CheckOptions(RULES, screen=False)


def _run(path: Path, screen: bool) -> dict[str, Any]:
    report = prepare(
        RunRequest(paths=(path,), isolated=True, select=["ALL"], screen=screen)
    ).check()
    return {r.path: (r.findings, r.error) for r in report.files}


def _same(a: FileResult, b: FileResult) -> None:
    assert (a.findings, a.error) == (b.findings, b.error)


@pytest.mark.parametrize("folder", [FIXTURES, CORPUS], ids=["fixtures", "corpus"])
def test_the_screen_never_drops_a_finding_of_a_fixture_or_corpus_file(folder: Path) -> None:
    full, screened = _run(folder, screen=False), _run(folder, screen=True)
    assert screened == full
    flagged = [p for p, (findings, _) in full.items() if findings]
    assert len(flagged) > 20  # the comparison is about files that have findings


def test_the_screen_skips_the_fixtures_that_time_nothing() -> None:
    skipped = []
    for path in sorted(FIXTURES.rglob("*.py")):
        source = path.read_text(encoding="utf-8", errors="replace")
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        if not may_have_findings(source, tree, ProjectModules(path)):
            skipped.append(path.relative_to(FIXTURES).as_posix())
    # model modules and helpers with no clock in reach are not analysed
    assert "models/tiny_llm/base.py" in skipped
    assert not any(p.startswith("seed/") and p.endswith("test.py") for p in skipped)


@FUZZ
@given(st.randoms(use_true_random=False), st.sampled_from([None, *SOURCES]))
def test_mutated_fixtures_screened_or_not_give_the_same_result(
    rng: random.Random, source: Path | None
) -> None:
    data = FLAWED if source is None else source.read_bytes()
    for _ in range(rng.randint(1, 4)):
        data = mutate(data, rng)
    path = Path("mutant.py") if source is None else source.with_name("mutant.py")
    _same(
        check_one(path, "mutant.py", SCREENED, data=data),
        check_one(path, "mutant.py", FULL, data=data),
    )


@FUZZ
@given(hypothesmith.from_grammar())
def test_generated_programs_screened_or_not_give_the_same_result(source: str) -> None:
    _same(check_source(source, "gen.py", SCREENED), check_source(source, "gen.py", FULL))


def _project(tmp_path: Path, files: dict[str, str]) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    for name, text in files.items():
        (tmp_path / name).write_text(text)


def _screen(path: Path) -> tuple[bool, set[Path]]:
    source = path.read_text()
    modules = ProjectModules(path)
    return may_have_findings(source, ast.parse(source), modules), modules.used


RUN = "def run(pipe, prompts):\n    for p in prompts:\n        pipe(p)\n"


def test_what_reaches_a_file_keeps_it(tmp_path: Path) -> None:
    _project(
        tmp_path,
        {
            "plain.py": "import os\n\ndef f(x):\n    return os.path.join(x, 'a')\n",
            "timing.py": (
                "import time\n\ndef clock_it(fn):\n    t0 = time.perf_counter()\n    fn()\n"
                "    return time.perf_counter() - t0\n\ndef unrelated():\n    return 1\n"
            ),
            "uses_unrelated.py": "from timing import unrelated\n\nunrelated()\n",
            "helpers.py": (
                "from timing import clock_it\n\ndef measure(fn):\n    return clock_it(fn)\n"
            ),
            "uses_helper.py": "from helpers import measure\n\nmeasure(print)\n",
            "runner.py": RUN,
            "bench.py": "import time\nfrom runner import run\nt0 = time.time()\n",
            "dynamic.py": "import importlib\nclock = importlib.import_module('time')\n",
            "paths.py": "import sys\nsys.path.insert(0, 'x')\n",
            "quiet.py": "x = 1  # benchaudit: ignore[BA101]\n",
        },
    )
    verdict = {
        name: _screen(tmp_path / name)[0]
        for name in (
            "plain.py",
            "uses_helper.py",
            "runner.py",
            "dynamic.py",
            "paths.py",
            "quiet.py",
            "uses_unrelated.py",
        )
    }
    assert verdict == {
        "plain.py": False,
        "uses_helper.py": True,  # two imports deep: helpers -> timing
        "runner.py": True,  # bench.py, which imports it, reads a clock
        "dynamic.py": True,
        "paths.py": True,
        "quiet.py": True,  # an unused suppression is a finding (BA001)
        "uses_unrelated.py": False,  # what it takes from timing.py reads no clock
    }
    _, used = _screen(tmp_path / "uses_helper.py")
    assert {p.name for p in used} >= {"helpers.py", "timing.py"}  # a cache keys on them


def test_words_come_from_the_timing_vocabulary() -> None:
    assert {"time", "perf_counter", "Event", "do_bench", "Timer", "default_timer"} <= words()
    assert "torch" not in words()  # every torch file is not a benchmark
