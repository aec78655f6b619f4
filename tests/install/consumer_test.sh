#!/usr/bin/env bash
# tests/install/consumer_test.sh BUILD_DIR SOURCE_DIR CHECKPOINT WORK — installs the built library into
# WORK/prefix, builds tests/install/consumer against that prefix only (find_package(mtf CONFIG)), exports
# CHECKPOINT with the built `mtf export` and runs the consumer on the exported policy. Fails if any step does.
set -euo pipefail
build=$1 src=$2 ckpt=$3 work=$4
rm -rf "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
# Nothing of the source tree is visible to the consumer: it sees the prefix through CMAKE_PREFIX_PATH.
cmake -S "$src/tests/install/consumer" -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
# A portable package (MTF_NATIVE=OFF, the default) passes no instruction-set flag to its consumers: not
# in its exported targets, not on the consumer's compile lines.
if grep -q '^MTF_NATIVE:BOOL=OFF' "$build/CMakeCache.txt"; then
  if grep -rhoE -- '-m(arch|tune|avx|sse|fma|cpu)[^ ;"]*' "$work/prefix/lib/cmake/mtf" \
       $(find "$work/consumer/CMakeFiles" -name flags.make); then
    echo "FAIL: an instruction-set flag reaches the consumer of a portable package (above)" >&2
    exit 1
  fi
  echo "consumer compiled without instruction-set flags"
fi
test ! -e "$work/prefix/include/mtf/engine/tape.cpp"  # headers only
"$build/examples/mtf/mtf" export --checkpoint "$ckpt" --out "$work/policy" >/dev/null
"$work/consumer/decide_alpha" "$work/policy" 3
