#!/usr/bin/env bash
# CI's second build tree: everything built with AddressSanitizer + UndefinedBehaviorSanitizer (-O1,
# -DMTF_SANITIZE=ON) in build-asan/, then the whole test suite, the simulator's and the command line's
# entries included (the `mtf` binary is sanitized too). A sanitizer report fails the test that caused it.
# Usage: scripts/sanitize.sh [build-dir]   (after scripts/setup.sh has installed the packages)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build-asan}"
start=$SECONDS
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMTF_SANITIZE=ON -DMTF_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"
built=$SECONDS
cd "$build"
export OMP_NUM_THREADS=1
# halt_on_error / abort: the first report fails the test; detect_leaks: a leak is a report too.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Excluded under ASan only, each too slow for CI's budget (they pass in the main build's suite):
excluded=(
  "${MTF_SANITIZE_EXCLUDE[@]:-}"
)
pattern=$(IFS='|'; echo "${excluded[*]}")
ctest --output-on-failure -j "$(nproc)" ${pattern:+-E "$pattern"}
echo "[sanitize] build $((built - start)) s, tests $((SECONDS - built)) s"
