#!/usr/bin/env bash
# bench/compare_peer.sh — ONE command for the speed comparison of issue 6: this project's Google Benchmark
# BCQ iteration (reference, medium, tiny) and Conservative-OPEstimator (FQE) step against the PyTorch peer
# (../shared/peers/torch_bcq.py) at 1 and 2 threads, in one run on one machine, plus BCQ serving
# throughput beside a PyTorch no-grad equivalent, and the machine's fp32 peak measured by bench_peak.
#
#   bench/compare_peer.sh [table.md]        # prints a Markdown table; also writes it to table.md if given
#
# Environment knobs (defaults in brackets):
#   BUILD_DIR   [<repo>/build]   build tree (configured Release if missing; `cmake --build` always runs)
#   PEER_DIR    [<repo>/../shared/peers]   where torch_bcq.py lives
#   REPS        [3]              Google Benchmark repetitions (the median is reported)
#   ROUNDS      [2]              times every (configuration, threads, policy) pair runs, ours then the peer's,
#                                in separate processes; each side reported at its best round (on this shared
#                                2-core VM the same binary varies by 10-30 % between processes at 2 threads)
#   THREADS     ["1 2"]          thread counts
#   PEER_PY     [/usr/bin/python3]  the peer's interpreter (Debian's python3-torch)
#   SKIP_BUILD  [0]              1 = measure the existing binaries without running cmake --build
#   SUITES      ["bcq baselines"]  what to compare: bcq = BCQ iterations, the FQE step and BCQ serving
#                                (../shared/peers/torch_bcq.py); baselines = one update of TD3, UWAC+TD3 and
#                                CQL+SAC (bench_baselines against ../shared/peers/torch_baselines.py, issue 16)
# Thread settings: OMP_NUM_THREADS=T for both sides (the peer also gets --threads T, which calls
# torch.set_num_threads). OMP_WAIT_POLICY (libgomp's, used by both sides: torch and Debian's OpenBLAS-openmp
# link libgomp) matters with 2 threads and which setting is best depends on the machine's load: on an idle
# machine the default spin-then-sleep is best for the peer (reference 59.9 ms vs 72.2 passive), with one
# other busy process passive is far better for both (peer FQE 446 ms vs 19.9 ms) — see docs/speed.md.
# So for T > 1 each configuration runs under every policy in WAIT_POLICIES [default passive] ("default"
# = OMP_WAIT_POLICY unset) and the table reports each side at ITS best policy, naming it. At T = 1 the
# policy has no effect (no other threads to wait for) and only "default" runs. Setting OMP_WAIT_POLICY
# yourself restricts the runs to that one policy. OMP_PROC_BIND is passed through unchanged if set.
# The peer runs with the README's GLIBC_TUNABLES (raised malloc thresholds: the strongest peer).
# Order: for each thread count and configuration, ours then the peer's, back to back, so both see the
# same machine load. Takes ~10 minutes on a 2-core machine (2 rounds).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
PEER_DIR=${PEER_DIR:-$ROOT/../shared/peers}
REPS=${REPS:-3}
THREADS=${THREADS:-"1 2"}
ROUNDS=${ROUNDS:-2}
PEER_PY=${PEER_PY:-/usr/bin/python3}
SUITES=${SUITES:-"bcq baselines"}
want() { case " $SUITES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
OUT=${1:-}
PEER_TUNABLES="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296"
if [ -n "${OMP_WAIT_POLICY:-}" ]; then WAIT_POLICIES=$OMP_WAIT_POLICY; else WAIT_POLICIES=${WAIT_POLICIES:-"default passive"}; fi
POLICY=default
set_policy() {  # set_policy <default|passive|active>
  POLICY=$1
  if [ "$1" = default ]; then unset OMP_WAIT_POLICY; else export OMP_WAIT_POLICY=$1; fi
}

# A Python for parsing JSON (only the standard library is needed).
PY=$PEER_PY
[ -x "$PY" ] || PY=$(command -v python3)

WORK=$(mktemp -d /tmp/compare_peer.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
RESULTS=$WORK/results.tsv   # kind  config  threads  field  value  wait_policy  round
: >"$RESULTS"
log() { echo "[compare_peer] $*" >&2; }

# ------------------------------------------------------------------ build
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  log "configuring $BUILD_DIR (Release)"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >&2
fi
BENCH=$BUILD_DIR/bench
BINARIES="bench_peak"
want bcq && BINARIES="$BINARIES bench_bcq bench_fqe"
want baselines && BINARIES="$BINARIES bench_baselines"
have_binaries() { for b in $BINARIES; do [ -x "$BENCH/$b" ] || return 1; done; }
if [ "${SKIP_BUILD:-0}" = 1 ] && have_binaries; then
  log "SKIP_BUILD=1: using the existing binaries in $BENCH"
else
  log "building $BINARIES in $BUILD_DIR"
  if ! cmake --build "$BUILD_DIR" --target $BINARIES -j"$(nproc)" >&2; then
    if have_binaries; then
      log "WARNING: the build failed (another edit in progress?); measuring the existing binaries"
    else
      log "the build failed and the benchmark binaries are missing"; exit 1
    fi
  fi
fi
grep -q '^MTF_NATIVE:BOOL=ON' "$BUILD_DIR/CMakeCache.txt" && NATIVE=ON || NATIVE=OFF
# The engine kernel the benchmarks run (picked at run time, or MTF_KERNEL), as `mtf --version` names it.
KERNEL=$("$BUILD_DIR/examples/mtf/mtf" --version 2>/dev/null | sed -n 's/^mtf [^,]*, kernel \([a-z0-9]*\).*/\1/p')
KERNEL=${KERNEL:-unknown}

# ------------------------------------------------------------------ the peer available?
HAVE_PEER=1
PEER_WHY=""
if [ ! -x "$PEER_PY" ]; then
  HAVE_PEER=0; PEER_WHY="$PEER_PY not found"
elif ! "$PEER_PY" -c 'import torch' 2>/dev/null; then
  HAVE_PEER=0; PEER_WHY="$PEER_PY cannot import torch (apt-get install -y python3-torch python3-numpy libopenblas0-openmp)"
elif [ ! -f "$PEER_DIR/torch_bcq.py" ] || [ ! -f "$PEER_DIR/torch_baselines.py" ]; then
  HAVE_PEER=0; PEER_WHY="$PEER_DIR/torch_bcq.py or torch_baselines.py not found"
fi
if [ $HAVE_PEER = 0 ]; then
  log "SKIPPING the PyTorch peer: $PEER_WHY"
else
  TORCH_VERSION=$("$PEER_PY" -c 'import torch; print(torch.__version__)')
fi

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average at start: $LOAD_START"

# ------------------------------------------------------------------ peak
log "measuring fp32 peak (FMA loop)"
"$BENCH/bench_peak" 0.5 | tee "$WORK/peak.txt" >&2
PEAK1=$(sed -n 's/^peak threads=1 gflops=\([0-9.]*\).*/\1/p' "$WORK/peak.txt")
PEAK2=$(sed -n 's/^peak threads=2 gflops=\([0-9.]*\).*/\1/p' "$WORK/peak.txt")
ISA=$(sed -n 's/^peak threads=1 .* isa=\([^ ]*\).*/\1/p' "$WORK/peak.txt")

# ------------------------------------------------------------------ helpers
# ours <binary> <filter> <tag> <threads>: Google Benchmark, JSON, medians of REPS repetitions.
ours() {
  local bin=$1 filter=$2 tag=$3 t=$4 json=$WORK/ours_${3}_${4}_${POLICY}_$ROUND.json
  log "ours: $tag threads=$t wait_policy=$POLICY ($filter)"
  OMP_NUM_THREADS=$t "$BENCH/$bin" --benchmark_filter="$filter" --benchmark_repetitions="$REPS" \
    --benchmark_report_aggregates_only=true --benchmark_format=json --benchmark_out_format=json \
    --benchmark_out="$json" >/dev/null
  "$PY" - "$json" "$t" "$POLICY" "$ROUND" >>"$RESULTS" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1])); t = sys.argv[2]; pol = sys.argv[3]; rnd = sys.argv[4]
scale = {'ns': 1e-6, 'us': 1e-3, 'ms': 1.0, 's': 1e3}
benches = doc['benchmarks']
medians = [b for b in benches if b.get('aggregate_name') == 'median']
for b in medians or [b for b in benches if b.get('run_type') == 'iteration']:  # REPS=1: no aggregates
    name = b['run_name']                      # e.g. BM_BcqIteration/reference/min_time:3.000/real_time
    parts = name.split('/')
    kind, cfg = parts[0], parts[1]
    ms = b['real_time'] * scale[b['time_unit']]
    print(f"{kind}\t{cfg}\t{t}\tms\t{ms:.4f}\t{pol}\t{rnd}")
    for key in ('GFLOP/s', 'decisions/s'):
        if key in b:
            print(f"{kind}\t{cfg}\t{t}\t{key}\t{b[key]:.4f}\t{pol}\t{rnd}")
PYEOF
}

# peer <tag> <threads> <args...>: $PEER_SCRIPT (torch_bcq.py unless set), parse "... ms_per_iter=X ..." from
# its last line.
PEER_SCRIPT=torch_bcq.py
peer() {
  local tag=$1 t=$2; shift 2
  [ $HAVE_PEER = 1 ] || return 0
  log "peer: $tag threads=$t wait_policy=$POLICY ($*)"
  local out=$WORK/peer_${tag}_${t}_${POLICY}_$ROUND.txt
  (cd "$PEER_DIR" && GLIBC_TUNABLES=$PEER_TUNABLES OMP_NUM_THREADS=$t \
     "$PEER_PY" "$PEER_SCRIPT" --threads "$t" "$@") >"$out" 2>&1 || { log "peer failed:"; cat "$out" >&2; return 0; }
  local ms gf
  ms=$(tail -n 1 "$out" | sed -n 's/.*ms_per_iter=\([0-9.]*\).*/\1/p')
  gf=$(sed -n 's/^achieved: \([0-9.]*\) GFLOP\/s (convention).*/\1/p' "$out")
  [ -n "$ms" ] && printf 'peer\t%s\t%s\tms\t%s\t%s\t%s\n' "$tag" "$t" "$ms" "$POLICY" "$ROUND" >>"$RESULTS"
  [ -n "$gf" ] && printf 'peer\t%s\t%s\tGFLOP/s\t%s\t%s\t%s\n' "$tag" "$t" "$gf" "$POLICY" "$ROUND" >>"$RESULTS"
  BLAS_LINE=$(grep '^BLAS after warm-up' "$out" | head -1 || true)
  return 0
}

# The PyTorch no-grad equivalent of Bcq::act at the reference sizes (bench_bcq BM_BcqServe): per state,
# n = 10 latent samples z ~ N(0,1) clamped to +-0.5, decode (S+L -> 750 -> 750 -> A, tanh), perturb
# (S+A -> 400 -> 300 -> A, a + 0.15 tanh, clamp +-1), Q1 (S+A -> 400 -> 300 -> 1), argmax over the 10.
# Same networks as torch_bcq.py (nn.Linear default init; weights do not affect speed). Prints
# "serve batch=B decisions_per_s=X" for B = 256 and 1 (median of 3 timed blocks of ~1.5 s).
peer_serve() {
  local t=$1
  [ $HAVE_PEER = 1 ] || return 0
  log "peer: serving threads=$t wait_policy=$POLICY"
  local out=$WORK/peer_serve_${t}_${POLICY}_$ROUND.txt
  GLIBC_TUNABLES=$PEER_TUNABLES OMP_NUM_THREADS=$t "$PEER_PY" - "$t" >"$out" 2>&1 <<'PYEOF' || { log "peer serving failed"; cat "$out" >&2; return 0; }
import statistics, sys, time
import torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(int(sys.argv[1])); torch.manual_seed(0)
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
for B in (256, 1):
    off = 0
    for _ in range(20): act(buf[off:off + B])
    rates = []
    for _ in range(3):
        calls, t0 = 0, time.perf_counter()
        while True:
            act(buf[off:off + B]); off = (off + B) % (100_000 - B); calls += 1
            dt = time.perf_counter() - t0
            if dt > 1.5: break
        rates.append(calls * B / dt)
    print(f"serve batch={B} decisions_per_s={statistics.median(rates):.1f}")
PYEOF
  local b s
  b=$(sed -n 's/^serve batch=256 decisions_per_s=\([0-9.]*\)/\1/p' "$out")
  s=$(sed -n 's/^serve batch=1 decisions_per_s=\([0-9.]*\)/\1/p' "$out")
  [ -n "$b" ] && printf 'peer_serve\treference_batch256\t%s\tdecisions/s\t%s\t%s\t%s\n' "$t" "$b" "$POLICY" "$ROUND" >>"$RESULTS"
  [ -n "$s" ] && printf 'peer_serve\treference_single\t%s\tdecisions/s\t%s\t%s\t%s\n' "$t" "$s" "$POLICY" "$ROUND" >>"$RESULTS"
  return 0
}

# ------------------------------------------------------------------ runs
BLAS_LINE=""
ROUND=1
for ROUND in $(seq 1 "$ROUNDS"); do
for t in $THREADS; do
  if [ "$t" = 1 ]; then policies=default; else policies=$WAIT_POLICIES; fi
  for pol in $policies; do
  set_policy "$pol"
  if want bcq; then
    ours bench_bcq 'BM_BcqIteration/reference' reference "$t"
    peer reference "$t" --which bcq
    ours bench_bcq 'BM_BcqIteration/medium' medium "$t"
    peer medium "$t" --which bcq --vae-hidden 256 --actor-hidden 256,256 --critic-hidden 256,256
    ours bench_bcq 'BM_BcqIteration/tiny' tiny "$t"
    peer tiny "$t" --which bcq --vae-hidden 64 --actor-hidden 64,64 --critic-hidden 64,64 --iters 200
    ours bench_fqe 'BM_FqeStep/fqe' fqe "$t"
    peer fqe "$t" --which fqe
    # The unsplit step (gradient_shards 1) on one thread: what the default's two shards cost there.
    if [ "$t" = 1 ]; then ours bench_bcq 'BM_BcqIterationOneShard/' oneshard "$t"; fi
    ours bench_bcq 'BM_BcqServe' serve "$t"
    peer_serve "$t"
  fi
  if want baselines; then
    # One update of each baseline; the peer's TD3 figure also averages its two kinds of update.
    PEER_SCRIPT=torch_baselines.py
    for algo in td3 uwac_td3 cql_sac; do
      ours bench_baselines "BM_LearnerUpdate/$algo/" "$algo" "$t"
      peer "$algo" "$t" --which "$algo"
    done
    PEER_SCRIPT=torch_bcq.py
  fi
  done
done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average at end: $LOAD_END"

# ------------------------------------------------------------------ the table
HEADER="$WORK/header.md"
{
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; fp32 peak measured by bench_peak ($ISA FMA loop): ${PEAK1} GFLOP/s on 1 thread, ${PEAK2} GFLOP/s on 2 threads."
  echo "Source: commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- engine nets rl ope 2>/dev/null || echo ' (engine/nets/rl/ope with uncommitted changes)'). Build: $BUILD_DIR (MTF_NATIVE=$NATIVE, kernel $KERNEL). Each side at its best of $ROUNDS rounds (separate processes, ours then the peer's, interleaved). Ours: Google Benchmark, median of $REPS repetitions, OMP_NUM_THREADS=T, OMP_PROC_BIND=${OMP_PROC_BIND:-unset}. OMP_WAIT_POLICY at T > 1: each side at its best of [$WAIT_POLICIES] (named in the table; default = unset)."
  if [ $HAVE_PEER = 1 ]; then
    echo "Peer: torch $TORCH_VERSION via $PEER_PY $PEER_DIR/torch_bcq.py and torch_baselines.py --threads T (median of 5 timed blocks), GLIBC_TUNABLES=$PEER_TUNABLES; ${BLAS_LINE:-BLAS: ?}."
  else
    echo "Peer: SKIPPED — $PEER_WHY."
  fi
  echo "Load average (1, 5, 15 min): $LOAD_START at start, $LOAD_END at end. $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo "Fraction of peak = our GFLOP/s / (T x the measured 1-thread peak). GFLOP counts: the peer's convention (linear layers only, backward = 2x forward)."
} >"$HEADER"

"$PY" - "$RESULTS" "$PEAK1" "$HEADER" >"$WORK/table.md" <<'PYEOF'
import sys
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1]) if l.strip()]
peak1 = float(sys.argv[2])
# (kind, cfg, threads) -> {policy: {field: value}}
runs = {}
for kind, cfg, t, field, v, pol, rnd in rows:
    runs.setdefault((kind, cfg, int(t)), {}).setdefault((pol, rnd), {})[field] = float(v)
threads = sorted({int(r[2]) for r in rows})
def best(kind, cfg, t, key, higher_is_better=False):
    """The run under the wait policy that was best for this side: (its fields, policy) or (None, None)."""
    by_pol = {p: f for p, f in runs.get((kind, cfg, t), {}).items() if key in f}
    if not by_pol:
        return None, None
    pick = (max if higher_is_better else min)(by_pol, key=lambda p: by_pol[p][key])
    return by_pol[pick], pick[0]
def fmt(x, p=2):
    return '—' if x is None else f'{x:.{p}f}'
def tagged(x, pol, t, p=2):
    return fmt(x, p) if x is None or t == 1 else f'{fmt(x, p)} ({pol})'
out = [open(sys.argv[3]).read().rstrip('\n'), '']
out.append('| config | threads | ours ms/iter | peer ms/iter | ratio ours/peer | our GFLOP/s | peer GFLOP/s | our fraction of peak |')
out.append('|---|---|---|---|---|---|---|---|')
for cfg, kind in (('reference', 'BM_BcqIteration'), ('medium', 'BM_BcqIteration'), ('tiny', 'BM_BcqIteration'),
                  ('fqe', 'BM_FqeStep'), ('td3', 'BM_LearnerUpdate'), ('uwac_td3', 'BM_LearnerUpdate'),
                  ('cql_sac', 'BM_LearnerUpdate')):
    for t in threads:
        if (kind, cfg, t) not in runs and ('peer', cfg, t) not in runs:
            continue  # a suite that was not run
        o, opol = best(kind, cfg, t, 'ms')
        p, ppol = best('peer', cfg, t, 'ms')
        ours, peer = o and o['ms'], p and p['ms']
        gf, pgf = o and o.get('GFLOP/s'), p and p.get('GFLOP/s')
        ratio = ours / peer if ours and peer else None
        frac = gf / (t * peak1) if gf else None
        out.append(f'| {cfg} | {t} | {tagged(ours, opol, t)} | {tagged(peer, ppol, t)} | {fmt(ratio)} | {fmt(gf, 1)} | '
                   f'{fmt(pgf, 1)} | {"—" if frac is None else f"{100 * frac:.0f} %"} |')
oneshard = [(cfg, best('BM_BcqIterationOneShard', cfg, 1, 'ms')[0], best('peer', cfg, 1, 'ms')[0])
            for cfg in ('reference', 'medium', 'tiny')]
if any(o for _, o, _ in oneshard):
    out.append('')
    out.append('The same BCQ iteration unsplit (gradient_shards 1 instead of the default 2), 1 thread:')
    out.append('')
    out.append('| config | threads | ours ms/iter, 1 shard | peer ms/iter | ratio ours/peer |')
    out.append('|---|---|---|---|---|')
    for cfg, o, p in oneshard:
        ours, peer = o and o['ms'], p and p['ms']
        out.append(f'| {cfg} | 1 | {fmt(ours)} | {fmt(peer)} | {fmt(ours / peer if ours and peer else None)} |')
if not any(k == 'BM_BcqServe' for k, _, _ in runs):
    print('\n'.join(out))
    sys.exit(0)
out.append('')
out.append('Serving at the reference sizes (eq. 4: 10 VAE proposals per state, perturbed, argmax Q1), decisions/s:')
out.append('')
out.append('| mode | threads | ours decisions/s | peer (torch no_grad) decisions/s | ratio ours/peer (higher is better) |')
out.append('|---|---|---|---|---|')
for cfg, label in (('reference_batch256', 'batched, 256 states per call'), ('reference_single', 'one state per call')):
    for t in threads:
        o, opol = best('BM_BcqServe', cfg, t, 'decisions/s', higher_is_better=True)
        p, ppol = best('peer_serve', cfg, t, 'decisions/s', higher_is_better=True)
        ours, peer = o and o['decisions/s'], p and p['decisions/s']
        ratio = ours / peer if ours and peer else None
        out.append(f'| {label} | {t} | {tagged(ours, opol, t, 0)} | {tagged(peer, ppol, t, 0)} | {fmt(ratio)} |')
print('\n'.join(out))
PYEOF

cat "$WORK/table.md"
if [ -n "$OUT" ]; then
  cp "$WORK/table.md" "$OUT"
  log "table written to $OUT"
fi
