#!/usr/bin/env bash
# Issue 18's evidence in one command: `mtf loop --reference` for --days days with mixed, random-only
# (BatchRL-MTF-RE) and action-noise-only exploration on each seed, --jobs loops at a time with --threads
# threads each (default 2 and 1); then OUT/study.md (a table of every run against the best global alpha of its seed, and the days)
# and OUT/seed_S.png (the three explorations' true value per day beside that alpha, per seed).
# Usage: scripts/loop_study.sh [--config FILE] [--days N] [--seeds "1 2 3"] [--jobs J] [--threads T] OUT
# (after scripts/setup.sh; python3 writes the table, gnuplot the figures).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config="$here/examples/configs/loop.json"
days=14
seeds="1 2 3"
jobs=2
threads=1
while (($#)); do
  case "$1" in
    --config) config="$2"; shift 2 ;;
    --days) days="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    -*) echo "loop_study.sh: unknown option $1" >&2; exit 2 ;;
    *) out="$1"; shift ;;
  esac
done
[[ -n "${out:-}" ]] || { echo "usage: scripts/loop_study.sh [--config FILE] [--days N] [--seeds \"1 2 3\"] [--jobs J] OUT" >&2; exit 2; }
mtf="$here/build/examples/mtf/mtf"
[[ -x "$mtf" ]] || { echo "loop_study.sh: $mtf is missing (run scripts/setup.sh first)" >&2; exit 1; }
mkdir -p "$out"
cp "$config" "$out/config.json"

# One run per (seed, exploration); a finished run (reference.json present) is not rerun, a killed one resumes.
runs=()
for seed in $seeds; do
  for exploration in mixed random noise; do
    dir="$out/seed_${seed}_$exploration"
    [[ -f "$dir/reference.json" ]] && continue
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["exploration"]=sys.argv[2]; json.dump(c, open(sys.argv[3], "w"))' \
      "$config" "$exploration" "$out/config_$exploration.json"
    resume=""
    [[ -f "$dir/loop.ckpt" ]] && resume="--resume"
    runs+=("$mtf loop --config $out/config_$exploration.json --seed $seed --days $days --out $dir --reference --threads $threads --quiet $resume > $dir.log 2>&1")
  done
done
start=$SECONDS
if ((${#runs[@]})); then
  printf '%s\0' "${runs[@]}" | xargs -0 -P "$jobs" -I{} bash -c '{} || { echo "failed: {}" >&2; exit 255; }'
fi
echo "[loop_study] ${#runs[@]} runs in $((SECONDS - start)) s ($jobs at a time, $threads thread(s) each)"
python3 "$here/scripts/loop_study_report.py" "$out" $seeds
