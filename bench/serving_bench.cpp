// bench/serving_bench.cpp — the serving API (serving/served_policy.hpp) at the reference sizes of
// ../shared/peers/README.md: a BCQ policy with a 750-750 VAE decoder, 400-300 perturbation net and Q1,
// state 64, action 12, n = 10 proposals per state (eq. 4), exported and loaded as a serving binary would.
//
//   BM_Serve/single    one state per call: decisions/s, and each call's latency (p50, p99, in µs)
//   BM_Serve/batch256  256 states per call: decisions/s (and the per-call latency)
// Callers: "threads:1" is one caller whose kernels use OMP_NUM_THREADS threads (as the PyTorch peer's
// one caller with torch.set_num_threads); "threads:2" is two concurrent callers, each with its own
// Scratch and one OpenMP thread (a serving process with two request threads). decisions/s is the total
// over the callers; p50 and p99 are each caller's, averaged over the callers. p50_cpu_us and p99_cpu_us
// are the same percentiles of each call's CPU time on its calling thread (CLOCK_THREAD_CPUTIME_ID): on a
// loaded machine the wall-clock p99 is mostly time the caller was not running (a preemption costs a
// scheduler quantum, ~4 ms), which the CPU time leaves out; with 1 kernel thread it is the library's
// own tail (cache and TLB misses, page faults). With more kernel threads it misses the helpers' time.
// p99_quiet_cpu_us: the CPU-time p99 of the calls during which, and during the call before which, the
// caller was never switched out (getrusage context switches): no cache refilled after another process.
#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "engine/threads.hpp"
#include "rl/bcq.hpp"
#include "serving/served_policy.hpp"

using namespace mtf;

namespace {

constexpr int kState = 64, kAction = 12, kStates = 100000;

const ServedPolicy& reference_policy() {
  static const ServedPolicy policy = [] {
    BcqConfig c;  // the defaults are the reference sizes: VAE 750-750, actor and critic 400-300, n = 10
    c.state_dim = kState;
    c.action_dim = kAction;
    const Bcq bcq(c);
    const std::vector<double> low(kAction, 0.0), high(kAction, 1.0);
    return ServedPolicy::from_bytes(bcq.export_policy(low, high).to_bytes(), "reference");
  }();
  return policy;
}

const std::vector<float>& state_pool() {
  static const std::vector<float> pool = [] {
    Rng rng(1);
    std::vector<float> s(std::size_t(kStates) * kState);
    rng.fill_normal(s.data(), s.size());
    return s;
  }();
  return pool;
}

double thread_cpu_micros() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e6 + double(t.tv_nsec) * 1e-3;
}

long context_switches() {
  rusage r;
  getrusage(RUSAGE_THREAD, &r);
  return r.ru_nvcsw + r.ru_nivcsw;
}

double percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const std::size_t k = std::size_t(q * double(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
  return v[k];
}

void BM_Serve(benchmark::State& state, int states_per_call) {
  const ServedPolicy& policy = reference_policy();
  const std::vector<float>& pool = state_pool();
  if (state.threads() > 1) set_num_threads(1);  // concurrent callers: one kernel thread each
  ServedPolicy::Scratch scratch(1000 + std::uint64_t(state.thread_index()));
  std::vector<float> actions(std::size_t(states_per_call) * kAction), alphas(actions.size());
  std::vector<double> micros, cpu_micros, quiet_cpu_micros;
  micros.reserve(1 << 20);  // per-call latencies, recorded without allocating in the loop
  cpu_micros.reserve(1 << 20);
  quiet_cpu_micros.reserve(1 << 20);
  long offset = long(state.thread_index()) * 7919 % (kStates - states_per_call);
  for (int i = 0; i < 10; ++i)  // warm-up: the tape and the GEMM buffers reach their size
    policy.decide(pool.data() + offset * kState, states_per_call, actions.data(), alphas.data(), scratch);
  long switches = context_switches();
  bool previous_quiet = false;
  for (auto _ : state) {
    const double c0 = thread_cpu_micros();
    const auto t0 = std::chrono::steady_clock::now();
    policy.decide(pool.data() + offset * kState, states_per_call, actions.data(), alphas.data(), scratch);
    const auto t1 = std::chrono::steady_clock::now();
    const double c1 = thread_cpu_micros();
    const long now = context_switches();
    const bool quiet = now == switches;  // (the count also covers the timing calls around decide)
    if (micros.size() < micros.capacity()) {
      micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      cpu_micros.push_back(c1 - c0);
      if (quiet && previous_quiet) quiet_cpu_micros.push_back(c1 - c0);
    }
    switches = now;
    previous_quiet = quiet;
    offset = (offset + states_per_call) % (kStates - states_per_call);
  }
  // Google Benchmark sums a counter over the callers and multiplies an iteration-invariant one by the
  // iterations of ALL callers, so without kAvgThreads two callers would count every call twice (the
  // tables before 2026-12-02 did: their "2 x 1" rates were twice the true ones). With it: total decisions
  // over all callers / the run's wall time.
  state.counters["decisions/s"] = benchmark::Counter(
      double(states_per_call), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kAvgThreads);
  state.counters["p50_us"] = benchmark::Counter(percentile(micros, 0.50), benchmark::Counter::kAvgThreads);
  state.counters["p99_us"] = benchmark::Counter(percentile(micros, 0.99), benchmark::Counter::kAvgThreads);
  state.counters["p50_cpu_us"] = benchmark::Counter(percentile(cpu_micros, 0.50), benchmark::Counter::kAvgThreads);
  state.counters["p99_cpu_us"] = benchmark::Counter(percentile(cpu_micros, 0.99), benchmark::Counter::kAvgThreads);
  state.counters["p99_quiet_cpu_us"] =
      benchmark::Counter(percentile(quiet_cpu_micros, 0.99), benchmark::Counter::kAvgThreads);
  state.counters["omp_threads"] = benchmark::Counter(num_threads(), benchmark::Counter::kAvgThreads);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Serve, single, 1)->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(2.0)->Threads(1)->Threads(2);
BENCHMARK_CAPTURE(BM_Serve, batch256, 256)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0)->Threads(1)->Threads(2);

BENCHMARK_MAIN();
