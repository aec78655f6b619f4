#!/usr/bin/env bash
# tests/mpi/train_bits_test.sh — `mpirun -np N mtf train` (examples/mtf/train.cpp over engine/distributed.hpp)
# gives the bits of one process with the same total shard count. For one learner:
#   1. one process, 6 gradient shards, 30 iterations (no mpirun): the reference checkpoint;
#   2. mpirun -np 2 (3 shards each) and -np 3 --oversubscribe (2 each), 6 shards in all: cmp-identical;
#   3. the control: -np 2 with 4 shards in all must differ, in the networks' weights and not only in the
#      recorded gradient_shards (scripts/compare_checkpoint_sections.py), so the cmp above can fail;
#   4. -np 3 for 15 iterations, resumed with -np 2 for 15 more: identical to the reference;
#   5. only rank 0 wrote: one metrics file with one line per log, the same lines as the reference's
#      but for the timings.
# Usage: train_bits_test.sh MPIEXEC MTF LOG ALGO WORKDIR
set -euo pipefail
mpiexec=$1 mtf=$2 log=$3 algo=$4 dir=$5
rm -rf "$dir" && mkdir -p "$dir"
case $algo in
  bcq) nets='"vae_hidden": [32, 32], "actor_hidden": [32, 32], "critic_hidden": [32, 32]' ;;
  td3) nets='"actor_hidden": [32, 32], "critic_hidden": [32, 32]' ;;
  cql_sac) nets='"actor_hidden": [32, 32], "critic_hidden": [32, 32], "cql_samples": 4' ;;
  *) echo "train_bits_test.sh: unknown learner $algo" >&2; exit 2 ;;
esac
for shards in 6 4; do
  echo "{$nets, \"batch_size\": 60, \"gradient_shards\": $shards, \"iterations\": 30, \"log_every\": 10," \
       "\"checkpoint_every\": 10}" >"$dir/shards$shards.json"
done
common=(--algo "$algo" --logs "$log" --seed 7 --threads 1 --quiet)
run() {  # run NP OUT ARGS...: one process without mpirun, else mpirun -np NP
  local np=$1 out=$2
  shift 2
  if [[ $np == 1 ]]; then
    "$mtf" train "${common[@]}" --out "$dir/$out" "$@" >"$dir/$out.log" 2>&1
  else
    "$mpiexec" -np "$np" --oversubscribe "$mtf" train "${common[@]}" --out "$dir/$out" "$@" >"$dir/$out.log" 2>&1
  fi || { echo "FAILED: $out (np $np):"; cat "$dir/$out.log"; exit 1; }
}
same() {  # same A B WHAT
  if cmp -s "$dir/$1" "$dir/$2"; then echo "ok: $3: $1 and $2 are byte-identical"
  else echo "FAILED: $3: $1 and $2 differ"; cmp "$dir/$1" "$dir/$2" || true; exit 1; fi
}

run 1 np1_s6.ckpt --config "$dir/shards6.json" --metrics "$dir/np1_s6.metrics"
run 2 np2_s6.ckpt --config "$dir/shards6.json" --metrics "$dir/np2_s6.metrics"
run 3 np3_s6.ckpt --config "$dir/shards6.json"
same np1_s6.ckpt np2_s6.ckpt "$algo, 2 processes x 3 shards = 1 process x 6"
same np1_s6.ckpt np3_s6.ckpt "$algo, 3 processes x 2 shards = 1 process x 6"

run 2 np2_s4.ckpt --config "$dir/shards4.json"
sections=$(python3 "$(dirname "$0")/../../scripts/compare_checkpoint_sections.py" "$dir/np1_s6.ckpt" "$dir/np2_s4.ckpt" || true)
if ! grep -Eq "^  critic +[0-9]+ bytes  DIFFERENT" <<<"$sections"; then
  echo "FAILED: control: 4 shards in all gave the critic weights of 6 (the comparison cannot fail):"
  echo "$sections"; exit 1
fi
echo "ok: control: 2 processes with 4 shards in all give other critic weights than 6 shards"

run 3 resumed.ckpt --config "$dir/shards6.json" --iterations 15
run 2 resumed.ckpt --resume --iterations 15
grep -q "from iteration 15" "$dir/resumed.ckpt.log" || { echo "FAILED: the resume did not start at 15"; exit 1; }
same np1_s6.ckpt resumed.ckpt "$algo, 15 iterations on 3 processes resumed for 15 on 2 = 30 in one"

# Metrics: rank 0 alone appended (3 lines, not 6), and every metric but the timings is the same text.
strip() { sed -E 's/"(seconds|iterations_per_second)":[^,}]*//g' "$1"; }
lines=$(wc -l <"$dir/np2_s6.metrics")
[[ $lines == 3 ]] || { echo "FAILED: the 2-process metrics file has $lines lines, expected 3"; exit 1; }
if [[ "$(strip "$dir/np1_s6.metrics")" != "$(strip "$dir/np2_s6.metrics")" ]]; then
  echo "FAILED: metrics differ"; diff <(strip "$dir/np1_s6.metrics") <(strip "$dir/np2_s6.metrics"); exit 1
fi
echo "ok: $algo metrics of 2 processes equal one process's (written once)"
grep -q "in each of 2 processes" "$dir/np2_s6.ckpt.log" || { echo "FAILED: no process count in the report"; exit 1; }
echo "PASSED: $algo"
