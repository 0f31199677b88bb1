"""One run setup for `check`, `fix` and `verify` (auditor/api.py), as a user meets it: configuration
found per checked file, exclusions on named files, one-line errors, stdin, renamed flags."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fixture_expectations import FIXTURES, ROOT

from auditor import api

SEED = FIXTURES / "seed" / "test.py"
CLEAN = FIXTURES / "seed" / "model_evaluator.py"


def cli(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "BENCHAUDIT_CACHE_DIR": str(cwd / ".cache-test")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "auditor.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        input=stdin,
        timeout=120,
    )


def codes(res: subprocess.CompletedProcess[str]) -> set[str]:
    payload = json.loads(res.stdout)
    return {f["code"] for f in payload["findings"]}


def one_error(res: subprocess.CompletedProcess[str], *parts: str) -> None:
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: "), lines
    for part in parts:
        assert part in lines[0], (part, lines[0])
    assert "Traceback" not in res.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A project whose configuration turns the per-prompt loop off, with a sub-project whose own
    configuration turns on only BA301, and an excluded folder."""
    root = tmp_path / "repo"
    (root / "bench").mkdir(parents=True)
    (root / "third_party").mkdir()
    (root / "sub").mkdir()
    shutil.copy(SEED, root / "bench" / "run.py")
    shutil.copy(SEED, root / "third_party" / "vendored.py")
    shutil.copy(SEED, root / "sub" / "other.py")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.benchaudit]\nignore = ["per-prompt-loop"]\n'
        'exclude = ["third_party"]\n'
    )
    (root / "sub" / "pyproject.toml").write_text('[tool.benchaudit]\nselect = ["BA301"]\n')
    return root


def test_configuration_comes_from_the_checked_files_not_the_working_directory(
    repo: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    res = cli("check", str(repo / "bench" / "run.py"), "-f", "json", cwd=elsewhere)
    assert res.returncode == 1, res.stderr
    found = codes(res)
    assert "BA201" not in found and "BA202" in found

    isolated = cli(
        "check", str(repo / "bench" / "run.py"), "-f", "json", "--isolated", cwd=elsewhere
    )
    assert "BA201" in codes(isolated)


def test_each_file_takes_its_nearest_configuration(repo: Path, tmp_path: Path) -> None:
    res = cli("check", str(repo), "-f", "json", cwd=tmp_path)
    payload = json.loads(res.stdout)
    by_file: dict[str, set[str]] = {}
    for f in payload["findings"]:
        by_file.setdefault(Path(f["path"]).name, set()).add(f["code"])
    assert set(by_file) == {"run.py", "other.py"}  # third_party/ is excluded
    assert by_file["other.py"] == {"BA301"}
    assert "BA201" not in by_file["run.py"] and len(by_file["run.py"]) > 1
    listed = {r["code"] for r in payload["rules"]}
    assert "BA301" in listed and "BA201" not in listed


def test_exclude_applies_to_named_files_with_force_exclude(repo: Path) -> None:
    vendored = "third_party/vendored.py"
    named = cli("check", vendored, "-f", "json", cwd=repo)
    assert named.returncode == 1 and codes(named)  # ruff's rule: a named file is checked
    forced = cli("check", vendored, "--force-exclude", "-f", "json", cwd=repo)
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["summary"]["files"] == 0

    text = repo / "pyproject.toml"
    text.write_text(text.read_text() + "force-exclude = true\n")
    assert cli("check", vendored, "-f", "json", cwd=repo).returncode == 0
    again = cli("check", vendored, "--no-force-exclude", "-f", "json", cwd=repo)
    assert again.returncode == 1


def test_the_pre_commit_hook_forces_exclusions() -> None:
    hook = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "entry: benchaudit check --force-exclude" in hook


@pytest.mark.parametrize(
    ("pyproject", "parts"),
    [
        ("[tool.benchaudit\nselect = 1\n", ("pyproject.toml", "invalid TOML")),
        ('[tool.benchaudit]\nselekt = ["BA1"]\n', ("pyproject.toml", "unknown key `selekt`")),
        (
            "[tool.benchaudit.rules.weak-warmup]\nmin-calls = 0\n",
            ("pyproject.toml", "min-calls", "minimum"),
        ),
        ('[tool.benchaudit]\nselect = ["BA9"]\n', ("pyproject.toml", "unknown rule selector")),
        (
            '[tool.benchaudit.models]\nbase = "models/missing.py"\n',
            ("pyproject.toml", "model file not found", "missing.py"),
        ),
    ],
)
def test_bad_configuration_is_one_line_naming_the_file(
    tmp_path: Path, pyproject: str, parts: tuple[str, ...]
) -> None:
    (tmp_path / "pyproject.toml").write_text(pyproject)
    shutil.copy(SEED, tmp_path / "bench.py")
    for command in (["check", "bench.py"], ["fix", "bench.py", "--diff"]):
        one_error(cli(*command, cwd=tmp_path), *parts)


def test_invalid_toml_found_from_a_subfolder_is_an_error_too(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("not = [valid\n")
    (tmp_path / "pkg").mkdir()
    shutil.copy(SEED, tmp_path / "pkg" / "bench.py")
    one_error(cli("check", "pkg/bench.py", cwd=tmp_path), "pyproject.toml", "invalid TOML")


def test_a_missing_model_file_is_an_error(tmp_path: Path) -> None:
    shutil.copy(SEED, tmp_path / "bench.py")
    res = cli("check", "bench.py", "--model", "base=missing.py", cwd=tmp_path)
    one_error(res, "--model", "model file not found: missing.py")


def test_config_models_resolve_from_the_configuration_folder(tmp_path: Path) -> None:
    models = FIXTURES / "models" / "tiny"
    (tmp_path / "models").mkdir()
    for name in ("base", "speedup", "gt"):
        shutil.copy(models / f"{name}.py", tmp_path / "models" / f"{name}.py")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.benchaudit.models]\nbase = "models/base.py"\nspeedup = "models/speedup.py"\n'
    )
    run = api.prepare(api.RunRequest(paths=(tmp_path,)))
    assert run.models == {
        "base": str(tmp_path / "models" / "base.py"),
        "speedup": str(tmp_path / "models" / "speedup.py"),
    }


def test_comma_separated_selectors(tmp_path: Path) -> None:
    res = cli("check", str(SEED), "--select", "BA201,BA202", "-f", "json", "--isolated", cwd=ROOT)
    assert codes(res) == {"BA201", "BA202"}
    res = cli("check", str(SEED), "--ignore=BA1,BA2", "-f", "json", "--isolated", cwd=ROOT)
    assert codes(res) and not any(c.startswith(("BA1", "BA2")) for c in codes(res))
    one_error(cli("check", str(SEED), "--select", "BA201,BA9", cwd=ROOT), "BA9")


def test_help_shows_plain_metavars() -> None:
    res = cli("check", "--help", cwd=ROOT)
    assert res.returncode == 0
    assert "list[str]" not in res.stdout and "RULES" in res.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["check", str(SEED), "--format", "nonsense"],
        ["rules", "--format", "nonsense"],
        ["report", str(SEED), "--format", "nonsense"],
    ],
)
def test_a_bad_format_is_one_error_line(args: list[str]) -> None:
    one_error(cli(*args, cwd=ROOT), "--format must be one of", "nonsense")


def test_check_reads_standard_input(tmp_path: Path) -> None:
    source = SEED.read_text()
    res = cli("check", "-", "-f", "json", "--isolated", cwd=tmp_path, stdin=source)
    assert res.returncode == 1, res.stderr
    payload = json.loads(res.stdout)
    assert {f["path"] for f in payload["findings"]} == {"<stdin>"}
    assert "BA201" in codes(res)

    (tmp_path / "pyproject.toml").write_text('[tool.benchaudit]\nignore = ["BA201"]\n')
    named = cli(
        "check", "-", "--stdin-filename", "bench.py", "-f", "json", cwd=tmp_path, stdin=source
    )
    assert {f["path"] for f in json.loads(named.stdout)["findings"]} == {"bench.py"}
    assert "BA201" not in codes(named)  # the configuration above bench.py applies
    clean = cli("check", "-", "--isolated", cwd=tmp_path, stdin=CLEAN.read_text())
    assert clean.returncode == 0, clean.stdout
    one_error(cli("check", str(SEED), "--stdin-filename", "x.py", cwd=tmp_path), "needs -")
    one_error(cli("fix", "-", cwd=tmp_path, stdin=source), "standard input")


def test_renamed_flags_name_their_new_spelling(tmp_path: Path) -> None:
    shutil.copy(SEED, tmp_path / "bench.py")
    one_error(cli("check", "bench.py", "--diff", "HEAD", cwd=tmp_path), "--changed-since")
    res = cli("verify", "bench.py", "--baseline", "base", "--model", f"base={SEED}", cwd=tmp_path)
    one_error(res, "--baseline-model")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fix_does_not_hang_on_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    # If fix opened the FIFO it would block until a writer came; this writer never comes
    # unless the test is about to fail, and then it unblocks the reader.
    done = threading.Event()
    res_box: list[subprocess.CompletedProcess[str]] = []

    def run() -> None:
        res_box.append(cli("fix", "pipe.py", "--isolated", cwd=tmp_path))
        done.set()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    if not done.wait(60):
        with open(fifo, "w") as unblock:
            unblock.write("")
        done.wait(30)
        pytest.fail("benchaudit fix blocked on a FIFO")
    (res,) = res_box
    assert res.returncode == 2
    assert "pipe.py: cannot read: not a regular file" in res.stderr


def test_fix_on_a_notebook_says_it_is_not_rewritten(tmp_path: Path) -> None:
    cell = {"cell_type": "code", "metadata": {}, "source": SEED.read_text(), "outputs": []}
    cell["execution_count"] = None
    nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "bench.ipynb").write_text(json.dumps(nb))
    res = cli("fix", "bench.ipynb", "--isolated", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "1 notebook(s) not fixed: notebooks are checked, never rewritten" in res.stderr


def test_the_python_api(repo: Path) -> None:
    report = api.check([repo / "bench" / "run.py"])
    found = {f.code for f in report.findings}
    assert "BA201" not in found and "BA202" in found  # the repository's configuration
    assert "BA201" in {
        f.code for f in api.check([repo / "bench" / "run.py"], isolated=True).findings
    }
    with pytest.raises(api.SetupError, match="no such file"):
        api.prepare(api.RunRequest(paths=(repo / "nope.py",)))
    run = api.prepare(api.RunRequest(paths=(repo,), select=("BA301",)))
    assert {r.META.code for r in run.rules} == {"BA301"}  # the command line on top


def test_verify_prices_only_what_the_configuration_enables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`verify` checks the script through the same prepared run as `check`: a rule turned off
    in pyproject.toml is neither reported nor given a probe arm, and the configuration's
    `models` table supplies the models."""
    pytest.importorskip("torch")
    from typer.testing import CliRunner

    from auditor import cli as cli_mod
    from auditor.verify import runner

    shutil.copy(SEED, tmp_path / "bench.py")
    shutil.copytree(FIXTURES / "models" / "tiny", tmp_path / "models")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.benchaudit]\nignore = ["per-prompt-loop"]\n\n[tool.benchaudit.models]\n'
        'base = "models/base.py"\nspeedup = "models/speedup.py"\n'
    )
    jobs: list[dict[str, object]] = []

    def fake_run(job: dict[str, object], timeout: float, progress: object) -> runner.Outcome:
        jobs.append(job)
        return runner.Outcome(fatal="not measured in this test")

    monkeypatch.setattr(runner, "run_supervised", fake_run)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "verify.json"
    result = CliRunner().invoke(
        cli_mod.app, ["verify", "bench.py", "--device", "cpu", "-f", "json", "-o", str(out)]
    )
    assert result.exit_code == 1, result.output
    (job,) = jobs
    assert [m["name"] for m in job["models"]] == ["base", "speedup"]  # type: ignore[index]
    variants = {a["variant"] for a in job["arms"]}  # type: ignore[attr-defined]
    assert "probe-inconsistent-step-source" in variants
    assert "probe-per-prompt-loop" not in variants
    payload = json.loads(out.read_text())
    names = {f["name"] for f in payload["findings"]}
    assert "per-prompt-loop" not in names and "inconsistent-step-source" in names


# --- rule options: every option in the docs and schema is read by its rule --------------------

TWO_WARMUPS = """\
import time
import torch
from diffusers import DiffusionPipeline

pipe = DiffusionPipeline.from_pretrained("sd").to("cuda")
prompts = ["a cat", "a dog", "a fox"]
pipe(prompts)
pipe(prompts)
torch.cuda.synchronize()
t0 = time.perf_counter()
images = pipe(prompts).images
torch.cuda.synchronize()
elapsed = time.perf_counter() - t0
"""

NO_CUDA_MENTION = """\
import time
from diffusers import DiffusionPipeline

pipe = DiffusionPipeline.from_pretrained("sd")
prompts = ["a cat", "a dog", "a fox"]
for _ in range(3):
    pipe(prompts)
t0 = time.perf_counter()
images = pipe(prompts, output_type="latent").images
elapsed = time.perf_counter() - t0
"""


def _codes_with(tmp_path: Path, source: str, config: str) -> set[str]:
    (tmp_path / "bench.py").write_text(source)
    (tmp_path / "pyproject.toml").write_text(config)
    return {f.code for f in api.check([tmp_path / "bench.py"]).findings}


def test_weak_warmup_min_calls(tmp_path: Path) -> None:
    assert "BA102" not in _codes_with(tmp_path, TWO_WARMUPS, "[tool.benchaudit]\n")
    three = "[tool.benchaudit.rules.weak-warmup]\nmin-calls = 3\n"
    assert "BA102" in _codes_with(tmp_path, TWO_WARMUPS, three)
    report = api.check([tmp_path / "bench.py"])
    (finding,) = [f for f in report.findings if f.code == "BA102"]
    assert "only 2 warm-up call(s)" in finding.message


def test_unsynchronized_timer_assume_gpu(tmp_path: Path) -> None:
    assert "BA101" not in _codes_with(tmp_path, NO_CUDA_MENTION, "[tool.benchaudit]\n")
    on = "[tool.benchaudit.rules.unsynchronized-timer]\nassume-gpu = true\n"
    assert "BA101" in _codes_with(tmp_path, NO_CUDA_MENTION, on)


def test_every_documented_option_is_declared_by_its_rule() -> None:
    """The schema's options are exactly the rules' declared options (and so their docs)."""
    from auditor.registry import all_rules
    from auditor.resources import load_schema

    schema = load_schema("config.schema.json")["properties"]["rules"]["properties"]
    declared = {r.META.name: {k.replace("_", "-") for k, _ in r.META.options} for r in all_rules()}
    for rule, spec in schema.items():
        assert set(spec["properties"]) == declared[rule], rule
    for rule, options in declared.items():
        assert not options or set(schema[rule]["properties"]) == options, rule


# --- smaller items ---------------------------------------------------------------------------


def test_binary_and_undecodable_files_are_content_errors_like_a_syntax_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "bin.py").write_bytes(b"import time\x00\x01\x02#\n")
    (tmp_path / "latin.py").write_bytes(b"x = '\xff'\n")
    (tmp_path / "syn.py").write_text("x = (\n")
    for name, message in (
        ("bin.py", "bin.py: error: not Python source: binary content (a NUL byte at offset 11)"),
        ("latin.py", "latin.py: error: not valid utf-8: byte 0xff at offset 5"),
        ("syn.py", "syn.py:1:5: error: syntax error"),
    ):
        res = cli("check", name, "--isolated", cwd=tmp_path)
        assert res.returncode == 1, (name, res.stdout, res.stderr)  # not a usage error
        assert message in res.stdout, res.stdout
        assert res.stdout.rstrip().endswith("No findings in 0 checked files; 1 file not checked.")


def test_the_summary_does_not_count_unchecked_files_as_clean(tmp_path: Path) -> None:
    (tmp_path / "bin.py").write_bytes(b"\x00\x01")
    shutil.copy(CLEAN, tmp_path / "clean.py")
    shutil.copy(SEED, tmp_path / "seed.py")
    res = cli("check", "bin.py", "clean.py", "--isolated", cwd=tmp_path)
    assert res.stdout.rstrip().endswith("No findings in 1 checked file; 1 file not checked.")
    res = cli("check", ".", "--isolated", "--no-source", cwd=tmp_path)
    last = res.stdout.rstrip().splitlines()[-1]
    assert last.startswith("Found ") and last.endswith(
        "in 1 of 2 checked files; 1 file not checked."
    )
    md = cli("check", ".", "--isolated", "-f", "markdown", cwd=tmp_path)
    assert "in 1 of 2 checked files; 1 file not checked" in md.stdout


GPU_OR_CPU = """\
import argparse
import time
import torch
from diffusers import DiffusionPipeline

parser = argparse.ArgumentParser()
parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
args = parser.parse_args()
pipe = DiffusionPipeline.from_pretrained("sd").to(args.device)
prompts = ["a cat", "a dog"]
for _ in range(3):
    pipe(prompts)
torch.cuda.synchronize() if args.device == "cuda" else None
t0 = time.perf_counter()
images = pipe(prompts, output_type="latent").images
elapsed = time.perf_counter() - t0
"""


def test_the_sync_fix_is_guarded_in_a_script_that_may_run_on_the_cpu(tmp_path: Path) -> None:
    script = tmp_path / "bench.py"
    script.write_text(GPU_OR_CPU)
    res = cli("fix", "bench.py", "--isolated", "--select", "BA101", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    fixed = script.read_text()
    assert "if torch.cuda.is_available():\n    torch.cuda.synchronize()\nelapsed =" in fixed
    compile(fixed, "bench.py", "exec")
    cuda_only = GPU_OR_CPU.replace(', choices=["cuda", "cpu"]', "").replace(
        'torch.cuda.synchronize() if args.device == "cuda" else None', "torch.cuda.synchronize()"
    )
    script.write_text(cuda_only)
    cli("fix", "bench.py", "--isolated", "--select", "BA101", cwd=tmp_path)
    assert "\ntorch.cuda.synchronize()\nelapsed =" in script.read_text()


def test_markdown_says_how_each_fix_is_applied() -> None:
    from auditor.reporters.markdown import fix_sentence

    assert "`benchaudit fix`" in fix_sentence("safe", notebook=False)
    assert fix_sentence("unsafe", notebook=False).startswith("An unsafe automatic fix")
    assert "--unsafe-fixes" in fix_sentence("unsafe", notebook=False)
    assert "does not rewrite notebooks" in fix_sentence("unsafe", notebook=True)


def test_arms_evidence_names_the_arms_and_the_settings_that_differ() -> None:
    from auditor.evidence import ArmsEvidence

    path = FIXTURES / "rules" / "mismatched-arms" / "bad_dtype.py"
    report = api.check([path], isolated=True)
    (finding,) = [f for f in report.findings if f.code == "BA207"]
    assert isinstance(finding.evidence, ArmsEvidence)
    assert len(finding.evidence.arms) == 2
    assert [d[0] for d in finding.evidence.differences] == ["dtype"]
    data = finding.to_dict()["evidence"]
    assert data["kind"] == "arms" and data["differences"][0][0] == "dtype"


def test_mutually_recursive_timing_functions_are_checked_not_crashed(tmp_path: Path) -> None:
    """BA302 follows a timed function's callers; a cycle of callers must end, not recurse."""
    (tmp_path / "bench.py").write_text(
        "import time\nimport torch\nfrom diffusers import DiffusionPipeline\n\n"
        'pipe = DiffusionPipeline.from_pretrained("sd").to("cuda")\n\n\n'
        "def ping(n):\n    t0 = time.perf_counter()\n    pipe(['a cat'])\n"
        "    torch.cuda.synchronize()\n    print(time.perf_counter() - t0)\n"
        "    if n:\n        pong(n - 1)\n\n\n"
        "def pong(n):\n    ping(n)\n\n\nping(3)\n"
    )
    report = api.check([tmp_path / "bench.py"], isolated=True)
    assert report.errors == []
    assert "BA302" in {f.code for f in report.findings}


def test_folders_without_configuration_share_one_group(tmp_path: Path) -> None:
    """Files from many folders with no configuration are one group: one rule selection, one
    pool of worker processes (not a serial run per folder)."""
    paths = []
    for name in ("a", "b", "c/d"):
        folder = tmp_path / name
        folder.mkdir(parents=True)
        (folder / "bench.py").write_text("import time\nt0 = time.perf_counter()\n")
        paths.append(folder / "bench.py")
    configured = tmp_path / "e"
    configured.mkdir()
    (configured / "pyproject.toml").write_text('[tool.benchaudit]\nignore = ["BA102"]\n')
    (configured / "bench.py").write_text("import time\n")
    run = api.prepare(api.RunRequest(paths=(*paths, configured / "bench.py")))
    sizes = sorted(len(group.files) for group in run.groups)
    assert sizes == [1, 3]
