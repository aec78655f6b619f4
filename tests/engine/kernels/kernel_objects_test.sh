#!/usr/bin/env bash
# tests/engine/kernels/kernel_objects_test.sh OBJECT... — the per-instruction-set kernel objects define no
# weak (COMDAT) function. An inline function with external linkage instantiated in a file compiled with
# -mavx512f (a std:: template, an Eigen packet op, a member of a header's struct) is emitted there as a
# weak symbol, and the linker may keep that copy for every caller in the program — AVX-512 instructions
# in baseline code, a SIGILL on a CPU without them. Weak data carries no instructions and is allowed (e.g.
# the function-type typeinfo clang's -fsanitize=function emits, nm type V), and so are compiler-generated
# instrumentation symbols (__asan*, __sancov*, ...; leading "__").
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OBJECT..." >&2; exit 2; }
bad=0
for obj in "$@"; do
  [ -s "$obj" ] || { echo "FAIL: no object $obj" >&2; exit 1; }
  # nm: W/w a weak symbol not tagged as an object (a function); V/v and u are data.
  weak=$(nm --defined-only "$obj" | awk '$2 ~ /^[Ww]$/ && $3 !~ /^__/ {print $3}' | c++filt)
  if [ -n "$weak" ]; then
    echo "FAIL: $obj defines weak functions (inline code compiled with this file's -m flags):" >&2
    echo "$weak" | sed 's/^/  /' >&2
    bad=1
    continue
  fi
  strong=$(nm --defined-only --extern-only "$obj" | awk '$2 == "T" {print $3}' | c++filt | tr '\n' ' ')
  echo "$(basename "$obj"): no weak functions; exports: $strong"
done
exit $bad
