// tests/engine/ops/linear_test.cpp — y = x W^T + b: value against Eigen, gradients to the input and to
// the weights and bias in the flat buffer (with noise pre-filled), and the frozen-layer mode.
#include "engine/ops/linear.hpp"

#include <catch2/catch.hpp>

#include "engine/gradcheck.hpp"
#include "engine/ops/elementwise.hpp"
#include "tests/support/random.hpp"

using namespace mtf;

namespace {
struct Layer {
  Parameters<double> params;
  std::size_t offset;
  Index in, out;
  Layer(Index in_, Index out_, Rng& rng) : in(in_), out(out_) {
    offset = params.add("w", out, in);
    params.add("b", 1, out);
    params.fill_uniform(0, params.size(), 0.5, rng);
  }
  MatrixR<double> w() { return params.value(params.block("w")); }
  Eigen::RowVectorXd b() { return params.value(params.block("b")); }
};
}  // namespace

TEST_CASE("linear forward equals x W^T + b", "[ops][linear]") {
  Rng rng(60);
  Layer layer(5, 3, rng);
  const MatrixR<double> x = test::normal_matrix(4, 5, rng);
  Tape<double> t;
  const MatrixR<double> y = t.value(ops::linear(t, t.input(x), 3, layer.params.values(), nullptr));
  const MatrixR<double> expected = (x * layer.w().transpose()).rowwise() + layer.b();
  REQUIRE(y.isApprox(expected, 1e-14));
}

TEST_CASE("linear gradients to input, weight and bias", "[ops][linear]") {
  Rng rng(61);
  for (auto [in, out, batch] : {std::tuple<Index, Index, Index>{5, 3, 4}, {9, 1, 6}, {2, 7, 1}}) {
    Layer layer(in, out, rng);
    const MatrixR<double> x = test::normal_matrix(batch, in, rng);
    const GradCheckResult r = check_gradients(
        {x}, {true}, &layer.params, [&](Tape<double>& t, const std::vector<Var>& v) {
          return ops::linear(t, v[0], layer.out, layer.params.values(), layer.params.grads());
        });
    INFO("shape " << in << "->" << out << " batch " << batch << ": " << r.first_failure);
    REQUIRE(r.checked == batch * in + out * in + out);
    REQUIRE(r.ok);
  }
}

TEST_CASE("linear through a nonlinearity: a two-layer net's gradients", "[ops][linear]") {
  Rng rng(62);
  Parameters<double> params;
  params.add("l0.w", 6, 4);
  params.add("l0.b", 1, 6);
  const std::size_t second = params.add("l1.w", 2, 6);
  params.add("l1.b", 1, 2);
  params.fill_uniform(0, params.size(), 0.6, rng);
  const MatrixR<double> x = test::normal_matrix(5, 4, rng);
  const GradCheckResult r = check_gradients({x}, {true}, &params, [&](Tape<double>& t, const std::vector<Var>& v) {
    Var h = ops::tanh(t, ops::linear(t, v[0], 6, params.values(), params.grads()));
    return ops::linear(t, h, 2, params.values() + second, params.grads() + second);
  });
  INFO(r.first_failure);
  REQUIRE(r.ok);
}

TEST_CASE("linear with no parameter gradient leaves the gradient buffer alone", "[ops][linear]") {
  Rng rng(63);
  Layer layer(4, 3, rng);
  const MatrixR<double> x = test::normal_matrix(2, 4, rng);
  Tape<double> t;
  const Var vx = t.input(x, true);
  const Var y = ops::linear(t, vx, 3, layer.params.values(), nullptr);
  t.grad(y).setOnes();
  t.backward_from(y);
  for (std::size_t k = 0; k < layer.params.size(); ++k) REQUIRE(layer.params.grads()[k] == 0.0);
  const MatrixR<double> expected = MatrixR<double>::Ones(2, 3) * layer.w();
  REQUIRE(t.grad(vx).isApprox(expected));
}

TEST_CASE("a frozen layer on a constant input records no backward", "[ops][linear]") {
  Rng rng(64);
  Layer layer(4, 3, rng);
  Tape<double> t;
  const Var y = ops::linear(t, t.input(test::normal_matrix(2, 4, rng)), 3, layer.params.values(), nullptr);
  REQUIRE_FALSE(t.node(y).needs_grad);
  REQUIRE(t.node(y).backward == nullptr);
}
