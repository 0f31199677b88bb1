"""`benchaudit fix` leaves notebooks alone, and a file it cannot write costs only that file."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_notebooks import BENCH, cli, write_notebook

from auditor import fix
from auditor.options import CheckOptions
from auditor.registry import select_codes

FLAWED = (
    "import time\nimport torch\n\n"
    "model = torch.nn.Linear(8, 8).cuda()\n"
    "x = torch.randn(4, 8, device='cuda')\n"
    "for _ in range(3):\n    model(x)\ntorch.cuda.synchronize()\n"
    "t0 = time.perf_counter()\n"
    "y = model(x)\n"
    "elapsed = time.perf_counter() - t0\n"
)


def test_fix_on_a_folder_skips_notebooks_and_fixes_scripts(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "bench.ipynb", BENCH)
    before = nb.read_bytes()
    script = tmp_path / "bench.py"
    script.write_text(FLAWED)
    res = cli("fix", str(tmp_path))
    assert "syntax error" not in res.stdout + res.stderr, res.stdout + res.stderr
    assert nb.read_bytes() == before
    assert "torch.cuda.synchronize()\nelapsed" in script.read_text()


def test_a_failed_write_is_an_error_for_that_file_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "bench.py"
    script.write_text(FLAWED)

    def refuse(path: Path, text: str, **_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fix, "write_atomic", refuse)
    opts = CheckOptions(select_codes())
    result = fix.fix_file(script, "bench.py", opts)
    assert result.error is not None and "No space left on device" in result.error.message
    assert script.read_text() == FLAWED
