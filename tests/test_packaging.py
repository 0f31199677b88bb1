"""The wheel is self-contained: every package under auditor/, rules/ and schemas/ ships inside
`auditor`, nothing installs as a global `rules`, `schemas` or `fixtures` module, and the installed
wheel (not the source tree) knows every rule.

The wheel is built once, offline (`--no-build-isolation --no-deps`: the test environment has
setuptools and wheel), from a clean copy of the tree, so no `build/` left in a checkout can leak
stale files into it and the checkout is not written to.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixture_expectations import ROOT

from auditor.registry import all_rules

#: What is not source: the build must not need it, and copying it would be slow.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".benchaudit_cache"
)
#: installed folder in the wheel -> source folder
SHIPPED = {"auditor": "auditor", "auditor/rules": "rules", "auditor/schemas": "schemas"}


def _run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("source") / "benchaudit"
    shutil.copytree(ROOT, src, ignore=NOT_SOURCE)
    out = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    res = _run([*pip, "-w", str(out), str(src)], cwd=out)
    assert res.returncode == 0, res.stderr
    (built,) = out.glob("benchaudit-*.whl")
    return built


def _source_files() -> set[str]:
    """What the wheel must hold: every .py and .json file of auditor/, rules/ and schemas/ under
    its installed name, and the `py.typed` marker."""
    expected = {"auditor/py.typed"}
    for installed, folder in SHIPPED.items():
        for path in (ROOT / folder).rglob("*"):
            rel = path.relative_to(ROOT / folder)
            nested = installed == "auditor" and rel.parts[0] in ("rules", "schemas")
            if path.suffix in (".py", ".json") and "__pycache__" not in rel.parts and not nested:
                expected.add(f"{installed}/{rel.as_posix()}")
    return expected


def test_wheel_holds_every_package_and_nothing_global(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    tops = {n.split("/")[0] for n in names}
    assert tops == {"auditor", wheel.name.split("-py")[0] + ".dist-info"}, tops
    shipped = {n for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert shipped == _source_files()
    for must in (
        "auditor/rules/meta/unused_suppression.py",  # BA001: once missing from a hand-kept list
        "auditor/rules/workload/per_prompt_loop.py",
        "auditor/schemas/report.schema.json",
        "auditor/schemas/config.schema.json",
        "auditor/verify/worker.py",
    ):
        assert must in shipped


def _site_dirs() -> list[str]:
    """This interpreter's site directories, where the dependencies (libcst, typer, jsonschema)
    are installed. Listed in a .pth file they are plain path entries: the .pth files inside them,
    such as an editable install's hook for the source tree, are not run."""
    dirs = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    dirs |= {p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")}
    return sorted(d for d in dirs if Path(d).is_dir())


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh virtual environment with the wheel installed (not editable); yields its bin/."""
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    res = _run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], cwd=env_dir.parent)
    assert res.returncode == 0, res.stderr
    python = env_dir / "bin" / "python"
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        cwd=env_dir,
    ).stdout.strip()
    Path(purelib, "_outer_site.pth").write_text("\n".join(_site_dirs()) + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q"]
    res = _run([*pip, "--no-index", str(wheel)], cwd=env_dir)
    assert res.returncode == 0, res.stderr
    yield env_dir / "bin"


def _in_env(bindir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["NO_COLOR"] = "1"
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    return _run([str(bindir / args[0]), *args[1:]], cwd=cwd, env=env)


def test_the_installed_wheel_is_what_runs(installed: Path, tmp_path: Path) -> None:
    code = "import auditor, auditor.rules; print(auditor.__file__); print(auditor.rules.__file__)"
    res = _in_env(installed, "python", "-c", code, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    site = Path(installed.parent)
    for line in res.stdout.splitlines():
        assert Path(line).resolve().is_relative_to(site.resolve()), line
        assert not Path(line).resolve().is_relative_to(ROOT.resolve()), line


def test_the_installed_wheel_knows_every_rule(installed: Path, tmp_path: Path) -> None:
    here = _run([sys.executable, "-m", "auditor.cli", "rules", "--format", "json"], cwd=ROOT)
    assert here.returncode == 0, here.stderr
    res = _in_env(installed, "benchaudit", "rules", "--format", "json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == json.loads(here.stdout)
    codes = [r["code"] for r in json.loads(res.stdout)]
    assert codes == sorted(r.META.code for r in all_rules())
    assert "BA001" in codes
    for code in codes:
        doc = _in_env(installed, "benchaudit", "rule", code, cwd=tmp_path)
        assert doc.returncode == 0, (code, doc.stderr)
        assert f"({code})" in doc.stdout.splitlines()[0]


def test_the_installed_wheel_checks_a_script(installed: Path, tmp_path: Path) -> None:
    """The engine, rules and report schema all load from the wheel."""
    shutil.copy(ROOT / "fixtures" / "seed" / "test.py", tmp_path / "bench.py")
    res = _in_env(installed, "benchaudit", "check", "bench.py", "--format", "json", cwd=tmp_path)
    assert res.returncode == 1, res.stderr  # findings
    payload = json.loads(res.stdout)
    assert payload["summary"]["findings"] > 0
    assert {f["path"] for f in payload["findings"]} == {"bench.py"}
