// bench/sim/sim_bench.cpp — how fast the simulator and its data path are (default config, S = 64).
//
//   BM_SimulatorStep        one session stepped on one thread: the cost of one request (50 candidates,
//                           12 MTL predictions each, fusion, feedback, hidden dynamics)
//   BM_LockStepRollouts     true_value over 512 starts: lock-step batches, OpenMP over sessions
//                           (threads from OMP_NUM_THREADS)
//   BM_LogWrite/BM_LogRead  JSON Lines writer and strict reader on a 20,000-step log (transitions/s)
//   BM_LogReadCached        the same log through the validated binary cache
//   BM_BuildTransitions     rewards from raw feedback and (s, a, r, s', done) rows
//   BM_ReplaySample         a 256-transition minibatch from a full 100,000 window
#include <benchmark/benchmark.h>

#include <cstdio>

#include "rl/data/dataset.hpp"
#include "rl/data/replay_buffer.hpp"
#include "rl/sim/rollout.hpp"

using namespace mtf;
using namespace mtf::sim;

namespace {

const Simulator& sim() {
  static const Simulator s{SimConfig{}};
  return s;
}

const SessionLog& sample_log() {
  static const SessionLog log = [] {
    RolloutOptions opt;
    opt.record = true;
    DaysOptions days;
    days.users.resize(1000);
    for (int i = 0; i < 1000; ++i) days.users[i] = i;
    days.days = 2;
    SessionLog l = simulate_days(sim(), make_behaviour_policy("mixed", Action{}), days, opt).log;
    std::size_t n = 0;
    std::int64_t steps = 0;
    while (n < l.sessions.size() && steps < 20000) steps += l.sessions[n++].length();
    l.keep_first_sessions(n);
    return l;
  }();
  return log;
}

void BM_SimulatorStep(benchmark::State& state) {
  const float action[kActionDim] = {};
  std::int64_t steps = 0;
  std::uint64_t seed = 1;
  Session s = sim().begin(sim().fresh_start(0), seed);
  for (auto _ : state) {
    if (s.done) {
      ++seed;
      s = sim().begin(sim().fresh_start(static_cast<int>(seed % sim().num_users())), seed);
    }
    benchmark::DoNotOptimize(sim().step(s, action));
    ++steps;
  }
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulatorStep);

void BM_LockStepRollouts(benchmark::State& state) {
  ConstantPolicy policy(Action{});
  const auto starts = random_starts(sim(), 512, 3);
  RolloutOptions opt;
  double steps = 0;
  std::uint64_t seed = 0;
  for (auto _ : state) {
    const ValueEstimate v = true_value(sim(), policy, starts, ++seed, opt);
    steps += v.mean_length * starts.size();
  }
  state.counters["steps/s"] = benchmark::Counter(steps, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LockStepRollouts)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_LogWrite(benchmark::State& state) {
  const SessionLog& log = sample_log();
  for (auto _ : state) write_session_log(log, "bench_sim_log.jsonl");
  state.counters["transitions/s"] =
      benchmark::Counter(static_cast<double>(log.num_steps()) * state.iterations(), benchmark::Counter::kIsRate);
  std::remove("bench_sim_log.jsonl");
}
BENCHMARK(BM_LogWrite)->Unit(benchmark::kMillisecond);

void BM_LogRead(benchmark::State& state) {
  const SessionLog& log = sample_log();
  write_session_log(log, "bench_sim_read.jsonl");
  for (auto _ : state) benchmark::DoNotOptimize(read_session_log("bench_sim_read.jsonl"));
  state.counters["transitions/s"] =
      benchmark::Counter(static_cast<double>(log.num_steps()) * state.iterations(), benchmark::Counter::kIsRate);
  std::remove("bench_sim_read.jsonl");
}
BENCHMARK(BM_LogRead)->Unit(benchmark::kMillisecond);

void BM_LogReadCached(benchmark::State& state) {
  const SessionLog& log = sample_log();
  write_session_log(log, "bench_sim_cached.jsonl");
  read_session_log_cached("bench_sim_cached.jsonl");  // builds the cache
  for (auto _ : state) benchmark::DoNotOptimize(read_session_log_cached("bench_sim_cached.jsonl"));
  state.counters["transitions/s"] =
      benchmark::Counter(static_cast<double>(log.num_steps()) * state.iterations(), benchmark::Counter::kIsRate);
  std::remove("bench_sim_cached.jsonl");
  std::remove("bench_sim_cached.jsonl.cache");
}
BENCHMARK(BM_LogReadCached)->Unit(benchmark::kMillisecond);

void BM_BuildTransitions(benchmark::State& state) {
  const SessionLog& log = sample_log();
  const RewardWeights w = reward_preset("default");
  for (auto _ : state) benchmark::DoNotOptimize(build_transitions(log, w));
  state.counters["transitions/s"] =
      benchmark::Counter(static_cast<double>(log.num_steps()) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BuildTransitions)->Unit(benchmark::kMillisecond);

void BM_ReplaySample(benchmark::State& state) {
  const int s_dim = 64, m = 256;
  ReplayBuffer buffer(s_dim);
  std::vector<float> s(s_dim, 0.5f), a(kActionDim, 0.1f);
  for (int i = 0; i < 100000; ++i) buffer.add(s.data(), a.data(), 1.0f, s.data(), i % 12 == 0);
  TransitionBatch batch(m, s_dim, kActionDim);
  mtf::Rng rng(1);
  for (auto _ : state) {
    buffer.sample(rng, batch);
    benchmark::DoNotOptimize(batch.state.data());
  }
  state.counters["transitions/s"] = benchmark::Counter(static_cast<double>(m) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReplaySample);

}  // namespace

BENCHMARK_MAIN();
