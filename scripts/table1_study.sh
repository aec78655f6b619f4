#!/usr/bin/env bash
# Issue 12's evidence in one command: `mtf experiment table1` on each seed (--jobs runs at a time with
# --threads threads each; default 2 and 1), then OUT/table1.md: the table over the seeds beside the
# paper's, and the paper's claims checked seed by seed (scripts/table1_report.py). A finished seed
# (OUT/seed_S/table1.json present) is not rerun; an unfinished one starts again.
# Usage: scripts/table1_study.sh [--config FILE] [--seeds "1 2 3"] [--jobs J] [--threads T] OUT
# (after scripts/setup.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config=""
seeds="1 2 3"
jobs=2
threads=1
while (($#)); do
  case "$1" in
    --config) config="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    -*) echo "table1_study.sh: unknown option $1" >&2; exit 2 ;;
    *) out="$1"; shift ;;
  esac
done
[[ -n "${out:-}" ]] || { echo "usage: scripts/table1_study.sh [--config FILE] [--seeds \"1 2 3\"] [--jobs J] [--threads T] OUT" >&2; exit 2; }
mtf="$here/build/examples/mtf/mtf"
[[ -x "$mtf" ]] || { echo "table1_study.sh: $mtf is missing (run scripts/setup.sh first)" >&2; exit 1; }
mkdir -p "$out"
runs=()
for seed in $seeds; do
  dir="$out/seed_$seed"
  [[ -f "$dir/table1.json" ]] && continue
  rm -rf "$dir"
  runs+=("$mtf experiment table1 ${config:+--config $config} --seed $seed --out $dir --threads $threads > $dir.log 2>&1")
done
start=$SECONDS
if ((${#runs[@]})); then
  printf '%s\0' "${runs[@]}" | xargs -0 -P "$jobs" -I{} bash -c '{} || { echo "failed: {}" >&2; exit 255; }'
fi
echo "[table1_study] ${#runs[@]} runs in $((SECONDS - start)) s ($jobs at a time, $threads thread(s) each)"
python3 "$here/scripts/table1_report.py" "$out" $seeds
