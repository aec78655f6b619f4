// tests/engine/ops/elementwise_test.cpp — values and finite-difference gradients (double) of every
// elementwise op, with random upstream gradients and noise-filled gradient buffers (engine/gradcheck).
#include "engine/ops/elementwise.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "engine/gradcheck.hpp"
#include "tests/support/random.hpp"
#include "tests/support/require_gradients.hpp"

using namespace mtf;
using Catch::Matchers::WithinAbs;
using test::require_gradients;

namespace {
// Runs a unary op forward in double and returns the value.
template <class F>
MatrixR<double> forward_value(const MatrixR<double>& x, F op) {
  Tape<double> t;
  return t.value(op(t, t.input(x)));
}
}  // namespace

TEST_CASE("relu: value and gradient", "[ops][elementwise]") {
  Rng rng(10);
  const MatrixR<double> x = test::away_from_zero(5, 4, rng);
  const MatrixR<double> y = forward_value(x, [](Tape<double>& t, Var v) { return ops::relu(t, v); });
  REQUIRE(y.isApprox(x.cwiseMax(0.0)));
  require_gradients({x}, {true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::relu(t, in[0]); });
}

TEST_CASE("tanh: value and gradient", "[ops][elementwise]") {
  Rng rng(11);
  const MatrixR<double> x = test::normal_matrix(5, 4, rng, 1.5);
  const MatrixR<double> y = forward_value(x, [](Tape<double>& t, Var v) { return ops::tanh(t, v); });
  for (Index i = 0; i < x.size(); ++i) REQUIRE_THAT(y.data()[i], WithinAbs(std::tanh(x.data()[i]), 1e-15));
  require_gradients({x}, {true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::tanh(t, in[0]); });
}

TEST_CASE("sigmoid: value and gradient", "[ops][elementwise]") {
  Rng rng(12);
  const MatrixR<double> x = test::normal_matrix(5, 4, rng, 2.0);
  const MatrixR<double> y = forward_value(x, [](Tape<double>& t, Var v) { return ops::sigmoid(t, v); });
  for (Index i = 0; i < x.size(); ++i)
    REQUIRE_THAT(y.data()[i], WithinAbs(1.0 / (1.0 + std::exp(-x.data()[i])), 1e-15));
  require_gradients({x}, {true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::sigmoid(t, in[0]); });
}

TEST_CASE("exp: value and gradient", "[ops][elementwise]") {
  Rng rng(13);
  const MatrixR<double> x = test::normal_matrix(5, 4, rng);
  const MatrixR<double> y = forward_value(x, [](Tape<double>& t, Var v) { return ops::exp(t, v); });
  REQUIRE(y.isApprox(x.array().exp().matrix()));
  require_gradients({x}, {true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::exp(t, in[0]); });
}

TEST_CASE("log: value and gradient on positive inputs", "[ops][elementwise]") {
  Rng rng(14);
  const MatrixR<double> x = test::uniform_matrix(5, 4, rng, 0.2, 3.0);
  const MatrixR<double> y = forward_value(x, [](Tape<double>& t, Var v) { return ops::log(t, v); });
  REQUIRE(y.isApprox(x.array().log().matrix()));
  require_gradients({x}, {true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::log(t, in[0]); });
}

TEST_CASE("square: value and gradient", "[ops][elementwise]") {
  Rng rng(15);
  const MatrixR<double> x = test::normal_matrix(5, 4, rng);
  const MatrixR<double> y = forward_value(x, [](Tape<double>& t, Var v) { return ops::square(t, v); });
  REQUIRE(y.isApprox(x.array().square().matrix()));
  require_gradients({x}, {true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::square(t, in[0]); });
}

TEST_CASE("affine and scale: value and gradient", "[ops][elementwise]") {
  Rng rng(16);
  const MatrixR<double> x = test::normal_matrix(5, 4, rng);
  const MatrixR<double> y = forward_value(x, [](Tape<double>& t, Var v) { return ops::affine(t, v, -1.5, 0.25); });
  REQUIRE(y.isApprox((x.array() * -1.5 + 0.25).matrix()));
  require_gradients({x}, {true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::affine(t, in[0], -1.5, 0.25); });
  require_gradients({x}, {true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::scale(t, in[0], 3.0); });
}

TEST_CASE("clamp: value and gradient (zero outside the bounds)", "[ops][elementwise]") {
  Rng rng(17);
  MatrixR<double> x = test::normal_matrix(6, 5, rng, 2.0);
  // keep finite differences off the kinks at the bounds
  for (Index i = 0; i < x.size(); ++i)
    for (double bound : {-1.0, 0.5})
      if (std::abs(x.data()[i] - bound) < 0.01) x.data()[i] = bound + 0.05;
  const MatrixR<double> y = forward_value(x, [](Tape<double>& t, Var v) { return ops::clamp(t, v, -1.0, 0.5); });
  REQUIRE(y.isApprox(x.cwiseMax(-1.0).cwiseMin(0.5)));
  require_gradients({x}, {true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::clamp(t, in[0], -1.0, 0.5); });
}

TEST_CASE("add, sub, mul: values and gradients to both inputs", "[ops][elementwise]") {
  Rng rng(18);
  const MatrixR<double> a = test::normal_matrix(4, 3, rng), b = test::normal_matrix(4, 3, rng);
  Tape<double> t;
  const Var va = t.input(a), vb = t.input(b);
  REQUIRE(t.value(ops::add(t, va, vb)).isApprox(a + b));
  REQUIRE(t.value(ops::sub(t, va, vb)).isApprox(a - b));
  REQUIRE(t.value(ops::mul(t, va, vb)).isApprox(a.cwiseProduct(b)));
  require_gradients({a, b}, {true, true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::add(t, in[0], in[1]); });
  require_gradients({a, b}, {true, true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::sub(t, in[0], in[1]); });
  require_gradients({a, b}, {true, true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::mul(t, in[0], in[1]); });
  // the same input on both sides: its gradient is the sum of both contributions
  require_gradients({a}, {true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::mul(t, in[0], in[0]); });
}

TEST_CASE("minimum and maximum of two tensors: values and gradients", "[ops][elementwise]") {
  Rng rng(19);
  const MatrixR<double> a = test::normal_matrix(5, 4, rng);
  MatrixR<double> b = test::normal_matrix(5, 4, rng);
  for (Index i = 0; i < b.size(); ++i)  // no near-ties: the kink would spoil the finite difference
    if (std::abs(a.data()[i] - b.data()[i]) < 0.05) b.data()[i] = a.data()[i] + 0.1;
  Tape<double> t;
  const Var va = t.input(a), vb = t.input(b);
  REQUIRE(t.value(ops::minimum(t, va, vb)).isApprox(a.cwiseMin(b)));
  REQUIRE(t.value(ops::maximum(t, va, vb)).isApprox(a.cwiseMax(b)));
  require_gradients({a, b}, {true, true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::minimum(t, in[0], in[1]); });
  require_gradients({a, b}, {true, true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::maximum(t, in[0], in[1]); });
}

TEST_CASE("dropout with a given mask: value and gradient, and the mask gets none", "[ops][elementwise]") {
  Rng rng(20);
  const MatrixR<double> x = test::normal_matrix(6, 4, rng);
  MatrixR<double> mask(6, 4);
  for (Index i = 0; i < mask.size(); ++i) mask.data()[i] = rng.bernoulli(0.7) ? 1.0 / 0.7 : 0.0;
  Tape<double> t;
  const Var vx = t.input(x, true), vm = t.input(mask);
  const Var y = ops::dropout(t, vx, vm);
  REQUIRE(t.value(y).isApprox(x.cwiseProduct(mask)));
  REQUIRE_FALSE(t.node(vm).needs_grad);
  require_gradients({x, mask}, {true, false}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::dropout(t, in[0], in[1]); });
}

TEST_CASE("elementwise ops split across threads give the same bits as one thread", "[ops][elementwise][threads]") {
  // Large enough (> kParallelMin elements) that the kernels fork.
  Rng rng(21);
  const MatrixR<float> x = test::normal_matrix<float>(1024, 300, rng);
  auto run = [&](int threads) {
    set_num_threads(threads);
    Tape<float> t;
    const Var v = t.input(x, true);
    const Var y = ops::mul(t, ops::tanh(t, v), ops::sigmoid(t, ops::affine(t, v, 2.0f, 0.5f)));
    t.grad(y).setConstant(1.0f);
    t.backward_from(y);
    MatrixR<float> out(1024, 600);
    out << t.value(y), t.grad(v);
    return out;
  };
  const int before = num_threads();
  const MatrixR<float> one = run(1), two = run(2);
  set_num_threads(before);
  REQUIRE(std::memcmp(one.data(), two.data(), sizeof(float) * one.size()) == 0);
}
