#!/usr/bin/env bash
# Installs what swladder needs on Debian 12 / Ubuntu 22.04+ and builds it:
# the system toolchain and libraries (apt-get), then the Python package into
# .venv (pip). Safe to run again: every step is idempotent.
# Usage: scripts/setup.sh [--peers]   (--peers adds valgrind for the ladder)
# The test oracles are always installed: ssearch36 (fasta3) and blastp and
# makeblastdb (ncbi-blast+), whose tests fail under CI=true without them; so
# does the dask extra (dask, distributed) for the tests of the Dask search.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config python3 python3-venv python3-dev
          libeigen3-dev libbenchmark-dev libgtest-dev
          fasta3 ncbi-blast+                 # ssearch36, blastp, makeblastdb: the oracles the tests compare with
          clang libomp-dev libclang-rt-dev)  # the fuzzers (scripts/fuzz.sh): clang, its OpenMP and sanitizer runtimes
if [[ "${1:-}" == "--peers" ]]; then
  packages+=(valgrind)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "==> apt-get install ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  # Ubuntu 22.04 has no libclang-rt-dev: its clang brings the runtimes along.
  if ! apt-cache show libclang-rt-dev >/dev/null 2>&1; then
    available=()
    for package in "${missing[@]}"; do [[ "$package" == libclang-rt-dev ]] || available+=("$package"); done
    missing=("${available[@]}")
  fi
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "==> python3 -m venv .venv"
  python3 -m venv .venv
fi
echo "==> pip install .[test,ladder,dask]"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q ".[test,ladder,dask]"
