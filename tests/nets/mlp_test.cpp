// tests/nets/mlp_test.cpp — the Mlp against PyTorch, parameter-gradient skipping, forward_repeated
// against forward on the repeated state, packed layers against unpacked ones, zero allocations in
// steady state, determinism (same seed; 1 vs 2 threads), activation parsing, and the engine's kernels
// when OpenMP grants fewer threads than asked (a regression test for an engine bug fixed in b7f600d).
//
// Fixture: tests/fixtures/engine/mlp_forward_backward.json, written by
// tests/fixtures/gen_engine_fixtures.py (inputs drawn in float32, references computed in float64).
// The float engine and the double engine are both held to 1e-5 relative or 1e-7 absolute.
#include "nets/mlp.hpp"

#include <omp.h>

#include <catch2/catch.hpp>

#include "tests/support/json_fixture.hpp"
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/adam.hpp"
#include "engine/ops/loss.hpp"
#include "engine/threads.hpp"
#include "tests/support/alloc_counter.hpp"
#include "tests/support/repeated_state.hpp"

using namespace mtf;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

namespace {

constexpr double kRel = 1e-5;
constexpr double kAbs = 1e-7;

nlohmann::json load_fixture(const std::string& name) {
  const std::string path = std::string(MTF_TEST_DATA_DIR) + "/engine/" + name;
  std::ifstream in(path);
  if (!in) FAIL("cannot open fixture " << path << " (run /usr/bin/python3 tests/fixtures/gen_engine_fixtures.py)");
  return nlohmann::json::parse(in);
}

/// Largest errors seen while comparing, for the record.
struct Errors {
  double abs = 0;  // max |got - want|
  double rel = 0;  // max |got - want| / |want| over elements with |want| >= 1e-6
  void add(const Errors& e) {
    abs = std::max(abs, e.abs);
    rel = std::max(rel, e.rel);
  }
};

/// Asserts got[i] ~ want[i] (within kRel relative or kAbs absolute) for every element.
template <class T>
Errors require_close(const std::string& what, const T* got, const std::vector<double>& want) {
  Errors e;
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO(what << "[" << i << "]");
    REQUIRE_THAT(double(got[i]), WithinRel(want[i], kRel) || WithinAbs(want[i], kAbs));
    const double err = std::abs(double(got[i]) - want[i]);
    e.abs = std::max(e.abs, err);
    if (std::abs(want[i]) >= 1e-6) e.rel = std::max(e.rel, err / std::abs(want[i]));
  }
  return e;
}

using test::matrix_from;

template <class T>
void fill_normal(MatrixR<T>& m, Rng& rng) {
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = T(rng.normal());
}

/// One training step as every algorithm writes it.
template <class T>
T train_step(Mlp<T>& net, Adam<T>& adam, Tape<T>& tape, const MatrixR<T>& x, const MatrixR<T>& y) {
  tape.reset();
  net.params().zero_grad();
  Var loss = ops::mse(tape, net.forward(tape, tape.input(x)), tape.input(y));
  tape.backward(loss);
  adam.step(net.params());
  return tape.scalar(loss);
}

/// Restores the engine's thread count when a test changes it.
struct ThreadCountGuard {
  int saved = num_threads();
  ~ThreadCountGuard() { set_num_threads(saved); }
};

// BCQ-sized actor/critic MLP: batch 256, 76 -> 400 -> 300 -> 12. The engine's GEMM splits rows across
// threads when rows >= 32 and 2 m n k >= 2e7 (engine/gemm.cpp): here the 400 -> 300 layer's forward
// (256 x 300 x 400, 61 MFLOP), input gradient and weight gradient (300 x 400 x 256) all split with 2
// threads; the 76 -> 400 layer (16 MFLOP) and the 12-wide head run on one thread.
const MlpSpec kBigSpec{76, {400, 300, 12}, Activation::Relu, Activation::Tanh};
constexpr Index kBigBatch = 256;

}  // namespace

// ----------------------------------------------------------------------------------------- fixture

TEMPLATE_TEST_CASE("Mlp forward/backward matches PyTorch (mlp_forward_backward.json)", "[mlp][fixture]",
                   float, double) {
  using T = TestType;
  const nlohmann::json fx = load_fixture("mlp_forward_backward.json");
  REQUIRE(fx["cases"].size() == 2);
  for (const auto& c : fx["cases"]) {
    const std::string name = c["name"].get<std::string>();
    SECTION(name) {
      const Index batch = c["batch"], in = c["in"];
      MlpSpec spec{in, c["widths"].get<std::vector<Index>>(), parse_activation(c["hidden"]),
                   parse_activation(c["output"])};
      Rng rng(1);
      Mlp<T> net(spec, rng);
      Parameters<T>& p = net.params();

      // Our flat layout is torch's: the same blocks in the same order, under the network's prefix.
      const auto& blocks = c["blocks"];
      REQUIRE(p.blocks().size() == blocks.size());
      for (std::size_t i = 0; i < blocks.size(); ++i) {
        INFO("block " << i);
        CHECK(p.blocks()[i].name == "mlp." + blocks[i]["name"].get<std::string>());
        CHECK(p.blocks()[i].rows == blocks[i]["rows"].get<Index>());
        CHECK(p.blocks()[i].cols == blocks[i]["cols"].get<Index>());
      }
      const auto params = c["params"].get<std::vector<double>>();
      REQUIRE(p.size() == params.size());
      for (std::size_t i = 0; i < params.size(); ++i) p.values()[i] = T(params[i]);

      const Index out = spec.widths.back();
      const MatrixR<T> x = matrix_from<T>(c["x"], batch, in);
      const MatrixR<T> y = matrix_from<T>(c["y"], batch, out);
      Tape<T> tape;
      p.zero_grad();
      Var xv = tape.input(x, /*requires_grad=*/true);
      Var pred = net.forward(tape, xv);
      Var loss = ops::mse(tape, pred, tape.input(y));
      tape.backward(loss);

      REQUIRE(tape.rows(pred) == batch);
      REQUIRE(tape.cols(pred) == out);
      Errors worst;
      worst.add(require_close("output", tape.value(pred).data(), c["output_value"].get<std::vector<double>>()));
      const T l = tape.scalar(loss);
      worst.add(require_close("loss", &l, {c["loss"].get<double>()}));
      worst.add(require_close("param_grad", p.grads(), c["param_grad"].get<std::vector<double>>()));
      worst.add(require_close("x_grad", tape.grad(xv).data(), c["x_grad"].get<std::vector<double>>()));
      WARN("Mlp<" << (sizeof(T) == 4 ? "float" : "double") << "> vs float64 torch, " << name
                  << ": max abs error " << worst.abs << ", max rel error (|ref| >= 1e-6) " << worst.rel);
    }
  }
}

// --------------------------------------------------------------------------------- ParamGrad::Skip

TEST_CASE("ParamGrad::Skip passes input gradients and forms no parameter gradients", "[mlp]") {
  Rng rng(11);
  Mlp<double> net(MlpSpec{5, {8, 8, 2}, Activation::Tanh, Activation::Identity}, rng);
  MatrixR<double> x(6, 5), y(6, 2);
  fill_normal(x, rng);
  fill_normal(y, rng);
  Parameters<double>& p = net.params();

  auto input_grad = [&](ParamGrad mode) {
    Tape<double> tape;
    Var xv = tape.input(x, true);
    tape.backward(ops::mse(tape, net.forward(tape, xv, mode), tape.input(y)));
    return MatrixR<double>(tape.grad(xv));
  };

  p.zero_grad();
  const MatrixR<double> dx_accumulate = input_grad(ParamGrad::Accumulate);
  bool some_nonzero = false;
  for (std::size_t i = 0; i < p.size(); ++i) some_nonzero = some_nonzero || p.grads()[i] != 0.0;
  REQUIRE(some_nonzero);  // the Accumulate run did form parameter gradients

  SECTION("from zero, parameter gradients stay exactly zero") {
    p.zero_grad();
    const MatrixR<double> dx_skip = input_grad(ParamGrad::Skip);
    for (std::size_t i = 0; i < p.size(); ++i) {
      INFO("param grad " << i);
      REQUIRE(p.grads()[i] == 0.0);
    }
    // The input gradient is the same computation either way: identical bits.
    REQUIRE(dx_skip.size() == dx_accumulate.size());
    REQUIRE(std::memcmp(dx_skip.data(), dx_accumulate.data(), sizeof(double) * std::size_t(x.size())) == 0);
    REQUIRE(dx_skip.cwiseAbs().maxCoeff() > 0.0);
  }
  SECTION("pre-filled parameter gradients are left untouched") {
    std::vector<double> noise(p.size());
    for (auto& v : noise) v = rng.normal();
    std::memcpy(p.grads(), noise.data(), sizeof(double) * noise.size());
    input_grad(ParamGrad::Skip);
    REQUIRE(std::memcmp(p.grads(), noise.data(), sizeof(double) * noise.size()) == 0);
  }
}

// ---------------------------------------------------------------------------------- forward_repeated

TEST_CASE("MlpLayers::forward_repeated equals forward on [repeat_rows(s, n) | r]", "[mlp]") {
  Rng rng(12);
  Parameters<double> p;
  const MlpLayers<double> net(p, "mlp", MlpSpec{4 + 3, {9, 8, 2}, Activation::Relu, Activation::Tanh});
  net.init(p, rng);
  for (Index n : {Index(1), Index(5)}) {
    INFO("n = " << n);
    const MatrixR<double> s = test::normal_matrix(6, 4, rng), r = test::normal_matrix(6 * n, 3, rng);
    test::require_repeated_matches(
        p, s, r, n,
        [&](Tape<double>& t, Var s_rep, Var rest) { return net.forward(t, p, ops::concat_cols(t, s_rep, rest)); },
        [&](Tape<double>& t, Var state, Var rest, Index reps) { return net.forward_repeated(t, p, state, rest, reps); },
        2, rng);
  }
  // A one-layer stack: the repeated layer is also the output layer.
  Parameters<double> p1;
  const MlpLayers<double> single(p1, "single", MlpSpec{4 + 3, {5}, Activation::Relu, Activation::Sigmoid});
  single.init(p1, rng);
  const MatrixR<double> s = test::normal_matrix(3, 4, rng), r = test::normal_matrix(12, 3, rng);
  test::require_repeated_matches(
      p1, s, r, 4,
      [&](Tape<double>& t, Var s_rep, Var rest) { return single.forward(t, p1, ops::concat_cols(t, s_rep, rest)); },
      [&](Tape<double>& t, Var state, Var rest, Index reps) { return single.forward_repeated(t, p1, state, rest, reps); },
      5, rng);
}

// ------------------------------------------------------------------------------------------ pack

// A served network packs its layers once (MlpLayers::pack) and passes them to every call: the outputs
// must be the unpacked network's, bit for bit, plain and repeated, at the serving shapes (one state with
// 10 samples; 30 states) and with widths past one GEMM tile with ragged edges (40, 33 wide).
TEST_CASE("MlpLayers::pack gives forward and forward_repeated the unpacked bits", "[mlp][packed]") {
  Rng rng(13);
  const Index S = 20, R = 5, n = 10;
  Parameters<float> p;
  const MlpLayers<float> net(p, "mlp", MlpSpec{S + R, {40, 33, 3}, Activation::Relu, Activation::Tanh});
  net.init(p, rng);
  const PackedMlp<float> plain = net.pack(p), repeated = net.pack(p, S);
  REQUIRE(plain.layers.size() == 3);
  REQUIRE(repeated.layers[0].state_width == S);
  REQUIRE(repeated.layers[1].state_width == 0);
  auto same_bits = [](const MatrixR<float>& a, const MatrixR<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(float) * std::size_t(a.size())) == 0;
  };
  for (Index states : {Index(1), Index(30)}) {
    INFO("states = " << states);
    const MatrixR<float> s = test::normal_matrix<float>(states, S, rng);
    const MatrixR<float> r = test::normal_matrix<float>(states * n, R, rng);
    const MatrixR<float> x = test::normal_matrix<float>(states * n, S + R, rng);
    Tape<float> t;
    NoGradScope<float> no_grad(t);
    const MatrixR<float> want = t.value(net.forward(t, p, t.input(x)));
    const MatrixR<float> got = t.value(net.forward(t, p, t.input(x), ParamGrad::Skip, &plain));
    REQUIRE(same_bits(got, want));
    const MatrixR<float> want_rep = t.value(net.forward_repeated(t, p, t.input(s), t.input(r), n));
    const MatrixR<float> got_rep =
        t.value(net.forward_repeated(t, p, t.input(s), t.input(r), n, ParamGrad::Skip, &repeated));
    REQUIRE(same_bits(got_rep, want_rep));
  }
}

// ------------------------------------------------------------------------------------- allocations

namespace {

/// Heap allocations over `measured` training steps after `warmup` steps at kBigSpec.
test::AllocationCounts training_loop_allocations(int warmup, int measured) {
  Rng rng(3);
  Mlp<float> net(kBigSpec, rng);
  Adam<float> adam(net.params().size(), AdamConfig{});
  Tape<float> tape;
  MatrixR<float> x(kBigBatch, kBigSpec.in), y(kBigBatch, kBigSpec.widths.back());
  fill_normal(x, rng);
  fill_normal(y, rng);
  for (int i = 0; i < warmup; ++i) train_step(net, adam, tape, x, y);
  test::CountAllocations count;
  float sink = 0;
  for (int i = 0; i < measured; ++i) sink += train_step(net, adam, tape, x, y);
  const auto counts = count.counts();
  REQUIRE(std::isfinite(sink));
  return counts;
}

test::AllocationCounts no_grad_forward_allocations(int warmup, int measured) {
  Rng rng(4);
  Mlp<float> net(kBigSpec, rng);
  Tape<float> tape;
  MatrixR<float> x(kBigBatch, kBigSpec.in);
  fill_normal(x, rng);
  auto forward = [&] {
    tape.reset();
    NoGradScope<float> no_grad(tape);
    Var out = net.forward(tape, tape.input(x));
    return tape.value(out)(0, 0);
  };
  for (int i = 0; i < warmup; ++i) forward();
  test::CountAllocations count;
  float sink = 0;
  for (int i = 0; i < measured; ++i) sink += forward();
  const auto counts = count.counts();
  REQUIRE(std::isfinite(sink));
  return counts;
}

}  // namespace

TEST_CASE("Mlp training step allocates nothing after warm-up (batch 256, 76-400-300-12)", "[mlp][alloc]") {
  MTF_SKIP_WITHOUT_ALLOCATION_COUNTING();
  ThreadCountGuard guard;
  for (int threads : {1, 2}) {
    SECTION(std::to_string(threads) + " thread(s)") {
      set_num_threads(threads);
      REQUIRE(num_threads() == threads);
      const auto train = training_loop_allocations(/*warmup=*/2, /*measured=*/5);
      INFO("training: " << train.heap << " malloc-family calls, " << train.operator_new << " operator new");
      CHECK(train.operator_new == 0);
      CHECK(train.heap == 0);
      const auto fwd = no_grad_forward_allocations(/*warmup=*/2, /*measured=*/5);
      INFO("no-grad forward: " << fwd.heap << " malloc-family calls, " << fwd.operator_new << " operator new");
      CHECK(fwd.operator_new == 0);
      CHECK(fwd.heap == 0);
      WARN(threads << " thread(s), 5 steps after 2 warm-up: training " << train.heap << " malloc-family / "
                   << train.operator_new << " operator new; no-grad forward " << fwd.heap << " / "
                   << fwd.operator_new);
    }
  }
}

TEST_CASE("the allocation counter sees a loop that does allocate (negative control)", "[mlp][alloc]") {
  MTF_SKIP_WITHOUT_ALLOCATION_COUNTING();
  Rng rng(5);
  Mlp<float> net(MlpSpec{16, {32, 4}, Activation::Relu, Activation::Identity}, rng);
  Adam<float> adam(net.params().size(), AdamConfig{});
  MatrixR<float> x(64, 16), y(64, 4);
  fill_normal(x, rng);
  fill_normal(y, rng);
  {
    Tape<float> warm;
    train_step(net, adam, warm, x, y);
  }
  test::CountAllocations count;
  for (int i = 0; i < 3; ++i) {
    Tape<float> fresh;  // a new tape every step: its node array and arena blocks come from the heap
    train_step(net, adam, fresh, x, y);
  }
  const auto c = count.counts();
  INFO("fresh tape per step: " << c.heap << " malloc-family calls, " << c.operator_new << " operator new");
  CHECK(c.operator_new >= 3);  // at least the node array of each tape
  CHECK(c.heap >= 6);          // node arrays plus arena blocks
  WARN("negative control, 3 steps with a fresh tape each: " << c.heap << " malloc-family / "
                                                             << c.operator_new << " operator new");
}

// ------------------------------------------------------------------------------------- determinism

namespace {

/// Parameters after `steps` Adam steps on minibatches drawn from a seeded RNG.
std::vector<float> trained_parameters(std::uint64_t seed, int steps, Index batch = kBigBatch) {
  Rng rng(seed);
  Mlp<float> net(kBigSpec, rng);
  Adam<float> adam(net.params().size(), AdamConfig{1e-3});
  Tape<float> tape;
  MatrixR<float> x(batch, kBigSpec.in), y(batch, kBigSpec.widths.back());
  for (int s = 0; s < steps; ++s) {
    fill_normal(x, rng);
    fill_normal(y, rng);
    train_step(net, adam, tape, x, y);
  }
  const float* v = net.params().values();
  return std::vector<float>(v, v + net.params().size());
}

std::size_t count_differences(const std::vector<float>& a, const std::vector<float>& b) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < a.size(); ++i) n += std::memcmp(&a[i], &b[i], sizeof(float)) != 0;
  return n;
}

}  // namespace

TEST_CASE("same seed and thread count give bitwise identical parameters", "[mlp][determinism]") {
  const auto a = trained_parameters(42, 6);
  const auto b = trained_parameters(42, 6);
  REQUIRE(a.size() == b.size());
  REQUIRE(std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0);
  const auto c = trained_parameters(43, 6);
  REQUIRE(std::memcmp(a.data(), c.data(), sizeof(float) * a.size()) != 0);  // the seed matters
}

TEST_CASE("1 and 2 threads give bitwise identical parameters (GEMM split across threads)",
          "[mlp][determinism][threads]") {
  ThreadCountGuard guard;
  set_num_threads(1);
  REQUIRE(num_threads() == 1);
  const auto one = trained_parameters(7, 6);
  set_num_threads(2);
  REQUIRE(num_threads() == 2);
  // The OpenMP runtime really gives the GEMM two threads (no thread limit in the way).
  int team = 0;
#pragma omp parallel num_threads(2)
  {
#pragma omp single
    team = omp_get_num_threads();
  }
  REQUIRE(team == 2);
  const auto two = trained_parameters(7, 6);
  REQUIRE(one.size() == two.size());
  const std::size_t differing = count_differences(one, two);
  INFO(differing << " of " << one.size() << " parameters differ between 1 and 2 threads");
  REQUIRE(differing == 0);

  // Batches that are not multiples of 8, still above the split threshold for the 400 -> 300 layer
  // (2 x 90 x 300 x 400 = 21.6 MFLOP): 100 rows split 56 + 44, 90 rows split 48 + 42 (the second
  // thread's block ends in a partial 4-row panel).
  for (Index batch : {Index(100), Index(90)}) {
    INFO("batch " << batch);
    set_num_threads(1);
    const auto a = trained_parameters(9, 4, batch);
    set_num_threads(2);
    const auto b = trained_parameters(9, 4, batch);
    REQUIRE(count_differences(a, b) == 0);
  }
}

// ------------------------------------------------------------------------------------- activations

TEST_CASE("parse_activation accepts the four names and rejects others naming the value", "[mlp]") {
  for (Activation a : {Activation::Identity, Activation::Relu, Activation::Tanh, Activation::Sigmoid})
    REQUIRE(parse_activation(activation_name(a)) == a);
  REQUIRE_THROWS_AS(parse_activation("gelu"), std::invalid_argument);
  REQUIRE_THROWS_WITH(parse_activation("gelu"), Catch::Matchers::Contains("\"gelu\""));
  REQUIRE_THROWS_WITH(parse_activation("ReLU"), Catch::Matchers::Contains("\"ReLU\""));
  REQUIRE_THROWS_WITH(parse_activation(""), Catch::Matchers::Contains("unknown activation \"\""));
}

// ------------------------------------------------------------------- fewer threads than requested

// OpenMP may grant a parallel region fewer threads than num_threads(n) asks for: OMP_DYNAMIC=true on a
// loaded machine, OMP_THREAD_LIMIT, or max-active-levels (used here because a test can set it). The
// engine's kernels must still compute every row / element. Until commit b7f600d they sized their chunks
// from omp_get_max_threads() before the region and let thread t do chunk t only (engine/gemm.cpp
// gemm_dispatch, engine/threads.hpp parallel_for_range), so with a smaller team the last chunks were
// never computed (128 of 256 rows here, half the parameters of the Adam step). Now a regression test.
namespace {
struct MaxActiveLevelsGuard {
  int saved = omp_get_max_active_levels();
  ~MaxActiveLevelsGuard() { omp_set_max_active_levels(saved); }
};
}  // namespace

TEST_CASE("engine kernels compute everything when OpenMP grants fewer threads than requested",
          "[mlp][threads][regression]") {
  ThreadCountGuard threads_guard;
  MaxActiveLevelsGuard levels_guard;
  set_num_threads(2);

  SECTION("GEMM (Mlp forward, 256 x 76-400-300-12)") {
    Rng rng(12);
    Mlp<float> net(kBigSpec, rng);
    MatrixR<float> x(kBigBatch, kBigSpec.in);
    fill_normal(x, rng);
    auto forward = [&] {
      Tape<float> tape;
      NoGradScope<float> no_grad(tape);
      return MatrixR<float>(tape.value(net.forward(tape, tape.input(x))));
    };
    const MatrixR<float> full_team = forward();
    omp_set_max_active_levels(0);  // every parallel region now runs with a team of one thread
    REQUIRE(num_threads() == 2);   // ... while the engine is still told 2
    const MatrixR<float> one_thread_team = forward();
    Index rows_differing = 0;
    for (Index i = 0; i < kBigBatch; ++i) rows_differing += full_team.row(i) != one_thread_team.row(i);
    INFO("engine bug: " << rows_differing << " of " << kBigBatch
                        << " output rows differ when the OpenMP team is smaller than omp_get_max_threads() "
                           "(engine/gemm.cpp gemm_dispatch computes only thread 0's chunk)");
    CHECK(rows_differing == 0);
  }
  SECTION("parallel_for_range (Adam step on 630,012 parameters, 76-750-750-12)") {
    const MlpSpec spec{76, {750, 750, 12}, Activation::Relu, Activation::Identity};
    Rng rng(13);
    Mlp<float> a(spec, rng);
    Rng rng2(13);
    Mlp<float> b(spec, rng2);
    REQUIRE(a.params().size() == 630012);  // above the 256K-element split threshold
    for (Mlp<float>* net : {&a, &b})
      for (std::size_t i = 0; i < net->params().size(); ++i) net->params().grads()[i] = 1.0f;
    Adam<float> adam_a(a.params().size(), AdamConfig{}), adam_b(b.params().size(), AdamConfig{});
    adam_a.step(a.params());
    omp_set_max_active_levels(0);
    adam_b.step(b.params());
    const std::size_t differing = count_differences(
        std::vector<float>(a.params().values(), a.params().values() + a.params().size()),
        std::vector<float>(b.params().values(), b.params().values() + b.params().size()));
    INFO("engine bug: " << differing << " of " << a.params().size()
                        << " parameters not updated when the OpenMP team is smaller than omp_get_max_threads() "
                           "(engine/threads.hpp parallel_for_range runs only thread 0's chunk)");
    CHECK(differing == 0);
  }
}
