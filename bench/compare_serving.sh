#!/usr/bin/env bash
# bench/compare_serving.sh — the serving API (bench_serving) beside the PyTorch peer's no-grad serving of
# the same BCQ policy (the peer_serve of bench/compare_peer.sh, here also timing each call), at the
# reference sizes, in one run on one machine (issue 14, part 3).
#
#   bench/compare_serving.sh [table.md]
#
# Modes, each at one state per call and at 256 states per call:
#   1 caller, T kernel threads   ours: BM_Serve/<mode>/threads:1 with OMP_NUM_THREADS=T; the peer: one
#                                Python caller with torch.set_num_threads(T)          (T = 1, 2)
#   2 callers, 1 thread each     ours: BM_Serve/<mode>/threads:2 (two request threads, each its own
#                                Scratch); the peer: two Python threads calling the same module,
#                                torch.set_num_threads(1)
# decisions/s is the total over callers; p50 / p99 are per call. Each side's number is its best of
# ROUNDS rounds (separate processes, ours then the peer's, back to back).
# Knobs: BUILD_DIR [<repo>/build], ROUNDS [2], PEER_PY [/usr/bin/python3], SKIP_BUILD [0].
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
ROUNDS=${ROUNDS:-2}
PEER_PY=${PEER_PY:-/usr/bin/python3}
OUT=${1:-}
PEER_TUNABLES="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296"
WORK=$(mktemp -d /tmp/compare_serving.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
RESULTS=$WORK/results.tsv  # side  mode  callers  threads  field  value
log() { echo "[compare_serving] $*" >&2; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then cmake --build "$BUILD_DIR" -j2 --target bench_serving >&2; fi
BENCH=$BUILD_DIR/bench/bench_serving

ours() {  # ours <callers> <omp threads>
  local callers=$1 t=$2 json=$WORK/ours_$1_$2_$ROUND.json
  log "ours: callers=$callers threads=$t"
  OMP_NUM_THREADS=$t "$BENCH" --benchmark_filter="BM_Serve/.*/threads:$callers\$" --benchmark_format=json \
    --benchmark_out_format=json --benchmark_out="$json" >/dev/null
  "$PEER_PY" - "$json" "$callers" "$t" >>"$RESULTS" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1]))
for b in doc['benchmarks']:
    mode = b['run_name'].split('/')[1]
    for key in ('decisions/s', 'p50_us', 'p99_us'):
        print(f"ours\t{mode}\t{sys.argv[2]}\t{sys.argv[3]}\t{key}\t{b[key]:.3f}")
PYEOF
}

peer() {  # peer <callers> <torch threads>
  local callers=$1 t=$2 out=$WORK/peer_$1_$2_$ROUND.txt
  log "peer: callers=$callers threads=$t"
  GLIBC_TUNABLES=$PEER_TUNABLES OMP_NUM_THREADS=$t "$PEER_PY" - "$callers" "$t" >"$out" 2>&1 <<'PYEOF' || { cat "$out" >&2; return 0; }
# The PyTorch no-grad equivalent of BCQ serving (eq. 4) at the reference sizes: per state, n = 10 latents
# z ~ N(0,1) clamped to +-0.5, decode (S+L -> 750 -> 750 -> A, tanh), perturb (S+A -> 400 -> 300 -> A,
# a + 0.15 tanh, clamp +-1), Q1 (S+A -> 400 -> 300 -> 1), argmax over the 10 (bench/compare_peer.sh).
import statistics, sys, threading, time
import torch, torch.nn as nn, torch.nn.functional as F
callers, threads = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads); torch.manual_seed(0)
S, A, L, N, H = 64, 12, 24, 10, 750
d1, d2, d3 = nn.Linear(S + L, H), nn.Linear(H, H), nn.Linear(H, A)
p1, p2, p3 = nn.Linear(S + A, 400), nn.Linear(400, 300), nn.Linear(300, A)
q1 = nn.Sequential(nn.Linear(S + A, 400), nn.ReLU(), nn.Linear(400, 300), nn.ReLU(), nn.Linear(300, 1))
buf = torch.randn(100_000, S)
@torch.no_grad()
def act(states):
    m = states.shape[0]
    s = torch.repeat_interleave(states, N, 0)
    z = torch.randn(m * N, L).clamp(-0.5, 0.5)
    h = F.relu(d2(F.relu(d1(torch.cat([s, z], 1)))))
    a = torch.tanh(d3(h))
    h = F.relu(p2(F.relu(p1(torch.cat([s, a], 1)))))
    a = (a + 0.15 * torch.tanh(p3(h))).clamp(-1, 1)
    q = q1(torch.cat([s, a], 1)).reshape(m, N)
    best = q.argmax(1)
    return a.reshape(m, N, A)[torch.arange(m), best]
for B, mode in ((1, 'single'), (256, 'batch256')):
    for _ in range(20): act(buf[0:B])
    rates, p50s, p99s = [], [], []
    for _ in range(3):
        lat = [[] for _ in range(callers)]
        stop = time.perf_counter() + 1.5
        def worker(j):
            off = j * 7919
            while True:
                t0 = time.perf_counter(); act(buf[off:off + B]); t1 = time.perf_counter()
                lat[j].append(t1 - t0); off = (off + B) % (100_000 - B)
                if t1 > stop: break
        t0 = time.perf_counter()
        ws = [threading.Thread(target=worker, args=(j,)) for j in range(callers)]
        for w in ws: w.start()
        for w in ws: w.join()
        dt = time.perf_counter() - t0
        rates.append(sum(len(l) for l in lat) * B / dt)
        q = [sorted(l) for l in lat]
        p50s.append(statistics.mean(l[int(0.50 * (len(l) - 1))] for l in q) * 1e6)
        p99s.append(statistics.mean(l[int(0.99 * (len(l) - 1))] for l in q) * 1e6)
    k = rates.index(statistics.median(rates))
    print(f"serve mode={mode} decisions_per_s={rates[k]:.1f} p50_us={p50s[k]:.1f} p99_us={p99s[k]:.1f}")
PYEOF
  sed -n 's/^serve mode=\([a-z0-9]*\) decisions_per_s=\([0-9.]*\) p50_us=\([0-9.]*\) p99_us=\([0-9.]*\)/\1 \2 \3 \4/p' "$out" |
    while read -r mode rate p50 p99; do
      printf 'peer\t%s\t%s\t%s\tdecisions/s\t%s\n' "$mode" "$callers" "$t" "$rate"
      printf 'peer\t%s\t%s\t%s\tp50_us\t%s\n' "$mode" "$callers" "$t" "$p50"
      printf 'peer\t%s\t%s\t%s\tp99_us\t%s\n' "$mode" "$callers" "$t" "$p99"
    done >>"$RESULTS"
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for ROUND in $(seq 1 "$ROUNDS"); do
  for spec in "1 1" "1 2" "2 1"; do
    set -- $spec
    ours "$1" "$2"
    peer "$1" "$2"
  done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

{
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores. Source: commit $(git -C "$ROOT" rev-parse --short HEAD)."
  echo "Peer: torch $("$PEER_PY" -c 'import torch; print(torch.__version__)') no_grad, GLIBC_TUNABLES raised. Each side at its best of $ROUNDS rounds. Load average $LOAD_START at start, $LOAD_END at end. $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo
  "$PEER_PY" - "$RESULTS" <<'PYEOF'
import sys
runs = {}
for line in open(sys.argv[1]):
    side, mode, callers, t, field, v = line.split('\t')
    runs.setdefault((side, mode, callers, t), []).append((field, float(v)))
def best(side, mode, callers, t):
    vals = runs.get((side, mode, callers, t), [])
    rounds = {}
    # rounds come in groups of (decisions/s, p50, p99); pick the round with the highest rate
    for i in range(0, len(vals), 3):
        d = dict(vals[i:i + 3]); rounds[i] = d
    return max(rounds.values(), key=lambda d: d['decisions/s']) if rounds else None
print('| mode | callers x kernel threads | ours decisions/s | peer decisions/s | ratio | ours p50 / p99 µs | ours p99/p50 | peer p50 / p99 µs |')
print('|---|---|---|---|---|---|---|---|')
for mode, label in (('single', 'one state per call'), ('batch256', '256 states per call')):
    for callers, t in (('1', '1'), ('1', '2'), ('2', '1')):
        o, p = best('ours', mode, callers, t), best('peer', mode, callers, t)
        if not o: continue
        ratio = f"**{o['decisions/s'] / p['decisions/s']:.2f}**" if p else '—'
        pp = f"{p['p50_us']:.0f} / {p['p99_us']:.0f}" if p else '—'
        pr = f"{p['decisions/s']:.0f}" if p else '—'
        print(f"| {label} | {callers} x {t} | {o['decisions/s']:.0f} | {pr} | {ratio} | {o['p50_us']:.0f} / {o['p99_us']:.0f} | "
              f"{o['p99_us'] / o['p50_us']:.2f} | {pp} |")
PYEOF
} >"$WORK/table.md"
cat "$WORK/table.md"
if [ -n "$OUT" ]; then cp "$WORK/table.md" "$OUT"; fi
