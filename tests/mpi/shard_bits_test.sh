#!/usr/bin/env bash
# tests/mpi/shard_bits_test.sh — sharded data (rl/data/train_window.hpp): under `mpirun -np N mtf train`
# each process reads only its part of the log into its part of the replay buffer, and the checkpoint is
# still the one of one process with the same total shard count. BCQ with a FIFO window (replay_capacity
# 1000) smaller than the training split (~2,100 transitions), so the window is cut by eviction:
#   1. one process (the whole log), 6 shards, 30 iterations: the reference;
#   2. mpirun -np 2 and -np 3 --oversubscribe, each process reading its part: cmp-identical to it, and the
#      report says the log and buffer were spread;
#   3. -np 3 for 15 iterations resumed with -np 2 for 15: identical (the split's fingerprint in the
#      checkpoint is the same at any process count, or the resume would be refused);
#   4. a defect in the last part of the log: -np 2 fails with the one-process message (file, line, field).
# Usage: shard_bits_test.sh MPIEXEC MTF LOG WORKDIR
set -euo pipefail
mpiexec=$1 mtf=$2 log=$3 dir=$4
rm -rf "$dir" && mkdir -p "$dir"
echo '{"vae_hidden": [32, 32], "actor_hidden": [32, 32], "critic_hidden": [32, 32], "batch_size": 60,
       "gradient_shards": 6, "iterations": 30, "log_every": 10, "replay_capacity": 1000}' >"$dir/config.json"
common=(--seed 7 --threads 1 --quiet)
run() {  # run NP OUT ARGS...: one process without mpirun, else mpirun -np NP
  local np=$1 out=$2
  shift 2
  if [[ $np == 1 ]]; then
    "$mtf" train "${common[@]}" --logs "$log" --out "$dir/$out" "$@" >"$dir/$out.log" 2>&1
  else
    "$mpiexec" -np "$np" --oversubscribe "$mtf" train "${common[@]}" --logs "$log" --out "$dir/$out" "$@" \
      >"$dir/$out.log" 2>&1
  fi || { echo "FAILED: $out (np $np):"; cat "$dir/$out.log"; exit 1; }
}
same() {  # same A B WHAT
  if cmp -s "$dir/$1" "$dir/$2"; then echo "ok: $3: $1 and $2 are byte-identical"
  else echo "FAILED: $3: $1 and $2 differ"; cmp "$dir/$1" "$dir/$2" || true; exit 1; fi
}

run 1 np1.ckpt --config "$dir/config.json"
grep -Eq "[0-9]+ transitions \(replay buffer 1000 of 1000\)" "$dir/np1.ckpt.log" ||
  { echo "FAILED: the window is not smaller than the split:"; cat "$dir/np1.ckpt.log"; exit 1; }
for np in 2 3; do
  run "$np" "np$np.ckpt" --config "$dir/config.json"
  grep -q "in each of $np processes, each holding its part of the log and of the replay buffer" "$dir/np$np.ckpt.log" ||
    { echo "FAILED: np $np did not read in parts:"; cat "$dir/np$np.ckpt.log"; exit 1; }
  same np1.ckpt "np$np.ckpt" "BCQ, $np processes each reading its part of the log = 1 process reading all of it"
done

run 3 resumed.ckpt --config "$dir/config.json" --iterations 15
run 2 resumed.ckpt --resume --iterations 15
grep -q "from iteration 15" "$dir/resumed.ckpt.log" || { echo "FAILED: the resume did not start at 15"; exit 1; }
same np1.ckpt resumed.ckpt "BCQ, 15 iterations on 3 processes resumed for 15 on 2 = 30 in one"

# A defect near the end of the file (in the last process's part): the line number must be the file's,
# which the last process learns from the others' line counts.
lines=$(wc -l <"$log")
bad_line=$((lines - 3))
sed "${bad_line}s/\"action\":\[/\"action\":[7,/" "$log" >"$dir/bad.jsonl"
set +e
"$mtf" train "${common[@]}" --logs "$dir/bad.jsonl" --out "$dir/bad1.ckpt" >"$dir/bad1.log" 2>&1
status1=$?
"$mpiexec" -np 2 --oversubscribe "$mtf" train "${common[@]}" --logs "$dir/bad.jsonl" --out "$dir/bad2.ckpt" \
  >"$dir/bad2.log" 2>&1
status2=$?
set -e
message=$(sed -n 's/^mtf train: error: //p' "$dir/bad1.log")
[[ $status1 == 1 && $message == "$dir/bad.jsonl:$bad_line: field \"action\": expected 12 values, got 13" ]] ||
  { echo "FAILED: one process: status $status1, message '$message'"; cat "$dir/bad1.log"; exit 1; }
[[ $status2 != 0 ]] && grep -qF "error: $message" "$dir/bad2.log" ||
  { echo "FAILED: 2 processes (status $status2) did not report '$message':"; cat "$dir/bad2.log"; exit 1; }
[[ ! -e $dir/bad2.ckpt ]] || { echo "FAILED: a checkpoint was written from a defective log"; exit 1; }
echo "ok: a defect in the last part: 2 processes report the one-process message: $message"
echo "PASSED: shard"
