#!/usr/bin/env bash
# Sets up, builds and runs every test: GoogleTest through ctest, then pytest,
# then GoogleTest again under ASan and UBSan, then each fuzzer for 20 s.
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

echo "==> ctest under AddressSanitizer and UndefinedBehaviorSanitizer (build-asan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWL_SANITIZE=ON -DSWL_BUILD_TESTS=ON -DSWL_BUILD_BENCH=OFF
cmake --build build-asan -j "$(nproc)"
LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp" UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)"

echo "==> fuzzers: the regression inputs, then 20 s each"
SWL_JOBS="$(nproc)" scripts/fuzz.sh 20
