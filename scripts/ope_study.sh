#!/usr/bin/env bash
# Issue 17's estimator study in one command: the harness (build/examples/ope_harness, defaults of
# examples/configs/ope_harness.json: 18 policies, every estimator fit with 3 seeds on the test split and
# on the whole log) on the default simulator and on the KuaiRand population, then the paper estimator's
# alpha_c sweep on the default simulator. Writes OUT/{parametric,kuairand,alpha_sweep}/ope_harness.{json,md}
# and OUT/*.log. Usage: scripts/ope_study.sh [--seed S] OUT   (after scripts/setup.sh; 2 runs at a time,
# one thread each)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seed=1
while (($#)); do
  case "$1" in
    --seed) seed="$2"; shift 2 ;;
    -*) echo "ope_study.sh: unknown option $1" >&2; exit 2 ;;
    *) out="$1"; shift ;;
  esac
done
[[ -n "${out:-}" ]] || { echo "usage: scripts/ope_study.sh [--seed S] OUT" >&2; exit 2; }
harness="$here/build/examples/ope_harness"
[[ -x "$harness" ]] || { echo "ope_study.sh: $harness is missing (run scripts/setup.sh first)" >&2; exit 1; }
mkdir -p "$out"
export OMP_NUM_THREADS=1
"$harness" --seed "$seed" --out "$out/parametric" > "$out/parametric.log" 2>&1 &
p1=$!
"$harness" --seed "$seed" --population kuairand --kuairand-dir "$here/data/kuairand" --out "$out/kuairand" \
  > "$out/kuairand.log" 2>&1 &
p2=$!
wait "$p1"
"$harness" --seed "$seed" --config "$here/examples/configs/ope_harness_alpha_sweep.json" --data test \
  --out "$out/alpha_sweep" > "$out/alpha_sweep.log" 2>&1
wait "$p2"
for run in parametric kuairand alpha_sweep; do
  echo "== $run"; cat "$out/$run/ope_harness.md"
done
