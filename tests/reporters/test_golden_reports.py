"""Every report format, compared byte for byte with tests/golden/ (after normalising the tool
version and absolute paths). Regenerate with `pytest tests/reporters --update-golden` and review
the diff like code."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from typing import Any

import pytest
from reporter_helpers import (
    GOLDEN,
    check_payload,
    cli,
    injection_payload,
    validate,
    verify_payload,
)

from auditor.review import render_payload

EXTENSIONS = {
    "text": "txt",
    "json": "json",
    "sarif": "sarif",
    "markdown": "md",
    "github": "github.txt",
    "html": "html",
}
Golden = Callable[[str, str], None]


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    update = bool(request.config.getoption("--update-golden"))

    def compare(name: str, text: str) -> None:
        path = GOLDEN / name
        if update:
            path.write_bytes(text.encode("utf-8"))
            return
        assert path.is_file(), f"{path} is missing: run pytest with --update-golden"
        expected = path.read_bytes()
        if expected != text.encode("utf-8"):
            diff = difflib.unified_diff(
                expected.decode("utf-8").splitlines(),
                text.splitlines(),
                f"golden/{name}",
                "rendered",
                lineterm="",
            )
            pytest.fail(
                f"{name} differs from the golden file (run with --update-golden if intended):\n"
                + "\n".join(list(diff)[:80])
            )

    return compare


@pytest.fixture(scope="module")
def seed_check() -> dict[str, Any]:
    return check_payload()


@pytest.mark.parametrize("fmt", list(EXTENSIONS))
def test_check_report_of_the_seed_script(
    fmt: str, seed_check: dict[str, Any], golden: Golden
) -> None:
    validate(seed_check)
    golden(f"check.{EXTENSIONS[fmt]}", render_payload(seed_check, fmt))


@pytest.mark.parametrize("fmt", list(EXTENSIONS))
def test_verify_report_of_the_seed_script(fmt: str, golden: Golden) -> None:
    payload = verify_payload()
    validate(payload)
    golden(f"verify.{EXTENSIONS[fmt]}", render_payload(payload, fmt))


@pytest.mark.parametrize("fmt", ["markdown", "html", "github", "sarif"])
def test_crafted_report(fmt: str, golden: Golden) -> None:
    payload = injection_payload()
    validate(payload)
    golden(f"injection.{EXTENSIONS[fmt]}", render_payload(payload, fmt))


@pytest.mark.parametrize("fmt", ["sarif", "markdown", "github", "html"])
def test_check_command_renders_the_same_payload(fmt: str) -> None:
    """`check --format F` is `report --format F` of `check --format json`: one report model."""
    as_json = cli("check", "fixtures/seed/test.py", "--isolated", "--format", "json")
    direct = cli("check", "fixtures/seed/test.py", "--isolated", "--format", fmt)
    assert direct.returncode == 1, direct.stderr
    assert direct.stdout == render_payload(json.loads(as_json.stdout), fmt)
