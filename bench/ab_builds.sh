#!/usr/bin/env bash
# bench/ab_builds.sh — is a change speed-neutral? The training-step benchmarks of two build trees (e.g. a
# worktree of the commit before the change and the current build), run interleaved so both see the same
# machine load: ROUNDS rounds, each running every binary of both builds at each thread count in turn.
# Prints, per step and thread count, each build's best round (ms per iteration) and the ratio.
#
#   bench/ab_builds.sh BEFORE_BUILD_DIR AFTER_BUILD_DIR      (env: ROUNDS [3], THREADS ["1 2"],
#                                                             FILTER ['BM_(BcqIteration|FqeStep)/'])
set -euo pipefail
BEFORE=$1 AFTER=$2
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-"1 2"}
FILTER=${FILTER:-'BM_(BcqIteration|FqeStep)/'}
OUT=$(mktemp /tmp/ab_builds.XXXXXX.tsv)
for round in $(seq "$ROUNDS"); do
  for t in $THREADS; do
    for side in before after; do
      dir=$BEFORE; [ "$side" = after ] && dir=$AFTER
      for bin in bench_bcq bench_fqe; do
        OMP_NUM_THREADS=$t "$dir/bench/$bin" --benchmark_filter="$FILTER" --benchmark_format=json 2>/dev/null |
          python3 -c "
import json, sys
for b in json.load(sys.stdin)['benchmarks']:
    print('$t\t$side\t' + b['name'].split('/')[1] + '\t' + str(b['real_time']))" >>"$OUT"
      done
    done
  done
  echo "[ab_builds] round $round done" >&2
done
python3 - "$OUT" <<'PY'
import collections, sys
best = collections.defaultdict(lambda: float("inf"))
for line in open(sys.argv[1]):
    t, side, name, ms = line.split("\t")
    best[(t, name, side)] = min(best[(t, name, side)], float(ms))
print("| step | threads | before ms | after ms | after / before |\n|---|---|---|---|---|")
for t, name in sorted({(k[0], k[1]) for k in best}):
    b, a = best[(t, name, "before")], best[(t, name, "after")]
    print(f"| {name} | {t} | {b:.2f} | {a:.2f} | {a / b:.2f} |")
PY
rm -f "$OUT"
