#!/usr/bin/env bash
# fuzz/run.sh — builds the libFuzzer harnesses (clang, ASan + UBSan, -DMTF_FUZZ=ON in build-fuzz/) and
# runs each for SECONDS seconds on a working copy of its committed seed corpus (fuzz/corpus/<name>; new
# inputs stay in build-fuzz/corpus/, the committed seeds are never changed). Prints each harness's
# executions and any finding (a crash, a sanitizer report, a leak, a timeout), and exits 1 on a finding.
# Usage: fuzz/run.sh [SECONDS per harness, default 60] [harness ...]   (default: all four)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=${1:-60}
shift || true
harnesses=("$@")
((${#harnesses[@]})) || harnesses=(session_log config checkpoint cli)
build="${MTF_FUZZ_BUILD:-$here/build-fuzz}"
jobs=${MTF_FUZZ_JOBS:-1}
export OMP_NUM_THREADS=1  # the readers fork an OpenMP team per call: one thread is many times faster here

command -v clang++ >/dev/null || { echo "fuzz/run.sh: needs clang (apt-get install -y clang libclang-rt-14-dev libomp-dev)" >&2; exit 1; }
cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMTF_FUZZ=ON \
      -DMTF_BUILD_TESTS=OFF -DMTF_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target $(printf '%s_fuzz ' "${harnesses[@]}") >/dev/null

status=0 total=0
for h in "${harnesses[@]}"; do
  corpus="$build/corpus/$h" artifacts="$build/findings/$h/"
  mkdir -p "$corpus" "$artifacts"
  cp -n "$here/fuzz/corpus/$h/"* "$corpus/" 2>/dev/null || true
  log="$build/findings/$h.log"
  # -close_fd_mask=2: the CLI harness prints usage errors; libFuzzer's own reports still appear in the log.
  mask=0; [[ $h == cli ]] && mask=2
  set +e
  ASAN_OPTIONS=detect_leaks=1 "$build/fuzz/${h}_fuzz" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -timeout=10 -artifact_prefix="$artifacts" -print_final_stats=1 -close_fd_mask=$mask >"$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  runs=${runs:-0}
  total=$((total + runs))
  if ((rc != 0)); then
    status=1
    echo "$h: FINDING after $runs executions (exit $rc); see $log and $artifacts"
    grep -m3 -E "ERROR|runtime error|deadly signal|uncaught" "$log" || true
  else
    echo "$h: $runs executions in ${seconds} s, no finding; corpus $(ls "$corpus" | wc -l) inputs"
  fi
done
echo "total: $total executions"
exit $status
