// bench/baselines_bench.cpp — one update of each offline baseline (TD3, UWAC+TD3, CQL+SAC; issue 16) at
// the reference sizes of ../shared/peers/torch_baselines.py: state 64, action 12, actor and critics
// 400-300, minibatch 256, each learner otherwise at its defaults (gradient_shards 2). The learners are
// built through the registry, as `mtf train --algo` builds them. Each update samples its minibatch from a
// 100,000-transition synthetic buffer, as the peer does. TD3's actor and target step every 2nd update
// (policy delay): the time per update averages both kinds, as the peer's figure does. Threads:
// OMP_NUM_THREADS.
#include <benchmark/benchmark.h>

#include <string>

#include "bench/synthetic_buffer.hpp"
#include "engine/threads.hpp"
#include "rl/registry.hpp"

using namespace mtf;

namespace {

constexpr Index kState = 64, kAction = 12, kBatch = 256, kBuffer = 100000;

void BM_LearnerUpdate(benchmark::State& state, const std::string& algo) {
  Rng data_rng(1);
  static const bench::SyntheticBuffer buffer(kBuffer, kState, kAction, data_rng);
  const nlohmann::json hyper = {{"state_dim", kState}, {"action_dim", kAction}, {"batch_size", kBatch},
                                {"actor_hidden", {400, 300}}, {"critic_hidden", {400, 300}}};
  std::unique_ptr<Learner> learner = make_learner(algo, hyper, "bench " + algo);
  TransitionBatch batch(kBatch, kState, kAction);
  Rng rng(2);
  for (int i = 0; i < 4; ++i) {  // warm-up: arenas and GEMM buffers reach their size (both TD3 kinds)
    buffer.sample(batch, rng);
    learner->update(batch);
  }
  for (auto _ : state) {
    buffer.sample(batch, rng);
    benchmark::DoNotOptimize(learner->update(batch));
  }
  state.counters["threads"] = num_threads();
}

}  // namespace

// An even iteration count keeps TD3's two kinds of update balanced.
BENCHMARK_CAPTURE(BM_LearnerUpdate, td3, std::string("td3"))->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(200);
BENCHMARK_CAPTURE(BM_LearnerUpdate, uwac_td3, std::string("uwac_td3"))->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(100);
BENCHMARK_CAPTURE(BM_LearnerUpdate, cql_sac, std::string("cql_sac"))->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(60);

BENCHMARK_MAIN();
