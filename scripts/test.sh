#!/usr/bin/env bash
# The project's one test command (the README's, and what .ci/run calls): a fresh virtual
# environment with everything installed, then lint, types and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
# torch is pinned so that every machine tests one version. Which build the pin resolves to is
# the index's choice: from PyPI on Linux x86-64 it is the CUDA build (several GB, with its CUDA
# libraries). TORCH_INDEX_URL takes it from another index instead, e.g. the CPU-only build:
#   TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu bash scripts/test.sh
if [ -n "${TORCH_INDEX_URL:-}" ]; then
  python -m pip install -q --index-url "$TORCH_INDEX_URL" torch==2.13.0
else
  python -m pip install -q torch==2.13.0
fi
python -m pip install -q -e ".[runtime,test]"
ruff check .
ruff format --check .
mypy
python -m pytest -q
