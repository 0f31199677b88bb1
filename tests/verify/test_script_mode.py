"""`benchaudit verify SCRIPT -- ARGS` (issue 13): the script runs traced in the worker, its
timed arms are re-timed on the objects it built, and the report sets the script's own numbers
beside the canonical ones, finding by finding. CPU-sized fixtures, built from configs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from verify_helpers import gone

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "trace"
QUICK = ["--isolated", "--device", "cpu", "--precision", "0", "--budget", "0.2"]
QUICK += ["--min-samples", "3", "--no-progress"]


def _verify(tmp_path: Path, script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "auditor.cli", "verify", str(script), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=600,
    )


def _report(tmp_path: Path, script: Path, *args: str) -> dict[str, Any]:
    proc = _verify(tmp_path, script, *QUICK, "--format", "json", *args)
    assert proc.returncode in (0, 1), proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def _impact(report: dict[str, Any], code: str) -> dict[str, Any]:
    (impact,) = [i for i in report["impacts"] if i["code"] == code]
    return impact


def _unpriced(report: dict[str, Any], code: str) -> str:
    (note,) = [n for n in report["notes"] if n.startswith(f"{code} [")]
    return note


def test_the_founding_comparison_written_inline_is_verified_without_model_modules(
    tmp_path: Path,
) -> None:
    pytest.importorskip("diffusers")
    report = _report(tmp_path, FIXTURES / "sd_inline.py", "--", "--batch-size", "3")
    trace = report["trace"]
    assert trace["argv"] == ["--batch-size", "3"] and trace["exit_code"] == 0
    assert trace["model_calls"] == 14 and not trace["stopped_early"]
    assert [(r["start_line"], r["end_line"], r["calls"], r["arms"]) for r in trace["regions"]] == [
        (35, 39, 6, ["base"]),
        (35, 39, 6, ["fast"]),
    ]
    arms = {a["name"]: a for a in trace["arms"]}
    assert list(arms) == ["base", "fast"]
    assert arms["base"]["work"]["num_inference_steps"] == 20
    assert arms["fast"]["work"]["num_inference_steps"] == 10
    assert all(a["kind"] == "diffusers" and a["line"] == 38 for a in arms.values())
    assert all(a["timed_calls"] == 6 and a["script_per_sample_s"] > 0 for a in arms.values())
    # re-timed at the steps the script ran, on the script's prompts, one batch per region
    models = {m["name"]: m for m in report["models"]}
    assert (models["base"]["steps"], models["base"]["steps_source"]) == (20, "script")
    assert models["fast"]["steps"] == 10 and models["base"]["path"] == "sd_inline.py:38"
    assert report["environment"]["prompts"] == 6 and report["environment"]["batch_size"] == 6
    (speedup,) = trace["script_speedups"]
    assert speedup["baseline"] == "base" and speedup["candidate"] == "fast"
    assert speedup["script_speedup"] > 1 and speedup["canonical_speedup"] > 1
    assert "speedup:" in " ".join(trace["printed"])
    (claim,) = trace["printed_speedups"]  # what the script claimed, parsed from its output
    assert claim == round(speedup["script_speedup"], 2)
    # the per-prompt loop, priced on the live pipelines: it moves absolute times
    per_prompt = _impact(report, "BA201")
    assert per_prompt["verdict"] == "confirmed" and per_prompt["ratio"] > 1.5
    # the warm-up is priced from the script's own run: the models were warm when re-timed
    assert "in the script's own run, base's first timed call took" in _unpriced(report, "BA102")


def test_a_language_model_comparison_built_inline_is_verified(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    report = _report(tmp_path, FIXTURES / "llm_inline.py")
    arms = report["trace"]["arms"]
    assert [(a["name"], a["kind"], a["work"], a["timed_calls"]) for a in arms] == [
        ("base", "generate", {"max_new_tokens": 8}, 4),
        ("fast", "generate", {"max_new_tokens": 8}, 4),
    ]
    models = {m["name"]: m for m in report["models"]}
    assert models["base"]["generation"]["new_tokens"] == 8
    assert report["environment"]["prompts"] == 4  # the script's prompts, decoded from its ids
    assert report["generation_speedups"][0]["candidate"] == "fast"
    assert _impact(report, "BA201")["verdict"] == "confirmed"
    assert _impact(report, "BA206")["verdict"] in ("not-material", "inconclusive", "confirmed")


def test_a_careful_script_has_no_findings_and_its_arms_are_re_timed(tmp_path: Path) -> None:
    pytest.importorskip("diffusers")
    proc = _verify(tmp_path, FIXTURES / "careful_inline.py", *QUICK, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["findings"] == [] and report["impacts"] == []
    trace = report["trace"]
    assert [(r["start_line"], r["end_line"], r["calls"], r["syncs"]) for r in trace["regions"]] == [
        (28, 31, 1, 0)
    ] * 10  # five repeats per arm; on the CPU the guarded synchronize does not run
    assert [(a["name"], a["work"]["num_inference_steps"]) for a in trace["arms"]] == [
        ("base", 20),  # the dict keys: `pipe` is the loop variable every arm is bound to
        ("fast", 10),
    ]
    assert trace["disagreements"] == []
    assert report["comparisons"][0]["canonical_speedup"] > 1


def test_a_compile_inside_the_timer_is_priced_from_the_scripts_own_first_call(
    tmp_path: Path,
) -> None:
    report = _report(tmp_path, FIXTURES / "compile_in_timer.py")
    arms = report["trace"]["arms"]
    assert [(a["name"], a["kind"], a["type"], a["timed_calls"]) for a in arms] == [
        ("net", "forward", "torch.nn.modules.container.Sequential", 10),
        ("compiled", "forward", "torch._dynamo.eval_frame.OptimizedModule", 10),
    ]
    setup = _unpriced(report, "BA204")
    assert "the script's own run prices it: compiled's first timed call took" in setup
    assert {m["name"]: m["kind"] for m in report["models"]} == {
        "net": "forward",
        "compiled": "forward",
    }
    assert report["comparisons"][0]["candidate"] == "compiled"


def test_the_call_budget_stops_the_script_and_what_it_timed_is_still_verified(
    tmp_path: Path,
) -> None:
    report = _report(tmp_path, FIXTURES / "forward_sync_in_if.py", "--max-calls", "5")
    trace = report["trace"]
    assert trace["stopped_early"] and trace["max_calls"] == 5 and trace["stopped_by"] == "calls"
    # stopped inside its timed loop: the open region keeps the calls made so far
    ((region),) = trace["regions"]
    assert (region["start_line"], region["end_line"], region["seconds"]) == (12, None, None)
    assert [a["name"] for a in trace["arms"]] == ["model"]
    assert any("stopped after 5 model calls" in n for n in report["notes"])
    assert report["models"][0]["per_sample_median_s"] > 0


def test_a_time_budget_stops_the_script_at_its_next_model_call(tmp_path: Path) -> None:
    script = tmp_path / "slow.py"
    script.write_text(
        "import time\n"
        "import torch\n"
        "model = torch.nn.Linear(4, 4)\n"
        "x = torch.randn(2, 4)\n"
        "model(x)\n"
        "t0 = time.perf_counter()\n"
        "for _ in range(1000):\n"
        "    model(x)\n"
        "    time.sleep(0.01)\n"
        "print(time.perf_counter() - t0)\n"
    )
    report = _report(tmp_path, script, "--max-trace-seconds", "1")
    trace = report["trace"]
    assert trace["stopped_by"] == "time" and 10 < trace["model_calls"] < 200
    assert any("stopped after 1 s of its run (--max-trace-seconds)" in n for n in report["notes"])
    assert [a["name"] for a in trace["arms"]] == ["model"]


def test_arms_of_one_object_at_two_settings_are_told_apart(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    script = tmp_path / "lengths.py"
    script.write_text(
        "import time\n"
        "from auditor.verify.synthetic_llm import tiny_llama, tiny_llm_tokenizer\n"
        "tok = tiny_llm_tokenizer()\n"
        "model = tiny_llama(seed=0, layers=2)\n"
        "batch = tok(['a b c', 'd e f'], return_tensors='pt', padding=True)\n"
        "for n in (8, 4):\n"
        "    model.generate(**batch, max_new_tokens=n)\n"
        "    t0 = time.perf_counter()\n"
        "    model.generate(**batch, max_new_tokens=n)\n"
        "    print(n, time.perf_counter() - t0)\n"
    )
    report = _report(tmp_path, script)
    assert [a["name"] for a in report["trace"]["arms"]] == ["model-8tok", "model-4tok"]
    assert {m["name"]: m["generation"]["new_tokens"] for m in report["models"]} == {
        "model-8tok": 8,
        "model-4tok": 4,
    }


def test_scripts_that_fail_time_nothing_or_hang_get_one_line_errors(tmp_path: Path) -> None:
    failing = tmp_path / "failing.py"
    failing.write_text("import torch\nraise ValueError('no weights here')\n")
    proc = _verify(tmp_path, failing, *QUICK)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "error: the script raised ValueError: no weights here before timing a model call"
    )
    idle = tmp_path / "idle.py"
    idle.write_text("import time\nt0 = time.time()\nprint(time.time() - t0)\n")
    proc = _verify(tmp_path, idle, *QUICK)
    assert proc.returncode == 1 and proc.stderr.startswith("error: the script made no model call")
    untimed = tmp_path / "untimed.py"
    untimed.write_text("import torch\nm = torch.nn.Linear(4, 4)\nm(torch.randn(2, 4))\n")
    proc = _verify(tmp_path, untimed, *QUICK)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "error: the script timed no model call: 1 model call(s), 0 timed region(s) as it ran"
    )
    hang = tmp_path / "hang.py"
    hang.write_text(
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "open('child.pid', 'w').write(str(child.pid))\n"
        "time.sleep(600)\n"
    )
    proc = _verify(tmp_path, hang, *QUICK, "--timeout", "20")
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith("error: the traced script failed: timed out: no progress")
    assert gone(int((tmp_path / "child.pid").read_text()))  # nothing it started is left
    crash = tmp_path / "crash.py"
    crash.write_text("import os\nprint('about to crash', flush=True)\nos._exit(7)\n")
    proc = _verify(tmp_path, crash, *QUICK)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "error: the traced script failed: the worker process died (exit code 7): about to crash"
    )
    proc = _verify(tmp_path, FIXTURES / "forward_sync_in_if.py", *QUICK, "--baseline-model", "x")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: --baseline-model x is not one of the script's arms: model"


def test_script_arguments_with_model_modules_are_a_usage_error(tmp_path: Path) -> None:
    model = ROOT / "fixtures" / "models" / "tiny" / "base.py"
    proc = _verify(
        tmp_path, FIXTURES / "sd_inline.py", "--isolated", "--model", f"base={model}", "--", "-x"
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: the script's own arguments (after --) are for")


def _finding(code: str, line: int, evidence: Any = None) -> Any:
    from auditor.core import Finding, Severity, Span

    return Finding(
        code=code,
        name="x",
        path="s.py",
        span=Span(line, 1, line, 2),
        severity=Severity.WARNING,
        message="m",
        help="h",
        evidence=evidence,
    )


def test_where_the_run_contradicts_the_static_analysis_is_reported() -> None:
    from auditor.evidence import WarmupEvidence
    from auditor.verify.script_mode import disagreements

    call = {"object": 0, "name": "model", "batch": 8, "work": {}, "line": 14}
    trace = {
        "calls": [{**call, "index": 0, "line": 11}, {**call, "index": 1}],
        "regions": [{"start_line": 12, "end_line": 17, "calls": [1], "syncs": 0}],
    }
    arms = [{"name": "model", "kind": "forward", "line": 14, "calls": [1]}]
    # on a GPU, a forward timed with no synchronisation the parser thought was there
    (unsynced,) = disagreements(trace, arms, [], "cuda")
    assert unsynced.startswith("lines 12-17: the region ran with no synchronisation")
    assert disagreements(trace, arms, [], "cpu") == []
    # the same contradiction in every run of a loop is said once, with its count
    twice = {**trace, "regions": trace["regions"] * 2}
    assert disagreements(twice, arms, [], "cuda")[0].endswith("(2 times)")
    # CUDA events measure on the device: no host-clock synchronisation verdict
    events = {**trace, "regions": [{**trace["regions"][0], "timer": "torch.cuda.Event"}]}
    assert disagreements(events, arms, [], "cuda") == []
    # the parser saw no warm-up, but an untimed call ran first
    none = _finding("BA102", 12, WarmupEvidence(model="model", warmup_calls=0, reasons=("none",)))
    (warm,) = disagreements(trace, arms, [none, _finding("BA101", 14)], "cpu")
    assert warm.startswith("model: 1 untimed call(s) ran before its first timed call (line 11)")
    # a region flagged as unsynchronised that synchronised as it ran
    synced = {**trace, "regions": [{**trace["regions"][0], "syncs": 2}]}
    assert disagreements(synced, arms, [_finding("BA101", 14)], "cuda") == [
        "lines 12-17: the static analysis found no synchronisation (BA101 line 14), but the "
        "region synchronised 2 time(s) as it ran"
    ]
    # no untimed call before the first timed one, and no warm-up finding
    cold = {**trace, "calls": trace["calls"][1:]}
    assert disagreements(cold, arms, [], "cpu") == [
        "model: its first call (line 14) was timed: no warm-up ran before it, though the "
        "static analysis found one"
    ]
