#!/usr/bin/env bash
# ThreadSanitizer over the engine's threaded tests ([threads], [sharded_step], [gemm]) at 2 threads.
# Needs clang and LLVM's OpenMP runtime: GCC's libgomp is not instrumented, so TSan reports its own
# barriers as races; libomp with the Archer tool (OMP_TOOL_LIBRARIES=libarcher.so) tells TSan about
# OpenMP's synchronization, so what is left is the engine's. A second clang build tree (build-tsan/,
# -DMTF_TSAN=ON), engine tests only.
# Usage: scripts/tsan.sh [build-dir]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build-tsan}"
archer=$(ls /usr/lib/llvm-*/lib/libarcher.so 2>/dev/null | tail -1 || true)
if ! command -v clang++ >/dev/null || [[ -z $archer ]]; then
  echo "scripts/tsan.sh: needs clang and libomp's Archer (apt-get install -y clang libomp-dev)" >&2
  exit 1
fi
cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release -DMTF_TSAN=ON \
      -DMTF_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target engine_tests
export OMP_NUM_THREADS=2 OMP_TOOL_LIBRARIES="$archer"
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1"
# The allocation-counting cases replace malloc, which TSan owns: excluded (they run in the main suite).
"$build/tests/engine/engine_tests" "[threads],[sharded_step],[gemm]" "~[alloc]"
