#!/usr/bin/env bash
# Quick start 2: install what is missing, build, run the whole test suite.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/setup.sh" "$here/build"
cd "$here/build"
# ctest runs one test per core; each test process gets one OpenMP thread so they do not oversubscribe
# the cores (tests that exercise threading set their own count with mtf::set_num_threads).
export OMP_NUM_THREADS=1
ctest --output-on-failure -j "$(nproc)"
