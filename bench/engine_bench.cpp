// bench/engine_bench.cpp — the engine's kernels at BCQ's real shapes (batch 256).
//
//   BM_LinearForward/<in>x<out>        y = x W^T + b through ops::linear on a Tape (no-grad path)
//   BM_LinearForwardNaive/<in>x<out>   the same with mtf::gemm_naive (textbook triple loop) + bias
//   BM_LinearBackward/<in>x<out>       dx += dy W and dW += dy^T x, db += colsum(dy) (ops::linear backward)
//   BM_LinearBackwardNaive/<in>x<out>  the same two products with mtf::gemm_naive
//   BM_Gemm/<what>/<kernel>           one GEMM at a BCQ product shape, kernel = own (mtf::gemm: the AVX-512
//                                      kernel where it applies) or eigen (mtf::gemm_eigen), side by side
//   BM_MlpTrainStep/<widths>           tape.reset, zero_grad, forward, MSE, backward, Adam step
//   BM_MlpForwardNoGrad/<widths>       the no-grad forward of a target computation (2,560 rows)
//
// Counters: GFLOP/s from the GEMM flops of one iteration (2 m n k per product; bias adds, activations and
// Adam not counted), items_per_second = samples per second, and "threads" = the engine's thread count.
// The thread count comes from OMP_NUM_THREADS (the engine uses omp_get_max_threads()); every benchmark
// uses real time. The naive kernels are single-threaded whatever OMP_NUM_THREADS says, and run for a
// short minimum time (0.1 s) so the whole binary finishes in about 15 s. Results: docs/engine-bench.md.
//
//   OMP_NUM_THREADS=1 ./bench/bench_engine      OMP_NUM_THREADS=2 ./bench/bench_engine
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "engine/adam.hpp"
#include "engine/gemm.hpp"
#include "engine/ops.hpp"
#include "engine/threads.hpp"
#include "nets/mlp.hpp"

using namespace mtf;

namespace {

constexpr Index kBatch = 256;

struct LinearShape {
  Index in, out;
};
// BCQ: the VAE's 76 -> 750 -> 750 (state 64 + action 12 in), the actor's/critic's 76 -> 400 -> 300 -> 12.
const LinearShape kShapes[] = {{76, 750}, {750, 750}, {76, 400}, {400, 300}, {300, 12}};

MatrixR<float> normal(Index rows, Index cols, Rng& rng) {
  MatrixR<float> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = float(rng.normal());
  return m;
}

void set_counters(benchmark::State& state, double flops_per_iter, Index samples_per_iter) {
  state.counters["GFLOP/s"] = benchmark::Counter(flops_per_iter * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = num_threads();
  state.SetItemsProcessed(state.iterations() * samples_per_iter);
}

/// A linear layer's parameters (W (out, in), then b) in one flat buffer, initialized like nn.Linear.
struct LinearFixture {
  Parameters<float> params;
  Linear<float> layer;
  MatrixR<float> x, dy;
  explicit LinearFixture(LinearShape s) : layer(params, "fc", s.in, s.out) {
    Rng rng(1);
    layer.init(params, rng);
    x = normal(kBatch, s.in, rng);
    dy = normal(kBatch, s.out, rng);
  }
};

// ----------------------------------------------------------------------------------- linear forward

void BM_LinearForward(benchmark::State& state, LinearShape s) {
  LinearFixture f(s);
  Tape<float> tape;
  NoGradScope<float> no_grad(tape);
  for (auto _ : state) {
    tape.reset();
    Var y = f.layer.forward(tape, f.params, tape.input(f.x));
    benchmark::DoNotOptimize(tape.value(y).data());
    benchmark::ClobberMemory();
  }
  set_counters(state, 2.0 * kBatch * s.in * s.out, kBatch);
}

void BM_LinearForwardNaive(benchmark::State& state, LinearShape s) {
  LinearFixture f(s);
  MatrixR<float> y(kBatch, s.out);
  const float* w = f.params.values();
  Eigen::Map<const Eigen::RowVectorXf> bias(w + s.out * s.in, s.out);
  for (auto _ : state) {
    gemm_naive(Trans::No, Trans::Yes, kBatch, s.out, s.in, f.x.data(), s.in, w, s.in, y.data(), s.out, false);
    y.rowwise() += bias;
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, 2.0 * kBatch * s.in * s.out, kBatch);
}

// ---------------------------------------------------------------------------------- linear backward

// Times ops::linear's backward alone: the forward is recorded once, then backward_from runs the layer's
// backward each iteration (input gradient and weight/bias gradients accumulate; values grow linearly,
// which does not change the work).
void BM_LinearBackward(benchmark::State& state, LinearShape s) {
  LinearFixture f(s);
  Tape<float> tape;
  Var xv = tape.input(f.x, /*requires_grad=*/true);
  Var y = f.layer.forward(tape, f.params, xv);
  tape.grad(y) = f.dy;
  f.params.zero_grad();
  for (auto _ : state) {
    tape.backward_from(y);
    benchmark::DoNotOptimize(tape.grad(xv).data());
    benchmark::DoNotOptimize(f.params.grads());
    benchmark::ClobberMemory();
  }
  set_counters(state, 4.0 * kBatch * s.in * s.out, kBatch);
}

void BM_LinearBackwardNaive(benchmark::State& state, LinearShape s) {
  LinearFixture f(s);
  MatrixR<float> dx = MatrixR<float>::Zero(kBatch, s.in);
  const float* w = f.params.values();
  float* gw = f.params.grads();
  Eigen::Map<Eigen::RowVectorXf> gb(gw + s.out * s.in, s.out);
  f.params.zero_grad();
  for (auto _ : state) {
    // dx += dy W   (B, out) x (out, in);   dW += dy^T x   (out, B) x (B, in);   db += colsum(dy)
    gemm_naive(Trans::No, Trans::No, kBatch, s.in, s.out, f.dy.data(), s.out, w, s.in, dx.data(), s.in, true);
    gemm_naive(Trans::Yes, Trans::No, s.out, s.in, kBatch, f.dy.data(), s.out, f.x.data(), s.in, gw, s.in, true);
    gb += f.dy.colwise().sum();
    benchmark::DoNotOptimize(dx.data());
    benchmark::DoNotOptimize(gw);
    benchmark::ClobberMemory();
  }
  set_counters(state, 4.0 * kBatch * s.in * s.out, kBatch);
}

// -------------------------------------------------------------------------------------- MLP step

/// GEMM flops of one training step: forward 2 B sum(in*out); weight gradients the same again; input
/// gradients for every layer but the first (the data needs none).
double mlp_step_flops(const MlpSpec& spec, Index batch) {
  double sum = 0, first = 0;
  Index in = spec.in;
  for (std::size_t i = 0; i < spec.widths.size(); ++i) {
    const double f = double(in) * double(spec.widths[i]);
    sum += f;
    if (i == 0) first = f;
    in = spec.widths[i];
  }
  return 2.0 * batch * (3.0 * sum - first);
}

double mlp_forward_flops(const MlpSpec& spec, Index batch) {
  double sum = 0;
  Index in = spec.in;
  for (Index w : spec.widths) {
    sum += double(in) * double(w);
    in = w;
  }
  return 2.0 * batch * sum;
}

void BM_MlpTrainStep(benchmark::State& state, MlpSpec spec) {
  Rng rng(2);
  Mlp<float> net(spec, rng);
  Adam<float> adam(net.params().size(), AdamConfig{});
  Tape<float> tape;
  const MatrixR<float> x = normal(kBatch, spec.in, rng);
  const MatrixR<float> y = normal(kBatch, spec.widths.back(), rng);
  for (auto _ : state) {
    tape.reset();
    net.params().zero_grad();
    Var loss = ops::mse(tape, net.forward(tape, tape.input(x)), tape.input(y));
    tape.backward(loss);
    adam.step(net.params());
    benchmark::DoNotOptimize(tape.scalar(loss));
  }
  set_counters(state, mlp_step_flops(spec, kBatch), kBatch);
}

void BM_MlpForwardNoGrad(benchmark::State& state, MlpSpec spec, Index rows) {
  Rng rng(3);
  Mlp<float> net(spec, rng);
  Tape<float> tape;
  NoGradScope<float> no_grad(tape);
  const MatrixR<float> x = normal(rows, spec.in, rng);
  for (auto _ : state) {
    tape.reset();
    Var out = net.forward(tape, tape.input(x));
    benchmark::DoNotOptimize(tape.value(out).data());
    benchmark::ClobberMemory();
  }
  set_counters(state, mlp_forward_flops(spec, rows), rows);
}

// ------------------------------------------------------------------------------------------ GEMM

struct GemmShape {
  const char* what;
  Index m, n, k;
  Trans ta, tb;
};
// The products of one reference BCQ iteration that carry most of its FLOPs.
const GemmShape kGemmShapes[] = {
    {"target_750x750_rows2560", 2560, 750, 750, Trans::No, Trans::Yes},  // decoder layer 2, target pass
    {"target_88x750_rows2560", 2560, 750, 88, Trans::No, Trans::Yes},    // decoder layer 1, target pass
    {"target_400x300_rows2560", 2560, 300, 400, Trans::No, Trans::Yes},  // actor'/critic' layer 2
    {"forward_750x750_rows256", 256, 750, 750, Trans::No, Trans::Yes},   // VAE layer 2 forward
    {"dx_750x750_rows256", 256, 750, 750, Trans::No, Trans::No},         // its input gradient
    {"dW_750x750_rows256", 750, 750, 256, Trans::Yes, Trans::No},        // its weight gradient
    {"forward_256x256_rows512", 512, 256, 256, Trans::No, Trans::Yes},   // the FQE step's Q layer 2
    {"forward_64x64_rows256", 256, 64, 64, Trans::No, Trans::Yes},       // the tiny configuration
    {"head_300x12_rows2560", 2560, 12, 300, Trans::No, Trans::Yes},      // actor' output layer (target)
    {"head_750x24_rows256", 256, 24, 750, Trans::No, Trans::Yes},        // VAE mean / log_std heads
};

void BM_Gemm(benchmark::State& state, GemmShape s, bool own) {
  Rng rng(4);
  const MatrixR<float> a = s.ta == Trans::No ? normal(s.m, s.k, rng) : normal(s.k, s.m, rng);
  const MatrixR<float> b = s.tb == Trans::No ? normal(s.k, s.n, rng) : normal(s.n, s.k, rng);
  MatrixR<float> c(s.m, s.n);
  for (auto _ : state) {
    if (own)
      gemm<float>(s.ta, s.tb, s.m, s.n, s.k, a.data(), a.cols(), b.data(), b.cols(), c.data(), s.n, false);
    else
      gemm_eigen<float>(s.ta, s.tb, s.m, s.n, s.k, a.data(), a.cols(), b.data(), b.cols(), c.data(), s.n, false);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, 2.0 * double(s.m) * double(s.n) * double(s.k), s.m);
}

std::string shape_name(LinearShape s) { return std::to_string(s.in) + "x" + std::to_string(s.out); }

std::string spec_name(const MlpSpec& spec) {
  std::string n = std::to_string(spec.in);
  for (Index w : spec.widths) n += "-" + std::to_string(w);
  return n;
}

// Registered in main's order: the optimized kernel, then its naive reference, shape by shape.
void register_all() {
  for (LinearShape s : kShapes) {
    benchmark::RegisterBenchmark(("BM_LinearForward/" + shape_name(s)).c_str(), BM_LinearForward, s)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_LinearForwardNaive/" + shape_name(s)).c_str(), BM_LinearForwardNaive, s)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond)
        ->MinTime(0.1);
  }
  for (LinearShape s : kShapes) {
    benchmark::RegisterBenchmark(("BM_LinearBackward/" + shape_name(s)).c_str(), BM_LinearBackward, s)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_LinearBackwardNaive/" + shape_name(s)).c_str(), BM_LinearBackwardNaive, s)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond)
        ->MinTime(0.1);
  }
  for (const GemmShape& s : kGemmShapes)
    for (bool own : {true, false})
      benchmark::RegisterBenchmark(("BM_Gemm/" + std::string(s.what) + (own ? "/own" : "/eigen")).c_str(), BM_Gemm, s,
                                   own)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
  const MlpSpec actor{76, {400, 300, 12}, Activation::Relu, Activation::Tanh};
  const MlpSpec vae_like{76, {750, 750, 12}, Activation::Relu, Activation::Identity};
  for (const MlpSpec& spec : {actor, vae_like}) {
    benchmark::RegisterBenchmark(("BM_MlpTrainStep/" + spec_name(spec)).c_str(), BM_MlpTrainStep, spec)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  // BCQ's target computation: batch 256 x n = 10 sampled actions = 2,560 rows, forward only.
  benchmark::RegisterBenchmark(("BM_MlpForwardNoGrad/" + spec_name(actor) + "/rows:2560").c_str(),
                               BM_MlpForwardNoGrad, actor, Index(2560))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("engine_threads", std::to_string(num_threads()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
