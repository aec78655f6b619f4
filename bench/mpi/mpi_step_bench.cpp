// bench/mpi/mpi_step_bench.cpp — the gradient exchange of one data-parallel BCQ iteration
// (engine/distributed.hpp, engine/sharded_step.hpp) against the iteration itself, at bench/bcq_bench.cpp's
// shapes (state 64, action 12, latent 24, batch 256, n = 10; reference VAE 750,750, actor and critic
// 400,300). Built only with -DMTF_MPI=ON. Run it under mpirun, e.g.
//   OMP_NUM_THREADS=1 mpirun -np 2 build-mpi/bench/bench_mpi_step
// (np 1 gives the one-process iteration, whose exchange is a no-op). Each process runs 2 gradient shards,
// as the default config does in one process (gradient_shards = 2 x processes in all).
//   BM_Exchange/<shape>   what a step exchanges: the all-gather of every network's shard gradients (VAE,
//                         perturbation, twin critics: one message each), the per-shard statistics and the
//                         two per-row outputs behind the metrics. Counters: MB each process receives per
//                         step, and the parameters per network summed.
//   BM_Iteration/<shape>  one whole BCQ iteration (minibatch sampled from a synthetic buffer), exchange
//                         included.
//   BM_Sample/whole:0|1   a minibatch drawn from a window held in parts (the sharded-data exchange) or
//                         whole on every process (no exchange).
//   BM_SumAndUpdate/<shape>/<shards>  the part every rank repeats whole, whatever the process count: all
//                         shards of the three networks summed in shard order, then Adam (one thread). It
//                         grows with the total shard count: the cost model's replicated term
//                         (docs/scale-out.md).
// Every rank runs every benchmark in lockstep (the exchanges are collective), so iteration counts are fixed
// rather than chosen by the library's timer (ranks timing differently would wait for each other forever);
// rank 0 reports, the others report nowhere.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "bench/synthetic_buffer.hpp"
#include "engine/adam.hpp"
#include "engine/distributed.hpp"
#include "nets/critic.hpp"
#include "nets/perturbation.hpp"
#include "nets/vae.hpp"
#include "rl/bcq.hpp"
#include "rl/data/replay_buffer.hpp"

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
constexpr int kShardsPerProcess = 2;

int total_shards() { return kShardsPerProcess * ProcessGroup::world().size(); }

BcqConfig config_for(const Shape& s) {
  BcqConfig c;
  c.state_dim = kState;
  c.action_dim = kAction;
  c.vae_hidden = {s.vae, s.vae};
  c.actor_hidden = {s.actor1, s.actor2};
  c.critic_hidden = {s.critic1, s.critic2};
  c.batch_size = kBatch;
  c.sampled_actions = kSampled;
  c.gradient_shards = total_shards();
  return c;
}

// The exchange of one BCQ iteration, as ShardedStep does it: one all-gather of the shard block per
// network, then the statistics (BCQ's six floats per shard) and q1 / target y (one float per row each).
void BM_Exchange(benchmark::State& state, Shape shape) {
  const ProcessGroup& world = ProcessGroup::world();
  const int shards = total_shards();
  Rng rng(1);
  ConditionalVae<float> vae(VaeSpec{kState, kAction, 2 * kAction, {shape.vae, shape.vae}}, rng);
  Perturbation<float> actor(PerturbationSpec{kState, kAction, {shape.actor1, shape.actor2}, 0.15}, rng);
  TwinCritic<float> critic(CriticSpec{kState, kAction, {shape.critic1, shape.critic2}}, rng);
  std::vector<Parameters<float>*> nets{&vae.params(), &actor.params(), &critic.params()};
  double parameters = 0, received = 0;
  for (Parameters<float>* p : nets) {
    p->set_gradient_shards(std::size_t(shards));
    parameters += double(p->size());
    received += double(shards - world.owned(shards).size()) * double(p->shard_stride()) * sizeof(float);
  }
  std::vector<float> stats(std::size_t(shards) * 6), rows(kBatch);
  for (int i = 0; i < 3; ++i)
    for (Parameters<float>* p : nets) world.allgather_rows(p->grads(0), shards, Index(p->shard_stride()), shards);
  world.barrier();
  for (auto _ : state) {
    for (Parameters<float>* p : nets) world.allgather_rows(p->grads(0), shards, Index(p->shard_stride()), shards);
    world.allgather_rows(stats.data(), shards, 6, shards);
    world.allgather_rows(rows.data(), kBatch, 1, shards);
    world.allgather_rows(rows.data(), kBatch, 1, shards);
  }
  state.counters["processes"] = world.size();
  state.counters["shards"] = shards;
  state.counters["params"] = parameters;
  state.counters["MB_received"] = received * 1e-6;
}

void BM_Iteration(benchmark::State& state, Shape shape) {
  Rng data_rng(1);
  static const bench::SyntheticBuffer buffer(kBuffer, kState, kAction, data_rng);
  Bcq bcq(config_for(shape));
  TransitionBatch batch(kBatch, kState, kAction);
  Rng rng(2);  // the same on every rank: the same minibatches
  for (int i = 0; i < 3; ++i) {
    buffer.sample(batch, rng);
    bcq.train_iteration(batch);
  }
  ProcessGroup::world().barrier();
  for (auto _ : state) {
    buffer.sample(batch, rng);
    benchmark::DoNotOptimize(bcq.train_iteration(batch));
  }
  state.counters["processes"] = ProcessGroup::world().size();
  state.counters["shards"] = total_shards();
  state.counters["threads"] = num_threads();
}

void BM_SumAndUpdate(benchmark::State& state, Shape shape) {
  const int shards = int(state.range(0));
  Rng rng(1);
  ConditionalVae<float> vae(VaeSpec{kState, kAction, 2 * kAction, {shape.vae, shape.vae}}, rng);
  Perturbation<float> actor(PerturbationSpec{kState, kAction, {shape.actor1, shape.actor2}, 0.15}, rng);
  TwinCritic<float> critic(CriticSpec{kState, kAction, {shape.critic1, shape.critic2}}, rng);
  std::vector<Parameters<float>*> nets{&vae.params(), &actor.params(), &critic.params()};
  std::vector<Adam<float>> opts;
  for (Parameters<float>* p : nets) {
    p->set_gradient_shards(std::size_t(shards));
    for (int k = 0; k < shards; ++k)
      for (std::size_t i = 0; i < p->size(); ++i) p->grads(std::size_t(k))[i] = 1e-3f * float(i % 7);
    opts.emplace_back(p->size(), AdamConfig{1e-4});
  }
  for (auto _ : state)
    for (std::size_t n = 0; n < nets.size(); ++n) {
      opts[n].advance();
      opts[n].sum_shards_and_update(*nets[n], 1, 0);
    }
  state.counters["shards"] = shards;
}

// Sharded data (rl/data/train_window.hpp): drawing one minibatch of 256 from a window of 100,000
// transitions (state 64) that the processes hold in equal contiguous parts — each copies the rows it
// holds, then one all-gather of those rows completes the minibatch (256 rows x 142 words, 145 KB in all,
// of which a process receives the (N-1)/N it does not hold). With
// whole = 1, every process holds the whole window and draws alone (no exchange): slice 1's sampling.
void BM_Sample(benchmark::State& state) {
  const ProcessGroup& world = ProcessGroup::world();
  const bool whole = state.range(0) != 0;
  const Range part = split_range(kBuffer, world.size(), world.rank());
  std::vector<std::int64_t> starts;
  for (int r = 0; r < world.size(); ++r) starts.push_back(split_range(kBuffer, world.size(), r).begin);
  starts.push_back(kBuffer);
  ReplayBuffer buffer = whole ? ReplayBuffer(int(kState), kBuffer, int(kAction))
                              : ReplayBuffer::shard(int(kState), kBuffer, int(kAction), world, starts);
  Rng data_rng(std::uint64_t(1 + (whole ? 0 : world.rank())));
  std::vector<float> s(kState), a(kAction);
  for (Index i = 0; i < (whole ? kBuffer : part.size()); ++i) {
    for (float& x : s) x = float(data_rng.normal());
    for (float& x : a) x = float(data_rng.uniform(-1, 1));
    buffer.add(s.data(), a.data(), float(data_rng.normal()), s.data(), data_rng.bernoulli(0.1));
  }
  TransitionBatch batch(kBatch, kState, kAction);
  Rng rng(2);  // the same on every rank: the same draws
  for (int i = 0; i < 10; ++i) buffer.sample(rng, batch);
  world.barrier();
  for (auto _ : state) buffer.sample(rng, batch);
  state.counters["processes"] = world.size();
  state.counters["KB_received"] =
      whole ? 0.0 : double(kBatch * (2 * kState + kAction + 2) * 4) * 1e-3 * double(world.size() - 1) / world.size();
}

class NullReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace

BENCHMARK_CAPTURE(BM_Exchange, reference, kShapes[0])->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(300);
BENCHMARK_CAPTURE(BM_Exchange, medium, kShapes[1])->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(500);
BENCHMARK_CAPTURE(BM_Exchange, tiny, kShapes[2])->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2000);
BENCHMARK_CAPTURE(BM_SumAndUpdate, reference, kShapes[0])->Arg(2)->Arg(4)->Arg(8)->Arg(16)->Unit(benchmark::kMillisecond)
    ->UseRealTime()->Iterations(100);
BENCHMARK(BM_Sample)->ArgName("whole")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime()->Iterations(3000);
BENCHMARK_CAPTURE(BM_Iteration, reference, kShapes[0])->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(60);
BENCHMARK_CAPTURE(BM_Iteration, medium, kShapes[1])->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(200);
BENCHMARK_CAPTURE(BM_Iteration, tiny, kShapes[2])->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1000);

int main(int argc, char** argv) {
  MpiSession mpi(argc, argv);
  benchmark::Initialize(&argc, argv);
  NullReporter quiet;
  if (ProcessGroup::world().rank() == 0) benchmark::RunSpecifiedBenchmarks();
  else benchmark::RunSpecifiedBenchmarks(&quiet);
  benchmark::Shutdown();
  return 0;
}
