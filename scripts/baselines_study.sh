#!/usr/bin/env bash
# Issue 16's evidence in one command: `mtf baselines` (BCQ, TD3, UWAC+TD3, CQL+SAC trained on the same
# mixed-exploration logs; their true values beside the behaviour's and the best global alpha's; Figures 5
# and 6) on each seed, --jobs runs at a time with --threads threads each; then OUT/study.md (one table per
# seed, and the paper's qualitative claims checked against the measurements) and OUT/fig5_seed_S.png,
# OUT/fig6_seed_S.png. A finished seed (values.json present) is not rerun.
# Usage: scripts/baselines_study.sh [--config FILE] [--seeds "1 2 3"] [--jobs J] [--threads T] OUT
# (after scripts/setup.sh; python3 writes the tables, gnuplot the figures).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config="$here/examples/configs/baselines.json"
seeds="1 2 3"
jobs=1
threads=2
while (($#)); do
  case "$1" in
    --config) config="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    -*) echo "baselines_study.sh: unknown option $1" >&2; exit 2 ;;
    *) out="$1"; shift ;;
  esac
done
[[ -n "${out:-}" ]] || { echo "usage: scripts/baselines_study.sh [--config FILE] [--seeds \"1 2 3\"] [--jobs J] [--threads T] OUT" >&2; exit 2; }
mtf="$here/build/examples/mtf/mtf"
[[ -x "$mtf" ]] || { echo "baselines_study.sh: $mtf is missing (run scripts/setup.sh first)" >&2; exit 1; }
mkdir -p "$out"
cp "$config" "$out/config.json"

runs=()
for seed in $seeds; do
  dir="$out/seed_$seed"
  [[ -f "$dir/values.json" ]] && continue
  runs+=("$mtf baselines --config $out/config.json --seed $seed --out $dir --threads $threads --quiet > $dir.log 2>&1")
done
start=$SECONDS
if ((${#runs[@]})); then
  printf '%s\0' "${runs[@]}" | xargs -0 -P "$jobs" -I{} bash -c '{} || { echo "failed: {}" >&2; exit 255; }'
fi
echo "[baselines_study] ${#runs[@]} runs in $((SECONDS - start)) s ($jobs at a time, $threads thread(s) each)"
for seed in $seeds; do
  for f in fig5_q fig6_actions; do
    [[ -f "$out/seed_$seed/$f.png" ]] && cp "$out/seed_$seed/$f.png" "$out/${f%%_*}_seed_$seed.png"
  done
done
python3 "$here/scripts/baselines_report.py" "$out" $seeds
