"""Hostile input: whatever is on disk, `benchaudit check` reports it and carries on.

Every file yields findings or a reported error (`FileResult.error`), never a traceback, a hang
or a crash of the interpreter; directory walking never loops; text output never lets a file
name or a string literal drive the terminal. Deep-nesting cases run in a subprocess so that a
regression (a native stack overflow) fails the test instead of killing the test run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_expectations import FIXTURES, ROOT

from auditor import parallel, resources
from auditor.core import FileResult
from auditor.discovery import discover
from auditor.limits import MAX_FILE_BYTES
from auditor.options import CheckOptions
from auditor.parallel import check_many
from auditor.registry import select_codes

OPTS = CheckOptions(select_codes(select=["ALL"]))  # BA103 is off by default
FLAWED = """\
import time
import torch

def run(pipe, prompts):
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for p in prompts:
        pipe(p)
    dt = time.perf_counter() - t0
    return dt
"""


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",
        cwd=cwd or ROOT,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=300,
    )


def check_one_path(path: Path) -> FileResult:
    report = check_many(list(discover([path])), OPTS)
    assert len(report.files) == 1
    return report.files[0]


def codes(result: FileResult) -> set[str]:
    return {f.code for f in result.findings}


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --- encodings and layout ---------------------------------------------------------------------


def test_syntax_error_is_located(tmp_path: Path) -> None:
    result = check_one_path(write(tmp_path / "bad.py", "x = 1\ndef f(:\n    pass\n"))
    assert result.error is not None and result.error.kind == "parse-error"
    assert result.error.line == 2
    res = cli("check", str(tmp_path / "bad.py"))
    assert res.returncode == 1 and "bad.py:2:" in res.stdout and "syntax error" in res.stdout


def test_not_utf8_without_a_cookie_is_a_content_error(tmp_path: Path) -> None:
    result = check_one_path(write(tmp_path / "latin.py", "name = 'café'\n".encode("latin-1")))
    assert result.error is not None and result.error.kind == "parse-error"
    assert (
        result.error.message
        == "not valid utf-8: byte 0xe9 at offset 11 (invalid continuation byte)"
    )


def test_latin1_with_a_coding_cookie_is_decoded(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\nlabel = 'café'\n" + FLAWED
    result = check_one_path(write(tmp_path / "latin.py", source.encode("latin-1")))
    assert result.error is None
    assert "BA101" in codes(result) or "BA201" in codes(result)
    assert all("\ufffd" not in f.source_line for f in result.findings)


def test_bom_crlf_and_tabs_give_the_same_findings_as_plain_lf(tmp_path: Path) -> None:
    plain = check_one_path(write(tmp_path / "plain.py", FLAWED))
    variants = {
        "bom.py": b"\xef\xbb\xbf" + FLAWED.encode(),
        "crlf.py": FLAWED.replace("\n", "\r\n").encode(),
        "tabs.py": FLAWED.replace("    ", "\t").encode(),
        "bom_crlf.py": b"\xef\xbb\xbf" + FLAWED.replace("\n", "\r\n").encode(),
    }
    expected = {(f.code, f.span.line) for f in plain.findings}
    assert expected
    for name, data in variants.items():
        result = check_one_path(write(tmp_path / name, data))
        assert result.error is None, (name, result.error)
        assert {(f.code, f.span.line) for f in result.findings} == expected, name
        assert all("\r" not in f.source_line for f in result.findings), name
    res = cli("check", str(tmp_path / "tabs.py"), str(tmp_path / "bom_crlf.py"))
    assert res.returncode == 1 and "Traceback" not in res.stderr


def test_empty_and_comment_only_files(tmp_path: Path) -> None:
    for name, data in {
        "empty.py": b"",
        "bom_only.py": b"\xef\xbb\xbf",
        "comments.py": b"# nothing here\n",
        "blank.py": b"\n\n\n",
        "no_newline.py": b"x = 1",
    }.items():
        result = check_one_path(write(tmp_path / name, data))
        assert result.error is None and not result.findings, name


def test_binary_file_is_a_content_error(tmp_path: Path) -> None:
    data = bytes(range(256)) * 64
    result = check_one_path(write(tmp_path / "blob.py", data))
    assert result.error is not None and result.error.kind == "parse-error"
    res = cli("check", str(tmp_path / "blob.py"))
    assert res.returncode == 1  # the file's content, like a syntax error; not a usage error
    assert (
        "blob.py: error: not Python source: binary content (a NUL byte at offset 0)" in res.stdout
    )


def test_a_10_mb_file_is_refused_quickly(tmp_path: Path) -> None:
    line = "x = [1, 2, 3]  # padding padding padding padding padding\n"
    big = write(tmp_path / "big.py", line * (10_000_000 // len(line) + 1))
    assert big.stat().st_size > 10_000_000 > MAX_FILE_BYTES
    result = check_one_path(big)
    assert result.error is not None and "MB limit" in result.error.message
    res = cli("check", str(big), "--no-cache")
    assert res.returncode == 1 and "not checked" in res.stdout


# --- deep nesting (in a subprocess: a regression would be a native crash) ---------------------

DEEP = {
    "parens": "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
    "calls_300": "x = " + "f(" * 300 + "1" + ")" * 300 + "\n",
    "attribute_chain": "x = a" + ".b" * 20000 + "\n",
    "binop_chain": "x = 1" + " + 1" * 50000 + "\n",
    "unary_chain": "x = " + "-" * 5000 + "1\n",
    "lambda_chain": "x = " + "lambda: " * 2000 + "1\n",
    "ifexp_chain": "x = " + "1 if a else " * 2000 + "1\n",
    "brackets_after_new_syntax": "type X = int\nx = " + "[" * 3000 + "]" * 3000 + "\n",
    "elifs": "if a:\n    pass\n" + "elif a:\n    pass\n" * 3000,
}
CALLS_199 = "f(" * 199 + "x" + ")" * 199
DEFS_98 = "".join("    " * i + f"def f{i}():\n" for i in range(98))
ANALYSED = {
    "calls_199": f"import time\nt0 = time.perf_counter()\ny = {CALLS_199}\n",
    "lambda_900": "x = " + "lambda: " * 900 + "1\n",
    "nested_defs": DEFS_98 + "    " * 98 + "pass\n",
}


def test_deep_nesting_is_reported_not_crashed(tmp_path: Path) -> None:
    for name, source in {**DEEP, **ANALYSED}.items():
        write(tmp_path / f"{name}.py", source)
    res = cli("check", str(tmp_path), "--format", "json", "--no-cache", "--jobs", "1")
    assert res.returncode in (0, 1), res.stderr[-2000:]
    payload = json.loads(res.stdout)
    errors = {Path(e["path"]).stem: e for e in payload["errors"]}
    for name in DEEP:
        assert name in errors, name
        assert errors[name]["kind"] == "parse-error"
        assert "nested" in errors[name]["message"] or "syntax error" in errors[name]["message"]
    for name in ANALYSED:  # deep but within CPython's limits: analysed, not refused
        assert name not in errors, errors.get(name)
    assert payload["summary"]["files"] == len(DEEP) + len(ANALYSED)


def test_deep_nesting_in_worker_processes(tmp_path: Path) -> None:
    for name, source in DEEP.items():
        write(tmp_path / f"{name}.py", source)
    for i in range(6):
        write(tmp_path / f"plain{i}.py", FLAWED * 20)
    res = cli("check", str(tmp_path), "--format", "json", "--no-cache", "--jobs", "2")
    assert res.returncode == 1, res.stderr[-2000:]
    payload = json.loads(res.stdout)
    assert payload["summary"]["files"] == len(DEEP) + 6
    assert len(payload["errors"]) == len(DEEP)


# --- the file system ------------------------------------------------------------------------


def test_symlink_loops_do_not_trap_the_walk(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "sub").mkdir(parents=True)
    write(root / "sub" / "bench.py", FLAWED)
    (root / "sub" / "up").symlink_to(root, target_is_directory=True)  # a directory loop
    (root / "self").symlink_to(root / "self")  # a link to itself
    (root / "a.py").symlink_to(root / "b.py")  # two links to each other
    (root / "b.py").symlink_to(root / "a.py")
    files = [d for _, d in discover([root])]
    assert len(files) == len(set(files)) == 3  # sub/bench.py and the two looping links
    report = check_many(list(discover([root])), OPTS)
    by_name = {Path(r.path).name: r for r in report.files}
    assert by_name["bench.py"].findings
    for name in ("a.py", "b.py"):
        assert by_name[name].error is not None and by_name[name].error.kind == "read-error"
    res = cli("check", str(root))
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_a_dangling_symlink_is_a_read_error(tmp_path: Path) -> None:
    (tmp_path / "gone.py").symlink_to(tmp_path / "missing.py")
    result = check_one_path(tmp_path / "gone.py")
    assert result.error is not None and result.error.kind == "read-error"
    assert "No such file" in result.error.message
    res = cli("check", str(tmp_path))
    assert res.returncode == 2 and "gone.py: error: cannot read" in res.stdout


def test_unreadable_file_is_a_read_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root reads a mode-0 file anyway, so the denial is simulated at `open`."""
    path = write(tmp_path / "secret.py", FLAWED)
    real_open = open

    def deny(file: object, *args: object, **kwargs: object) -> object:
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(parallel, "open", deny, raising=False)
    result = check_one_path(path)
    assert result.error is not None and result.error.kind == "read-error"
    assert "Permission denied" in result.error.message


def test_unreadable_directory_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    write(locked / "inside.py", FLAWED)
    write(tmp_path / "open.py", FLAWED)
    real_scandir, real_listdir = os.scandir, os.listdir

    def deny(fn):  # type: ignore[no-untyped-def]
        def wrapper(path: object = ".") -> object:
            if str(path) == str(locked):
                raise PermissionError(13, "Permission denied", str(path))
            return fn(path)

        return wrapper

    monkeypatch.setattr(os, "scandir", deny(real_scandir))
    monkeypatch.setattr(os, "listdir", deny(real_listdir))
    report = check_many(list(discover([tmp_path])), OPTS)
    by_name = {Path(r.path).name: r for r in report.files}
    assert by_name["open.py"].findings
    assert by_name["locked"].error is not None
    assert "Permission denied" in by_name["locked"].error.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads mode-0 files; simulated above")
def test_mode_0_file_for_a_normal_user(tmp_path: Path) -> None:
    path = write(tmp_path / "secret.py", FLAWED)
    path.chmod(0)
    result = check_one_path(path)
    assert result.error is not None and result.error.kind == "read-error"


def test_fifo_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    result = check_one_path(fifo)
    assert result.error is not None and "not a regular file" in result.error.message


def test_spaces_and_non_ascii_names(tmp_path: Path) -> None:
    folder = tmp_path / "my benchmarks é"
    folder.mkdir()
    for name in ("bench one.py", "mesure_é.py", "测试.py"):
        write(folder / name, FLAWED)
    res = cli("check", str(folder), "--format", "json")
    assert res.returncode == 1, res.stderr
    paths = {Path(f["path"]).name for f in json.loads(res.stdout)["findings"]}
    assert paths == {"bench one.py", "mesure_é.py", "测试.py"}
    text = cli("check", str(folder))
    assert "bench one.py:" in text.stdout and "测试.py:" in text.stdout


def test_undecodable_file_name(tmp_path: Path) -> None:
    name = os.fsdecode(b"bad\xff.py")
    write(tmp_path / name, FLAWED)
    text = cli("check", str(tmp_path))
    assert text.returncode == 1 and "Traceback" not in text.stderr
    assert "bad\\udcff.py" in text.stdout
    res = cli("check", str(tmp_path), "--format", "json")
    assert res.returncode == 1 and json.loads(res.stdout)["summary"]["findings"] >= 1


# --- injection ---------------------------------------------------------------------------------


def test_file_names_and_literals_cannot_drive_the_terminal(tmp_path: Path) -> None:
    evil_name = "evil\n\x1b[31mfake.py:1:1: BA999 forged\x1b[0m\x07\u202e.py"
    source = FLAWED.replace("pipe(p)", 'pipe(p); s = "\x1b[2J"')
    write(tmp_path / evil_name, source)
    res = cli("check", str(tmp_path), "--jobs", "1")
    assert res.returncode == 1, res.stderr
    assert "\x1b" not in res.stdout and "\x07" not in res.stdout and "\u202e" not in res.stdout
    assert not any(line.startswith("fake.py") for line in res.stdout.splitlines())
    assert "\\x1b[31mfake.py" in res.stdout and "\\x0a" in res.stdout
    assert "\\x1b[2J" in res.stdout  # the literal on the source line, escaped
    payload = json.loads(cli("check", str(tmp_path), "--format", "json").stdout)
    assert {Path(f["path"]).name for f in payload["findings"]} == {evil_name}


# --- the runtime side and the tree ------------------------------------------------------------


def test_no_shell_invocations_in_the_source_tree() -> None:
    """No shell: user-controlled strings (paths, model names) never reach one."""
    pattern = re.compile(r"shell\s*=\s*True|os\.system\(|os\.popen\(|commands\.getoutput")
    offenders = []
    for folder in ("auditor", "rules", "benchmarks", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    assert offenders == []


def test_fixture_tree_through_the_cli_never_errors_internally() -> None:
    res = cli("check", str(FIXTURES), "--format", "json", "--select", "ALL", "--no-cache")
    payload = json.loads(res.stdout)
    assert [e for e in payload["errors"] if e["kind"] == "internal-error"] == []


# --- safe writes (what `--fix` and `--output` rely on) ----------------------------------------


def test_write_atomic_keeps_the_mode(tmp_path: Path) -> None:
    path = write(tmp_path / "script.py", "old\n")
    path.chmod(0o751)
    resources.write_atomic(path, "new\n")
    assert path.read_text() == "new\n"
    assert path.stat().st_mode & 0o7777 == 0o751
    assert sorted(p.name for p in tmp_path.iterdir()) == ["script.py"]


def test_write_atomic_keeps_the_original_when_the_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "script.py", "original\n")

    class Boom(OSError):
        pass

    real_fdopen = os.fdopen

    def failing_fdopen(fd: int, *args: object, **kwargs: object) -> object:
        handle = real_fdopen(fd, *args, **kwargs)  # type: ignore[call-overload]

        class Half:
            def __enter__(self) -> Half:
                return self

            def __exit__(self, *exc: object) -> None:
                handle.close()

            def write(self, text: str) -> int:
                handle.write(text[: len(text) // 2])
                handle.flush()
                raise Boom("disk full")

        return Half()

    monkeypatch.setattr(resources.os, "fdopen", failing_fdopen)
    with pytest.raises(Boom):
        resources.write_atomic(path, "replacement text\n")
    assert path.read_text() == "original\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["script.py"]


def test_write_atomic_keeps_the_original_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "script.py", "original\n")

    def no_rename(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(resources.os, "replace", no_rename)
    with pytest.raises(PermissionError):
        resources.write_atomic(path, "new\n")
    assert path.read_text() == "original\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["script.py"]


def test_write_atomic_creates_a_new_file(tmp_path: Path) -> None:
    resources.write_atomic(tmp_path / "report.json", "{}\n")
    assert (tmp_path / "report.json").read_text() == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


# --- `benchaudit fix` never corrupts a file ---------------------------------------------------

FIXABLE = (
    "import time\n"
    "import torch\n\n"
    "model = torch.nn.Linear(8, 8).cuda()\n"
    'x = torch.randn(4, 8, device="cuda")\n'
    "for _ in range(3):\n    model(x)\ntorch.cuda.synchronize()\n"
    "t0 = time.time()  # start\n"
    "model(x)\n"
    "elapsed = time.time() - t0\n"
)


def fix_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return cli("fix", *args, "--isolated", "--extend-select", "BA103", cwd=cwd)


def test_fix_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = write(tmp_path / "real.py", FIXABLE)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    res = fix_cli("link.py", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert link.is_symlink() and link.resolve() == real
    assert "time.perf_counter()" in real.read_text()


def test_fix_keeps_crlf_bom_and_mode_and_leaves_other_encodings(tmp_path: Path) -> None:
    crlf = write(tmp_path / "crlf.py", b"\xef\xbb\xbf" + FIXABLE.replace("\n", "\r\n").encode())
    crlf.chmod(0o755)
    latin = write(
        tmp_path / "latin.py", ("# -*- coding: latin-1 -*-\n# café\n" + FIXABLE).encode("latin-1")
    )
    before_latin = latin.read_bytes()
    fix_cli(".", cwd=tmp_path)
    data = crlf.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"time.perf_counter()" in data
    assert data.count(b"\r\n") == data.count(b"\n")  # every line still CRLF
    assert crlf.stat().st_mode & 0o777 == 0o755
    assert latin.read_bytes() == before_latin  # not UTF-8: reported, never rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crlf.py", "latin.py"]


def test_fix_leaves_notebooks_and_unparsable_files_alone(tmp_path: Path) -> None:
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [{"cell_type": "code", "metadata": {}, "source": FIXABLE, "outputs": []}],
    }
    nb = write(tmp_path / "bench.ipynb", json.dumps(notebook))
    broken = write(tmp_path / "broken.py", FIXABLE + "def f(:\n")
    deep = write(tmp_path / "deep.py", FIXABLE + "y = " + "(" * 5000 + ")" * 5000 + "\n")
    before = {p: p.read_bytes() for p in (nb, broken, deep)}
    res = fix_cli(".", cwd=tmp_path)
    assert "Traceback" not in res.stderr
    assert {p: p.read_bytes() for p in before} == before


def test_fix_keeps_the_original_when_the_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditor.fix import fix_file

    script = write(tmp_path / "bench.py", FIXABLE)

    def no_rename(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(resources.os, "replace", no_rename)
    try:
        result = fix_file(script, "bench.py", OPTS)
    except OSError:
        pass  # reported by the caller; what matters is the file
    else:
        assert result.error is not None or not result.changed
    assert script.read_text() == FIXABLE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench.py"]
