"""The tracer (issue 13, first part): a script run under instrumentation records its timer
reads, synchronisations, model calls and timed regions as they ran."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from verify_helpers import gone as _gone

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "trace"


def _trace(tmp_path: Path, script: Path, *args: str, max_calls: int | None = None) -> dict:
    out = tmp_path / "trace.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if max_calls is not None:
        env["BENCHAUDIT_TRACE_MAX_CALLS"] = str(max_calls)
    proc = subprocess.run(
        [sys.executable, "-m", "auditor.verify.trace", str(out), str(script), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text())


def test_an_inline_llm_comparison_is_traced_call_by_call_and_region_by_region(
    tmp_path: Path,
) -> None:
    pytest.importorskip("transformers")
    trace = _trace(tmp_path, FIXTURES / "llm_inline.py")
    assert trace["error"] is None and trace["exit_code"] == 0 and not trace["stopped_early"]
    calls = trace["calls"]
    # per model: one warm-up generate() of the batch of 4 (line 16), then one per prompt (19)
    assert [(c["object"], c["method"], c["line"], c["batch"]) for c in calls] == [
        (0, "generate", 16, 4),
        *[(0, "generate", 19, 1)] * 4,
        (1, "generate", 16, 4),
        *[(1, "generate", 19, 1)] * 4,
    ]
    assert all(c["work"] == {"max_new_tokens": 8} for c in calls)
    assert {c["type"] for c in calls} == {
        "transformers.models.llama.modeling_llama.LlamaForCausalLM"
    }
    regions = [(r["start_line"], r["end_line"], r["calls"]) for r in trace["regions"]]
    assert regions == [(17, 20, [1, 2, 3, 4]), (17, 20, [6, 7, 8, 9])]
    assert all(r["timer"] == "time.perf_counter" for r in trace["regions"])
    assert "speedup:" in trace["printed"]
    assert trace["syncs"] == []  # generate() synchronises inside; the script never does


def test_a_sync_under_a_condition_that_does_not_hold_is_not_recorded(tmp_path: Path) -> None:
    trace = _trace(tmp_path, FIXTURES / "forward_sync_in_if.py")
    assert trace["error"] is None and trace["exit_code"] == 0
    calls = trace["calls"]
    assert [(c["line"], c["batch"], c["method"]) for c in calls] == [(11, 32, "__call__")] * 3 + [
        (14, 32, "__call__")
    ] * 5
    assert {c["object"] for c in calls} == {0}  # one model; its inner layers are not calls
    ((start, end, inside),) = [
        (r["start_line"], r["end_line"], r["calls"]) for r in trace["regions"]
    ]
    assert (start, end, inside) == (12, 17, [3, 4, 5, 6, 7])
    assert trace["regions"][0]["timer"] == "time.time"
    assert trace["syncs"] == []  # torch.cuda.is_available() is False here


def test_the_call_budget_stops_the_script_and_keeps_what_was_traced(tmp_path: Path) -> None:
    trace = _trace(tmp_path, FIXTURES / "forward_sync_in_if.py", max_calls=4)
    assert trace["stopped_early"] and trace["error"] is None and trace["exit_code"] is None
    assert len(trace["calls"]) == 5  # the fifth call is where the script was stopped
    assert "forward:" not in trace["printed"]


def test_a_script_that_fails_or_exits_is_reported_not_raised(tmp_path: Path) -> None:
    failing = tmp_path / "failing.py"
    failing.write_text("import sys\nprint('starting')\nraise ValueError('no weights here')\n")
    trace = _trace(tmp_path, failing)
    assert trace["error"] == "ValueError: no weights here"
    assert trace["printed"] == "starting\n"
    exiting = tmp_path / "exiting.py"
    exiting.write_text("import sys\nprint(sys.argv[1:])\nsys.exit(3)\n")
    trace = _trace(tmp_path, exiting, "--steps", "30")
    assert trace["exit_code"] == 3 and trace["error"] is None
    assert trace["printed"] == "['--steps', '30']\n"


def test_the_supervisor_returns_the_trace_and_survives_hangs_and_crashes(tmp_path: Path) -> None:
    from auditor.verify import runner

    trace = runner.run_trace(FIXTURES / "forward_sync_in_if.py", [], timeout=120, cwd=tmp_path)
    assert trace["error"] is None and len(trace["calls"]) == 8
    hang = tmp_path / "hang.py"
    hang.write_text(
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "open('child.pid', 'w').write(str(child.pid))\n"
        "time.sleep(600)\n"
    )
    # (the tracer imports torch first: a slow machine needs seconds before the script starts)
    result = runner.run_trace(hang, [], timeout=15, cwd=tmp_path)
    assert result == {"error": "the traced script timed out after 15 s"}
    child = int((tmp_path / "child.pid").read_text())
    assert _gone(child)  # the process the script started is gone too
    crash = tmp_path / "crash.py"
    crash.write_text("import os\nprint('about to crash', flush=True)\nos._exit(7)\n")
    result = runner.run_trace(crash, [], timeout=60, cwd=tmp_path)
    assert result["error"].startswith("the traced script's process died (exit code 7)")
    assert "about to crash" in result["error"]


def test_library_timers_laps_and_chained_stamps_pair_as_the_script_paired_them(
    tmp_path: Path,
) -> None:
    trace = _trace(tmp_path, FIXTURES / "library_timers.py")
    assert trace["error"] is None and trace["exit_code"] == 0
    names = [(c["name"], c["line"]) for c in trace["calls"]]
    # the lambda's calls are the script's; the statement string's run in code torch compiles,
    # named from the globals the script handed it
    assert names == [("base", 14)] * 5 + [("fast", 15)] * 5 + [("base", 19)] * 3 + [
        ("base", 22),
        ("fast", 24),
    ]
    regions = [(r["start_line"], r["end_line"], r["timer"], r["calls"]) for r in trace["regions"]]
    assert regions == [
        (14, 14, "timeit", [0, 1, 2, 3, 4]),
        # torch.utils.benchmark's Timer.timeit(3) warms up with 2 calls, then times 3
        (15, 15, "torch.utils.benchmark", [5, 6]),
        (15, 15, "torch.utils.benchmark", [7, 8, 9]),
        # each lap is read against the one start: the calls since the start
        (16, 20, "time.perf_counter", [10]),
        (16, 20, "time.perf_counter", [10, 11]),
        (16, 20, "time.perf_counter", [10, 11, 12]),
        # chained stamps: t1 - t0 and t2 - t1
        (21, 23, "time.perf_counter", [13]),
        (23, 25, "time.perf_counter", [14]),
    ]
    assert all(r["seconds"] > 0 for r in trace["regions"])


def test_a_helper_module_of_the_project_counts_as_the_scripts_own_code(tmp_path: Path) -> None:
    """A timer class used as a context manager and a run helper, in a module beside the
    script: the reads pair through the subtraction in `__exit__`, the calls are recorded where
    the helper makes them, and the arms are named from the script's scope."""
    (tmp_path / "helpers.py").write_text(
        "import time\n"
        "class Timer:\n"
        "    def __enter__(self):\n"
        "        self.start = time.perf_counter()\n"
        "        return self\n"
        "    def __exit__(self, *exc):\n"
        "        self.elapsed = time.perf_counter() - self.start\n"
        "def run(model, x):\n"
        "    return model(x)\n"
    )
    script = tmp_path / "bench.py"
    script.write_text(
        "import torch\n"
        "from helpers import Timer, run\n"
        "base, fast = torch.nn.Linear(8, 8), torch.nn.Linear(8, 4)\n"
        "x = torch.randn(2, 8)\n"
        "for m in (base, fast):\n"
        "    run(m, x)\n"
        "    with Timer() as t:\n"
        "        for _ in range(3):\n"
        "            run(m, x)\n"
        "    t.elapsed.as_integer_ratio()\n"
        "    torch.ones(1).item()\n"
    )
    trace = _trace(tmp_path, script)
    assert trace["error"] is None
    assert [(c["name"], Path(c["file"]).name, c["line"]) for c in trace["calls"]] == [
        ("base", "helpers.py", 9)
    ] * 4 + [("fast", "helpers.py", 9)] * 4
    regions = [(r["start_line"], r["end_line"], r["calls"]) for r in trace["regions"]]
    assert regions == [(4, 7, [1, 2, 3]), (4, 7, [5, 6, 7])]
    assert trace["syncs"] == []  # `.item()` of a CPU tensor does not wait for a device
