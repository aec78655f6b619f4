// bench/fqe_bench.cpp — one Conservative-OPEstimator step (ConservativeFqe::step: CQL-regularized FQE,
// ope/fqe.hpp) at the PyTorch peer's FQE configuration (../shared/peers/README.md, torch_bcq.py --which fqe):
//   state 64, action 12, Q 256,256 (ReLU), minibatch m = 512, gamma 0.95, alpha 5e-4, Adam lr 1e-4,
//   target refreshed every 10 steps by a soft update with eta 0.05 (the peer's settings).
// Each iteration, as the peer's FQE.train_step does, samples its minibatch uniformly (with replacement) from
// a 100,000-transition synthetic buffer and computes the evaluation policy's actions pi_e(s) and pi_e(s')
// with a no-grad MLP like the peer's pi_e: S -> 256 (ReLU) -> A (tanh). Both are inside the timed loop.
// Threads: OMP_NUM_THREADS. The GFLOP/s counter uses the peer's FLOP convention (fqe_flops: linear layers
// only, backward = 2x forward), so both report comparable rates. Rerun with
//   OMP_NUM_THREADS=1 build/bench/bench_fqe --benchmark_filter=BM_FqeStep/fqe
#include <benchmark/benchmark.h>

#include "engine/tape.hpp"
#include "engine/threads.hpp"
#include "nets/mlp.hpp"
#include "bench/synthetic_buffer.hpp"
#include "ope/fqe.hpp"

using namespace mtf;

namespace {

constexpr Index kState = 64, kAction = 12, kHidden1 = 256, kHidden2 = 256, kBatch = 512, kBuffer = 100000;

// The peer's FLOP model (torch_bcq.py, fqe_flops, "convention" column): 2 rows din dout per linear
// forward, x3 for a trained layer.
double fqe_flops() {
  const double m = kBatch, S = kState, A = kAction, h1 = kHidden1, h2 = kHidden2;
  auto lin = [](double rows, double din, double dout, bool trained) {
    return 2 * rows * din * dout * (trained ? 3 : 1);
  };
  double f = 0;
  f += 2 * (lin(m, S, h1, 0) + lin(m, h1, A, 0));                       // pi_e(s), pi_e(s')
  f += lin(m, S + A, h1, 0) + lin(m, h1, h2, 0) + lin(m, h2, 1, 0);     // Q_target(s', pi_e(s'))
  f += 2 * (lin(m, S + A, h1, 1) + lin(m, h1, h2, 1) + lin(m, h2, 1, 1));  // Q(s, a), Q(s, pi_e(s))
  return f;
}

using bench::SyntheticBuffer;

// The peer's pi_e: a deterministic, frozen MLP evaluated without gradients. pi_e(s) and pi_e(s') are
// independent passes: with two threads each runs on its own (engine/threads.hpp, run_team), as the
// peer's intra-op threads split its two passes.
struct EvalPolicy {
  Mlp<float> net;
  Tape<float> tapes[2];
  explicit EvalPolicy(Rng& rng) : net(MlpSpec{kState, {kHidden1, kAction}, Activation::Relu, Activation::Tanh}, rng) {}
  void act(const MatrixR<float>* const states[2], MatrixR<float>* const actions[2]) {
    run_team(2, [&](int team, int member) {
      for (int k = member; k < 2; k += team) {
        Tape<float>& tape = tapes[k];
        tape.reset();
        NoGradScope<float> no_grad(tape);
        const Var a = net.forward(tape, tape.input(*states[k]), ParamGrad::Skip);
        *actions[k] = tape.value(a);  // same shape every call: no allocation
      }
    });
  }
};

FqeConfig peer_config() {
  FqeConfig c;
  c.hidden = {kHidden1, kHidden2};
  c.batch_size = int(kBatch);
  c.lr = 1e-4;
  c.gamma = 0.95;
  c.alpha = 5e-4;
  c.target_period = 10;
  c.target_eta = 0.05;
  c.seed = 1;
  return c;
}

void BM_FqeStep(benchmark::State& state) {
  Rng data_rng(1);
  static const SyntheticBuffer buffer(kBuffer, kState, kAction, data_rng);
  ConservativeFqe fqe(peer_config(), kState, kAction);
  Rng policy_rng(7);
  EvalPolicy pi_e(policy_rng);
  TransitionBatch batch(kBatch, kState, kAction);
  MatrixR<float> pi_s(kBatch, kAction), pi_next(kBatch, kAction);
  const MatrixR<float>* const states[2] = {&batch.state, &batch.next_state};
  MatrixR<float>* const actions[2] = {&pi_s, &pi_next};
  Rng rng(2);
  for (int i = 0; i < 3; ++i) {  // warm-up: arenas and GEMM buffers reach their size
    buffer.sample(batch, rng);
    pi_e.act(states, actions);
    fqe.step(batch, pi_s, pi_next);
  }
  for (auto _ : state) {
    buffer.sample(batch, rng);
    pi_e.act(states, actions);
    benchmark::DoNotOptimize(fqe.step(batch, pi_s, pi_next));
  }
  state.counters["GFLOP/s"] = benchmark::Counter(fqe_flops() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = num_threads();
}

}  // namespace

BENCHMARK(BM_FqeStep)->Name("BM_FqeStep/fqe")->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

BENCHMARK_MAIN();
