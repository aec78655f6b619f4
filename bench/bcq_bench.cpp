// bench/bcq_bench.cpp — one BatchRL-MTF (BCQ) training iteration and BCQ serving, at the
// configurations of ../shared/peers/README.md (state 64, action 12, latent 24, batch 256, n = 10):
//   reference  VAE 750,750  actor 400,300  critic 400,300
//   medium     VAE 256,256  actor 256,256  critic 256,256
//   tiny       VAE 64,64    actor 64,64    critic 64,64
// Each iteration samples its minibatch from a 100,000-transition synthetic buffer (as the PyTorch peer
// does). Threads: OMP_NUM_THREADS. The GFLOP/s counter uses the peer's FLOP convention (linear layers
// only, backward = 2x forward), so the two report comparable rates. BM_BcqIteration runs the default
// config (gradient_shards 2); BM_BcqIterationOneShard/<shape> the same with gradient_shards 1 (the
// unsplit step: what sharding costs on one thread, and what it saves on two).
#include <benchmark/benchmark.h>

#include <string>

#include "engine/threads.hpp"
#include "bench/synthetic_buffer.hpp"
#include "rl/bcq.hpp"

using namespace mtf;

namespace {

struct Shape {
  const char* name;
  Index vae, actor1, actor2, critic1, critic2;
};
constexpr Shape kShapes[] = {{"reference", 750, 400, 300, 400, 300},
                             {"medium", 256, 256, 256, 256, 256},
                             {"tiny", 64, 64, 64, 64, 64}};
constexpr Index kState = 64, kAction = 12, kBatch = 256, kSampled = 10, kBuffer = 100000;

BcqConfig config_for(const Shape& s) {
  BcqConfig c;
  c.state_dim = kState;
  c.action_dim = kAction;
  c.vae_hidden = {s.vae, s.vae};
  c.actor_hidden = {s.actor1, s.actor2};
  c.critic_hidden = {s.critic1, s.critic2};
  c.batch_size = kBatch;
  c.sampled_actions = kSampled;
  return c;
}

// The peer's FLOP model (torch_bcq.py, bcq_flops): 2 rows din dout per linear forward, x3 when trained.
double bcq_flops(const Shape& s) {
  const double M = kBatch, R = kBatch * kSampled, S = kState, A = kAction, L = 2 * kAction;
  auto lin = [](double rows, double din, double dout, bool trained) {
    return 2 * rows * din * dout * (trained ? 3 : 1);
  };
  const double H = s.vae, a1 = s.actor1, a2 = s.actor2, c1 = s.critic1, c2 = s.critic2;
  double f = 0;
  f += lin(M, S + A, H, 1) + lin(M, H, H, 1) + 2 * lin(M, H, L, 1) + lin(M, S + L, H, 1) + lin(M, H, H, 1) + lin(M, H, A, 1);
  f += lin(M, S + L, H, 0) + lin(M, H, H, 0) + lin(M, H, A, 0);
  f += lin(M, S + A, a1, 1) + lin(M, a1, a2, 1) + lin(M, a2, A, 1);
  f += lin(M, S + A, c1, 1) + lin(M, c1, c2, 1) + lin(M, c2, 1, 1);
  f += lin(R, S + L, H, 0) + lin(R, H, H, 0) + lin(R, H, A, 0);
  f += lin(R, S + A, a1, 0) + lin(R, a1, a2, 0) + lin(R, a2, A, 0);
  f += 2 * (lin(R, S + A, c1, 0) + lin(R, c1, c2, 0) + lin(R, c2, 1, 0));
  f += 2 * (lin(M, S + A, c1, 1) + lin(M, c1, c2, 1) + lin(M, c2, 1, 1));
  return f;
}

using bench::SyntheticBuffer;

void BM_BcqIteration(benchmark::State& state, Shape shape, int gradient_shards) {
  Rng data_rng(1);
  static const SyntheticBuffer buffer(kBuffer, kState, kAction, data_rng);
  BcqConfig config = config_for(shape);
  config.gradient_shards = gradient_shards;
  Bcq bcq(config);
  TransitionBatch batch(kBatch, kState, kAction);
  Rng rng(2);
  for (int i = 0; i < 3; ++i) {  // warm-up: arenas and GEMM buffers reach their size
    buffer.sample(batch, rng);
    bcq.train_iteration(batch);
  }
  for (auto _ : state) {
    buffer.sample(batch, rng);
    benchmark::DoNotOptimize(bcq.train_iteration(batch));
  }
  state.counters["GFLOP/s"] = benchmark::Counter(bcq_flops(shape) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = num_threads();
}

void BM_BcqIterationOneShard(benchmark::State& state, Shape shape, int gradient_shards) {
  BM_BcqIteration(state, shape, gradient_shards);
}

void BM_BcqServe(benchmark::State& state, Shape shape, Index states_per_call) {
  Rng data_rng(1);
  static const SyntheticBuffer buffer(kBuffer, kState, kAction, data_rng);
  Bcq bcq(config_for(shape));
  MatrixR<float> actions(states_per_call, kAction);
  Rng rng(3);
  bcq.act(buffer.all.state.data(), states_per_call, actions.data(), rng);
  Index offset = 0;
  for (auto _ : state) {
    bcq.act(buffer.all.state.data() + offset * kState, states_per_call, actions.data(), rng);
    offset = (offset + states_per_call) % (kBuffer - states_per_call);
  }
  state.counters["decisions/s"] = benchmark::Counter(double(states_per_call), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = num_threads();
}

}  // namespace

BENCHMARK_CAPTURE(BM_BcqIteration, reference, kShapes[0], 2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);
BENCHMARK_CAPTURE(BM_BcqIteration, medium, kShapes[1], 2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK_CAPTURE(BM_BcqIteration, tiny, kShapes[2], 2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK_CAPTURE(BM_BcqIterationOneShard, reference, kShapes[0], 1)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);
BENCHMARK_CAPTURE(BM_BcqIterationOneShard, medium, kShapes[1], 1)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK_CAPTURE(BM_BcqIterationOneShard, tiny, kShapes[2], 1)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK_CAPTURE(BM_BcqServe, reference_batch256, kShapes[0], 256)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_BcqServe, reference_single, kShapes[0], 1)->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK_MAIN();
