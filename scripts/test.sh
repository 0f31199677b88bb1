#!/usr/bin/env bash
# The project's one test command (the README's, and what .ci/run calls): a fresh virtual
# environment with everything installed, then lint, types and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
# The CPU build of torch (an unpinned `torch` would pull a multi-GB CUDA build).
python -m pip install -q torch==2.13.0
python -m pip install -q -e ".[runtime,test]"
# A headless browser for the HTML report test (skipped without one); never fails the run.
command -v chromium >/dev/null 2>&1 || (apt-get install -y -q chromium >/dev/null 2>&1 || true)
ruff check .
ruff format --check .
mypy
python -m pytest -q
