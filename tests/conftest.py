from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite the golden reports in tests/golden/ instead of comparing with them.",
    )


@pytest.fixture(autouse=True, scope="session")
def _result_cache_outside_the_repository(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`benchaudit check` run by the tests keeps its result cache in a temporary folder."""
    os.environ.setdefault("BENCHAUDIT_CACHE_DIR", str(tmp_path_factory.mktemp("result_cache")))
