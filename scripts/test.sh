#!/usr/bin/env bash
# Sets up, builds and runs every test: GoogleTest through ctest, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "==> cmake build (tests and benchmarks)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSWL_BUILD_TESTS=ON -DSWL_BUILD_BENCH=ON
cmake --build build -j "$(nproc)"

echo "==> ctest"
ctest --test-dir build --output-on-failure -j "$(nproc)"

echo "==> pytest"
.venv/bin/python -m pytest -q tests/python
