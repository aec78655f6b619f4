#!/usr/bin/env bash
# tests/mpi/deval_bits_test.sh — distributed evaluation on the command line (issue 15): under mpirun -np 2
# and -np 3 --oversubscribe, the JSON of
#   1. `mtf evaluate --truth --estimator none` (simulator rollouts from the test split's initial states, in
#      6 blocks over the processes) for a stochastic policy (noisy) and a stochastic network (BCQ, which
#      samples its VAE), and a control: 5 blocks must give another value, so the comparison can fail;
#   2. `mtf evaluate --estimator fqe` with an ensemble of 3 (members over the processes) and --truth;
#   3. `mtf ab-test` of three policies (whole arms over the processes);
# is byte-identical to one process once the timings ("seconds" lines) are removed — doubles are printed
# in their shortest round-trip form, so equal text is equal bits.
# Usage: deval_bits_test.sh MPIEXEC MTF LOG WORKDIR
set -euo pipefail
mpiexec=$1 mtf=$2 log=$3 dir=$4
rm -rf "$dir" && mkdir -p "$dir"

run() {  # run NP OUT ARGS...: mtf ARGS in one process (NP 1, no mpirun) or under mpirun -np NP; OUT without timings
  local np=$1 out=$2
  shift 2
  if [[ $np == 1 ]]; then "$mtf" "$@" >"$dir/$out.raw" 2>"$dir/$out.err"
  else "$mpiexec" -np "$np" --oversubscribe "$mtf" "$@" >"$dir/$out.raw" 2>"$dir/$out.err"; fi ||
    { echo "FAILED: $out (np $np):"; cat "$dir/$out.raw" "$dir/$out.err"; exit 1; }
  grep -v '"seconds"' "$dir/$out.raw" >"$dir/$out"
}
same() {  # same A B WHAT
  if cmp -s "$dir/$1" "$dir/$2"; then echo "ok: $3"
  else echo "FAILED: $3: $1 and $2 differ"; diff "$dir/$1" "$dir/$2" || true; exit 1; fi
}

echo '{"vae_hidden": [32, 32], "actor_hidden": [32, 32], "critic_hidden": [32, 32], "batch_size": 32,
       "gradient_shards": 2, "iterations": 5}' >"$dir/bcq.json"
"$mtf" train --algo bcq --logs "$log" --out "$dir/bcq.ckpt" --config "$dir/bcq.json" --threads 1 --quiet >/dev/null

truth=(evaluate --logs "$log" --estimator none --truth --truth-rollouts 10 --threads 1 --json)
for policy in noisy "ckpt:$dir/bcq.ckpt"; do
  tag=${policy%%:*}
  for np in 1 2 3; do run "$np" "truth_${tag}_np$np.json" "${truth[@]}" --policy "$policy" --truth-blocks 6; done
  grep -q '"truth"' "$dir/truth_${tag}_np1.json" || { echo "FAILED: no truth in the output"; cat "$dir/truth_${tag}_np1.json"; exit 1; }
  same "truth_${tag}_np1.json" "truth_${tag}_np2.json" "$tag truth: 2 processes = 1 process (6 blocks)"
  same "truth_${tag}_np1.json" "truth_${tag}_np3.json" "$tag truth: 3 processes = 1 process (6 blocks)"
  run 1 "truth_${tag}_b5.json" "${truth[@]}" --policy "$policy" --truth-blocks 5
  if grep '"value"' "$dir/truth_${tag}_b5.json" | cmp -s - <(grep '"value"' "$dir/truth_${tag}_np1.json"); then
    echo "FAILED: control: 5 blocks gave the $tag truth of 6"; exit 1
  fi
  echo "ok: $tag control: 5 blocks give another truth than 6"
done

echo '{"hidden": [32, 32], "batch_size": 60, "steps": 100, "target_period": 50, "gradient_shards": 2, "ensemble": 3,
       "pessimism": 0.5}' >"$dir/ensemble.json"
ensemble=(evaluate --logs "$log" --policy "ckpt:$dir/bcq.ckpt" --estimator fqe --config "$dir/ensemble.json" --seed 3
          --truth --truth-blocks 6 --threads 1 --json)
for np in 1 2 3; do run "$np" "ensemble_np$np.json" "${ensemble[@]}"; done
same ensemble_np1.json ensemble_np2.json "FQE ensemble of 3 (members over 2 processes) and truth = 1 process"
same ensemble_np1.json ensemble_np3.json "FQE ensemble of 3 (one member per process) and truth = 1 process"

ab=(ab-test --logs "$log" --policy constant --policy noisy --policy "ckpt:$dir/bcq.ckpt" --users 100 --days 1 --seed 5
    --threads 1 --json)
for np in 1 2 3; do run "$np" "ab_np$np.json" "${ab[@]}"; done
grep -q '"adtime_vs_baseline"' "$dir/ab_np1.json" || { echo "FAILED: no A/B report"; cat "$dir/ab_np1.json"; exit 1; }
same ab_np1.json ab_np2.json "A/B of 3 arms: 2 processes = 1 process"
same ab_np1.json ab_np3.json "A/B of 3 arms: 3 processes = 1 process"
echo "PASSED: deval"
