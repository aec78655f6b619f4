#!/usr/bin/env bash
# tests/rl/loop/crash_resume_loop.sh — `mtf loop` killed with SIGKILL at random moments (serving,
# training, the gate, writing loop.ckpt / days.jsonl), resumed each time (--resume when a checkpoint
# exists), must end with the same days as an uninterrupted run: days.jsonl identical but for the wall
# times ("seconds"), whose every true value, gate estimate and candidate truth is printed to the last
# bit — so any difference in a learner, the window, the users' histories or an RNG shows. No temporary
# file may survive the next run.
# Usage: crash_resume_loop.sh MTF CONFIG WORKDIR [DAYS] [KILLS]; MTF_CRASH_SEED=N repeats a run's kills.
set -euo pipefail
mtf=$1 config=$2 dir=$3 days=${4:-4} kills=${5:-10}
seed=${MTF_CRASH_SEED:-$$}
RANDOM=$seed
echo "loop crash test: seed $seed (MTF_CRASH_SEED=$seed repeats these kill times), $kills kills, $days days"
rm -rf "$dir" && mkdir -p "$dir"
common=(--config "$config" --days "$days" --threads 1 --quiet)
"$mtf" loop "${common[@]}" --out "$dir/reference" >/dev/null
out=$dir/killed
interrupted=0 progress=""
for ((k = 0; k < kills; ++k)); do
  resume=()
  [[ -f $out/loop.ckpt ]] && resume=(--resume)
  "$mtf" loop "${common[@]}" --out "$out" "${resume[@]}" >"$dir/run$k.log" 2>&1 &
  pid=$!
  sleep "$((RANDOM % 2)).$(printf '%03d' $((RANDOM % 1000)))"
  if kill -KILL "$pid" 2>/dev/null; then interrupted=$((interrupted + 1)); fi
  wait "$pid" 2>/dev/null || true
  progress+=" $( [[ -f $out/days.jsonl ]] && wc -l <"$out/days.jsonl" || echo 0)"
done
resume=()
[[ -f $out/loop.ckpt ]] && resume=(--resume)
"$mtf" loop "${common[@]}" --out "$out" "${resume[@]}" >/dev/null
echo "runs killed mid-way: $interrupted; days finished after each run:$progress"
strip() { sed -E 's/"seconds":\{[^}]*\},?//' "$1"; }
if ! cmp <(strip "$dir/reference/days.jsonl") <(strip "$out/days.jsonl"); then
  echo "FAIL: the resumed loop's days differ from the uninterrupted run's" >&2
  exit 1
fi
if compgen -G "$out/*.tmp*" >/dev/null; then
  echo "FAIL: temporaries survived the last run: $(ls "$out"/*.tmp*)" >&2
  exit 1
fi
echo "PASS: the same $days days after $interrupted kills, no temporary left"
