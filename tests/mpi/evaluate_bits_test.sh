#!/usr/bin/env bash
# tests/mpi/evaluate_bits_test.sh — `mpirun -np N mtf evaluate` (examples/mtf/evaluate.cpp): the estimator's
# fit spreads each step's gradient shards over the processes, and its estimate is the one of one process
# with the same total shard count, to the last bit (the JSON prints doubles in their shortest round-trip
# form, so equal text is equal bits). For the paper's estimator (cope) and CQL(H) (cql_h, which draws
# uniform actions on the shards' generators): 1 process vs mpirun -np 2, and a control with another shard
# count that must differ. Then a checkpoint's policy (TD3 trained with 2 shards, fewer than the processes:
# a learner that only acts needs none) evaluated at mpirun -np 3 against one process.
# Usage: evaluate_bits_test.sh MPIEXEC MTF LOG WORKDIR
set -euo pipefail
mpiexec=$1 mtf=$2 log=$3 dir=$4
rm -rf "$dir" && mkdir -p "$dir"
for shards in 6 4; do
  echo "{\"hidden\": [32, 32], \"batch_size\": 60, \"steps\": 300, \"target_period\": 50, \"gradient_shards\": $shards}" \
    >"$dir/shards$shards.json"
done
policy=noisy
value() {  # value NP ESTIMATOR SHARDS: the "value" line of the JSON result
  local np=$1 estimator=$2 shards=$3 out="$dir/$2_np$1_s$3.json"
  local cmd=("$mtf" evaluate --logs "$log" --policy "$policy" --estimator "$estimator" --config "$dir/shards$shards.json"
             --seed 3 --initial-states 200 --threads 1 --json)
  if [[ $np == 1 ]]; then "${cmd[@]}" >"$out" 2>&1; else "$mpiexec" -np "$np" --oversubscribe "${cmd[@]}" >"$out" 2>&1; fi ||
    { echo "FAILED: $estimator at np $np:"; cat "$out"; exit 1; }
  grep '"value"' "$out" || { echo "FAILED: no value in $out"; cat "$out"; exit 1; }
}
for estimator in cope cql_h; do
  one=$(value 1 "$estimator" 6)
  two=$(value 2 "$estimator" 6)
  [[ $one == "$two" ]] || { echo "FAILED: $estimator: 1 process $one, 2 processes $two"; exit 1; }
  echo "ok: $estimator: 2 processes x 3 shards = 1 process x 6: $one"
  control=$(value 2 "$estimator" 4)
  [[ $control != "$one" ]] || { echo "FAILED: control: $estimator with 4 shards gave the value of 6"; exit 1; }
  echo "ok: $estimator control: 4 shards in all give $control"
done
echo '{"actor_hidden": [32, 32], "critic_hidden": [32, 32], "batch_size": 32, "gradient_shards": 2, "iterations": 5}' \
  >"$dir/td3.json"
"$mtf" train --algo td3 --logs "$log" --out "$dir/td3.ckpt" --config "$dir/td3.json" --threads 1 --quiet >/dev/null
policy="ckpt:$dir/td3.ckpt"
one=$(value 1 fqe 6)
three=$(value 3 fqe 6)
[[ $one == "$three" ]] || { echo "FAILED: a 2-shard TD3 policy: 1 process $one, 3 processes $three"; exit 1; }
echo "ok: a TD3 policy trained with 2 shards, fqe: 3 processes x 2 shards = 1 process x 6: $one"
echo "PASSED: evaluate"
