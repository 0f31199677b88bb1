"""Jupyter notebooks: code cells checked as one script, locations given as cell and line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fixture_expectations import ROOT

from auditor.core import Finding
from auditor.discovery import discover
from auditor.notebooks import NotebookError, neutralise, read_notebook
from auditor.options import CheckOptions
from auditor.parallel import check_many, check_one
from auditor.registry import select_codes

OPTS = CheckOptions(select_codes())

SETUP = """\
%pip install diffusers
import time
import torch
!nvidia-smi
from diffusers import StableDiffusionPipeline
"""
TIMED = """\
pipe = StableDiffusionPipeline.from_pretrained("x").to("cuda")
prompts = ["a", "b"]
files = !ls
t0 = time.perf_counter()
for prompt in prompts:
    image = pipe(prompt).images[0]
dt = time.perf_counter() - t0
print(dt)
%time pipe(prompts)
"""


def code(source: str) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "metadata": {},
        "execution_count": None,
        "outputs": [],
        "source": source.splitlines(keepends=True),
    }


def markdown(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def notebook(*cells: dict[str, Any], language: str = "python") -> dict[str, Any]:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "k", "language": language, "display_name": "K"}},
        "cells": list(cells),
    }


BENCH = notebook(
    markdown("# Benchmark"),
    code(SETUP),
    code("%%bash\necho $((1 + 2))\nfor x in 1 2; do echo $x; done\n"),
    markdown("## Timing"),
    code(TIMED),
)


def write_notebook(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )


def located(findings: tuple[Finding, ...]) -> set[tuple[str, int | None, int, int]]:
    return {(f.code, f.cell, f.span.line, f.span.column) for f in findings}


# --- reading ----------------------------------------------------------------------------------


def test_ipython_lines_become_pass_and_keep_their_numbers() -> None:
    lines = [
        "%matplotlib inline",
        "!pip install x",
        "files = !ls -la",
        "a, b = %who_ls",
        "obj?",
        "??obj",
        "if True:",
        "    !echo inside",
        "x = (1",
        "     % 2)",
        "y = [",
        "    !flag,",  # not Python either way: inside brackets it is left for the parser
        "]",
        'doc = """',
        "% not a magic inside a string",
        '"""',
        "%time f(\\",
        "  still the magic)",
        "z = a if b else c  # what?",
        "print('done?')",
    ]
    out = neutralise(lines)
    assert len(out) == len(lines)
    assert out[0] == "pass" and out[1] == "pass" and out[2] == "pass" and out[3] == "pass"
    assert out[4] == "pass" and out[5] == "pass"
    assert out[7] == "    pass"
    assert out[9] == "     % 2)"  # a continuation line is Python
    assert out[11] == "    !flag,"
    assert out[14] == "% not a magic inside a string"
    assert out[16] == "pass" and out[17] == ""
    assert out[18] == lines[18] and out[19] == lines[19]


def test_a_cell_magic_blanks_its_cell() -> None:
    assert neutralise(["", "%%bash", "echo hi", "ls"]) == ["", "", "", ""]


def test_cells_are_joined_with_their_line_numbers() -> None:
    nb = read_notebook(json.dumps(BENCH).encode())
    assert [c.cell for c in nb.cells] == [2, 3, 5]  # 1-based among all cells
    first_timed = nb.cells[2].first_line
    assert nb.locate(first_timed) == (5, 1)
    assert nb.locate(first_timed + 3) == (5, 4)
    assert nb.locate(1) == (2, 1)
    compile(nb.source, "nb", "exec")  # the neutralised notebook is valid Python


@pytest.mark.parametrize(
    "data",
    [b"", b"not json", b"[]", b'{"cells": 3}', b'{"worksheets": []}', b"\xff\xfe"],
)
def test_unreadable_notebooks_raise_notebook_error(data: bytes) -> None:
    with pytest.raises(NotebookError):
        read_notebook(data)


def test_a_notebook_in_another_language_has_nothing_to_check() -> None:
    nb = read_notebook(json.dumps(notebook(code("library(x)\n"), language="R")).encode())
    assert nb.source == "" and nb.cells == ()


# --- checking ---------------------------------------------------------------------------------


def test_findings_are_located_by_cell(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "bench.ipynb", BENCH)
    result = check_one(path, "bench.ipynb", OPTS)
    assert result.error is None
    assert located(result.findings) >= {("BA201", 5, 6, 13)}
    assert all(f.cell == 5 for f in result.findings)
    for f in result.findings:  # the source line is the cell's own line
        assert f.source_line == TIMED.splitlines()[f.span.line - 1]


def test_cross_cell_timing_is_seen(tmp_path: Path) -> None:
    nb = notebook(
        code("import time, torch\n"),
        code("t0 = time.perf_counter()\ntorch.ones(3, device='cuda').sum()\n"),
        markdown("the timer is read in the next cell"),
        code("dt = time.perf_counter() - t0\nprint(dt)\n"),
    )
    result = check_one(write_notebook(tmp_path / "cells.ipynb", nb), "cells.ipynb", OPTS)
    assert ("BA101", 4, 1, 6) in located(result.findings)


def test_syntax_error_is_located_by_cell(tmp_path: Path) -> None:
    nb = notebook(code("x = 1\n"), markdown("m"), code("y = 2\ndef f(:\n    pass\n"))
    result = check_one(write_notebook(tmp_path / "bad.ipynb", nb), "bad.ipynb", OPTS)
    assert result.error is not None and result.error.kind == "parse-error"
    assert (result.error.cell, result.error.line) == (3, 2)
    res = cli("check", str(tmp_path / "bad.ipynb"))
    assert "bad.ipynb:cell 3:2:" in res.stdout


def test_a_broken_notebook_is_a_parse_error(tmp_path: Path) -> None:
    (tmp_path / "broken.ipynb").write_text("{ not json", encoding="utf-8")
    result = check_one(tmp_path / "broken.ipynb", "broken.ipynb", OPTS)
    assert result.error is not None and result.error.kind == "parse-error"


def test_suppressions_work_in_cells(tmp_path: Path) -> None:
    timed = TIMED.replace(
        "    image = pipe(prompt).images[0]",
        "    image = pipe(prompt).images[0]  # benchaudit: ignore[BA201]",
    )
    nb = notebook(code(SETUP), code(timed))
    result = check_one(write_notebook(tmp_path / "quiet.ipynb", nb), "quiet.ipynb", OPTS)
    assert "BA201" not in {f.code for f in result.findings}


def test_directories_include_notebooks_but_not_checkpoints(tmp_path: Path) -> None:
    write_notebook(tmp_path / "a.ipynb", BENCH)
    (tmp_path / ".ipynb_checkpoints").mkdir()
    write_notebook(tmp_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb", BENCH)
    (tmp_path / "b.py").write_text("x = 1\n", encoding="utf-8")
    assert [Path(d).name for _, d in discover([tmp_path])] == ["a.ipynb", "b.py"]


# --- every output format ----------------------------------------------------------------------


def test_text_output_names_the_cell(tmp_path: Path) -> None:
    write_notebook(tmp_path / "bench.ipynb", BENCH)
    res = cli("check", "bench.ipynb", cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert "bench.ipynb:cell 5:6:13: BA201 [per-prompt-loop]" in res.stdout
    assert "6 |     image = pipe(prompt).images[0]" in res.stdout


def test_json_has_the_cell_and_a_cell_relative_line(tmp_path: Path) -> None:
    write_notebook(tmp_path / "bench.ipynb", BENCH)
    payload = json.loads(cli("check", "bench.ipynb", "--format", "json", cwd=tmp_path).stdout)
    ba201 = next(f for f in payload["findings"] if f["code"] == "BA201")
    assert (ba201["cell"], ba201["line"], ba201["column"]) == (5, 6, 13)
    assert all(r.get("cell") == 5 for r in ba201["related"])


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("sarif", "Cell 5, line 6"),
        ("markdown", "bench.ipynb (cell 5):6:13"),
        ("github", "cell 5, line 6"),
        ("html", "bench.ipynb (cell 5):6:13"),
    ],
)
def test_every_format_shows_the_cell(tmp_path: Path, fmt: str, expected: str) -> None:
    write_notebook(tmp_path / "bench.ipynb", BENCH)
    res = cli("check", "bench.ipynb", "--format", fmt, cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert expected in res.stdout


def test_notebook_findings_survive_the_cache(tmp_path: Path) -> None:
    write_notebook(tmp_path / "bench.ipynb", BENCH)
    env_dir = tmp_path / "cache"
    cold = subprocess.run(
        [sys.executable, "-m", "auditor.cli", "check", "bench.ipynb", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "BENCHAUDIT_CACHE_DIR": str(env_dir)},
        timeout=120,
    )
    assert any(env_dir.rglob("*.json"))
    warm = subprocess.run(
        [sys.executable, "-m", "auditor.cli", "check", "bench.ipynb", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "BENCHAUDIT_CACHE_DIR": str(env_dir)},
        timeout=120,
    )
    assert warm.stdout == cold.stdout and '"cell": 5' in warm.stdout


def test_notebooks_in_a_tree_with_many_files(tmp_path: Path) -> None:
    for i in range(6):
        write_notebook(tmp_path / f"nb{i}.ipynb", BENCH)
    serial = check_many(list(discover([tmp_path])), OPTS, jobs=1)
    parallel = check_many(list(discover([tmp_path])), OPTS, jobs=2)
    assert serial == parallel
    assert all(f.cell == 5 for f in serial.findings)


def test_large_outputs_do_not_stop_a_notebook_being_checked(tmp_path: Path) -> None:
    """A plot in an output makes the file megabytes; the code is what the size limit is for."""
    timed = code(TIMED)
    timed["outputs"] = [{"output_type": "display_data", "data": {"image/png": "iVBOR" * 600_000}}]
    path = write_notebook(tmp_path / "plots.ipynb", notebook(code(SETUP), timed))
    assert path.stat().st_size > 2_000_000
    result = check_one(path, "plots.ipynb", OPTS)
    assert result.error is None and "BA201" in {f.code for f in result.findings}
