#!/usr/bin/env bash
# tests/rl/crash_resume.sh — `mtf train` killed with SIGKILL at random moments (checkpoint_every 1, so
# many kills land inside a checkpoint write), resumed each time, must end with a checkpoint byte-identical
# to an uninterrupted run's, and no "<ckpt>.tmp.<pid>" may survive the run after a kill.
# Resumes alternate between giving the config again and giving none (the checkpoint's hyper-parameters
# and data settings, replay_capacity 700 included, must be enough). Each run's output is in WORKDIR.
# Usage: crash_resume.sh MTF LOG CONFIG WORKDIR [KILLS]; MTF_CRASH_SEED=N repeats a run's kill times.
set -euo pipefail
mtf=$1 log=$2 config=$3 dir=$4 kills=${5:-12}
seed=${MTF_CRASH_SEED:-$$}
RANDOM=$seed
echo "crash test: seed $seed (MTF_CRASH_SEED=$seed repeats these kill times), $kills kills"
rm -rf "$dir" && mkdir -p "$dir"
total=$(grep -o '"iterations": *[0-9]*' "$config" | grep -o '[0-9]*$')
common=(--logs "$log" --threads 1 --quiet)

"$mtf" train "${common[@]}" --config "$config" --out "$dir/reference.ckpt" >/dev/null

ckpt=$dir/killed.ckpt
# The checkpoint's iteration, from the resume's own report (0 iterations: nothing is written).
iteration_of() {
  "$mtf" train "${common[@]}" --out "$ckpt" --resume --iterations 0 | sed -n 's/.*from iteration \([0-9]*\).*/\1/p'
}
left_by_kills=0 interrupted=0
for ((k = 0; k < kills; ++k)); do
  if [[ -f $ckpt ]]; then
    done_so_far=$(iteration_of)
    ((done_so_far < total)) || break
    left=$((total - done_so_far))
    if ((k % 2)); then
      args=(--resume --iterations $left --config "$config")  # checkpoint_every 1: kills land in writes
    else
      # Without --config: checkpoint_every is back to its default (only at the end), so such a run
      # finishes in milliseconds; a short one, so that the run goes on after it.
      args=(--resume --iterations $((left < 25 ? left : 25)))
    fi
  else
    args=(--config "$config")
  fi
  "$mtf" train "${common[@]}" --out "$ckpt" "${args[@]}" >"$dir/run$k.log" 2>&1 &
  pid=$!
  # A random moment in the first 0.4 s: start-up, reading the log, training, or writing a checkpoint.
  sleep "0.$(printf '%03d' $((RANDOM % 400)))"
  if kill -KILL "$pid" 2>/dev/null; then interrupted=$((interrupted + 1)); fi
  wait "$pid" 2>/dev/null || true
  if compgen -G "$ckpt.tmp.*" >/dev/null; then left_by_kills=$((left_by_kills + 1)); fi
done
# The last run is not interrupted.
if [[ -f $ckpt ]]; then
  done_so_far=$(iteration_of)
  if ((done_so_far < total)); then
    "$mtf" train "${common[@]}" --out "$ckpt" --resume --iterations $((total - done_so_far)) >/dev/null
  fi
else
  "$mtf" train "${common[@]}" --config "$config" --out "$ckpt" >/dev/null
fi
echo "runs killed mid-way: $interrupted; kills that left a temporary behind (inside a checkpoint write): $left_by_kills"
if ! cmp "$dir/reference.ckpt" "$ckpt"; then
  echo "FAIL: the resumed checkpoint differs from the uninterrupted run's" >&2
  exit 1
fi
if compgen -G "$ckpt.tmp.*" >/dev/null; then
  echo "FAIL: temporaries survived the next run: $(ls "$ckpt".tmp.*)" >&2
  exit 1
fi
echo "PASS: byte-identical after $interrupted kills, no temporary left"
