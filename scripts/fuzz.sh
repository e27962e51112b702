#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, with ASan and UBSan) into build-fuzz,
# replays every input committed under fuzz/regressions/<fuzzer>/, then runs
# each fuzzer for SECONDS_PER_FUZZER seconds (default 60) in one process,
# from fuzz/corpus/<fuzzer>/, and prints the runs executed and crashes found.
# Exits non-zero if any regression input or fuzzing run crashes.
# Usage: scripts/fuzz.sh [SECONDS_PER_FUZZER]
# New inputs go to build-fuzz/corpus/<fuzzer>/, crashes to build-fuzz/artifacts/<fuzzer>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "scripts/fuzz.sh: SECONDS_PER_FUZZER must be a whole number, got '$seconds'" >&2
  exit 2
fi
fuzzers=(fasta matrix differential blastdb_pin blastdb_phr blastdb_pal)
build=build-fuzz

echo "==> cmake build of the fuzzers (clang, ASan+UBSan, libFuzzer)"
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWL_FUZZ=ON \
  -DSWL_BUILD_TESTS=OFF -DSWL_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "${SWL_JOBS:-2}"

# libomp keeps its thread pool to the end of the process; that is not a leak
# of ours (libgomp's, the same thing under g++, is suppressed by name too).
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# libomp's idle threads spin for 200 ms after each parallel region by default,
# taking a core from whatever else runs; fuzzing runs thousands of tiny regions.
export KMP_BLOCKTIME="${KMP_BLOCKTIME:-0}"

failed=0
for fuzzer in "${fuzzers[@]}"; do
  binary="$build/fuzz/fuzz_$fuzzer"
  regressions=(fuzz/regressions/"$fuzzer"/*)
  regressions=("${regressions[@]/*\/README.md/}")
  inputs=()
  for input in "${regressions[@]}"; do [[ -f "$input" ]] && inputs+=("$input"); done
  if ((${#inputs[@]})); then
    if "$binary" "${inputs[@]}" >"$build/replay-$fuzzer.log" 2>&1; then
      echo "fuzz_$fuzzer: replayed ${#inputs[@]} regression inputs: ok"
    else
      echo "fuzz_$fuzzer: a regression input crashes again (log: $build/replay-$fuzzer.log):"
      grep -E "^Running: |==== swladder fuzz|^[^ #].*(broken|ERROR: |runtime error)" -A 3 "$build/replay-$fuzzer.log" | head -n 30 || true
      failed=1
    fi
  else
    echo "fuzz_$fuzzer: no regression inputs"
  fi

  ((seconds > 0)) || continue
  corpus="$build/corpus/$fuzzer"
  artifacts="$build/artifacts/$fuzzer"
  mkdir -p "$corpus" "$artifacts"
  dictionary=()
  [[ -f "fuzz/$fuzzer.dict" ]] && dictionary=(-dict="fuzz/$fuzzer.dict")
  log="$build/fuzz-$fuzzer.log"
  status=0
  "$binary" "$corpus" "fuzz/corpus/$fuzzer" "${dictionary[@]}" -max_total_time="$seconds" -timeout=60 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  crashes=$(find "$artifacts" -type f | wc -l)
  echo "fuzz_$fuzzer: ${seconds}s, runs executed: ${runs:-unknown}, crashes: $crashes (exit $status; log: $log)"
  if ((status != 0 || crashes > 0)); then
    grep -A 20 -E "==== swladder fuzz|ERROR: |runtime error" "$log" | head -n 40 || true
    find "$artifacts" -type f -printf '  crash input: %p\n'
    failed=1
  fi
done
exit "$failed"
