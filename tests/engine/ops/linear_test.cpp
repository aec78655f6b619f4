// tests/engine/ops/linear_test.cpp — y = x W^T + b: value against Eigen, gradients to the input and to
// the weights and bias in the flat buffer (with noise pre-filled), and the frozen-layer mode; the same
// for linear_repeated, which must also equal linear on concat_cols(repeat_rows(s, n), r); and the same
// bits with the weight packed once (PackedLinear).
#include "engine/ops/linear.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "engine/gradcheck.hpp"
#include "engine/ops/elementwise.hpp"
#include "engine/ops/shape.hpp"
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

// ---------------------------------------------------------------------------------------------------
// linear_repeated: [repeat_rows(s, n) | r] W^T + b without forming the repeated concatenation.

namespace {
// Value and every gradient (state, rest, W, b) of one layer on a fixed upstream gradient.
struct RepeatedResult {
  MatrixR<double> y, ds, dr;
  std::vector<double> dparams;
};

// y's value; then backward from y with `upstream` (when anything needs a gradient) and the gradients of
// s and r (unless given as Var{}: not asked) and of the layer's parameters.
RepeatedResult backward_and_collect(Tape<double>& t, Var y, const MatrixR<double>& upstream, Var s, Var r,
                                    Layer& layer) {
  RepeatedResult res;
  res.y = t.value(y);
  if (t.node(y).needs_grad) {
    t.grad(y) = upstream;
    t.backward_from(y);
  }
  if (s.id >= 0) res.ds = t.grad(s);
  if (r.id >= 0) res.dr = t.grad(r);
  res.dparams.assign(layer.params.grads(), layer.params.grads() + layer.params.size());
  return res;
}

// factored = true: linear_repeated(s, r); false: linear(concat_cols(repeat_rows(s, n), r)).
RepeatedResult run_layer(bool factored, Layer& layer, const MatrixR<double>& s, const MatrixR<double>& r, Index n,
                         const MatrixR<double>& upstream, bool s_grad, bool r_grad, bool param_grad) {
  std::fill(layer.params.grads(), layer.params.grads() + layer.params.size(), 0.0);
  Tape<double> t;
  const Var vs = t.input(s, s_grad), vr = t.input(r, r_grad);
  double* gw = param_grad ? layer.params.grads() : nullptr;
  const Var y = factored ? ops::linear_repeated(t, vs, vr, n, layer.out, layer.params.values(), gw)
                         : ops::linear(t, ops::concat_cols(t, ops::repeat_rows(t, vs, n), vr), layer.out,
                                       layer.params.values(), gw);
  return backward_and_collect(t, y, upstream, s_grad ? vs : Var{}, r_grad ? vr : Var{}, layer);
}
}  // namespace

TEST_CASE("linear_repeated gradients to state, rest, weight and bias", "[ops][linear]") {
  Rng rng(65);
  // (M, S, R, n, out): BCQ-like (several samples per state), one sample per state, one state, width 1.
  for (auto [M, S, R, n, out] : {std::tuple<Index, Index, Index, Index, Index>{3, 4, 2, 5, 3},
                                 {4, 3, 3, 1, 2}, {1, 2, 5, 4, 6}, {2, 1, 1, 3, 1}}) {
    Layer layer(S + R, out, rng);
    const MatrixR<double> s = test::normal_matrix(M, S, rng), r = test::normal_matrix(M * n, R, rng);
    const GradCheckResult res = check_gradients(
        {s, r}, {true, true}, &layer.params, [&, n = n](Tape<double>& t, const std::vector<Var>& v) {
          return ops::linear_repeated(t, v[0], v[1], n, layer.out, layer.params.values(), layer.params.grads());
        });
    INFO("M " << M << " S " << S << " R " << R << " n " << n << " out " << out << ": " << res.first_failure);
    REQUIRE(res.checked == M * S + M * n * R + out * (S + R) + out);
    REQUIRE(res.ok);
  }
}

TEST_CASE("linear_repeated through a nonlinearity: gradients with only one input differentiable", "[ops][linear]") {
  Rng rng(66);
  Layer layer(7, 4, rng);
  const MatrixR<double> s = test::normal_matrix(3, 5, rng), r = test::normal_matrix(12, 2, rng);
  for (auto [s_grad, r_grad] : {std::pair<bool, bool>{true, false}, {false, true}}) {
    const GradCheckResult res = check_gradients(
        {s, r}, {s_grad, r_grad}, &layer.params, [&](Tape<double>& t, const std::vector<Var>& v) {
          return ops::tanh(t, ops::linear_repeated(t, v[0], v[1], 4, layer.out, layer.params.values(),
                                                   layer.params.grads()));
        });
    INFO("state differentiable " << s_grad << ", rest differentiable " << r_grad << ": " << res.first_failure);
    REQUIRE(res.ok);
  }
}

TEST_CASE("linear_repeated equals linear on concat_cols(repeat_rows(s, n), r): value and every gradient",
          "[ops][linear]") {
  Rng rng(67);
  const Index M = 6, S = 9, R = 4, n = 5, out = 7;
  Layer layer(S + R, out, rng);
  const MatrixR<double> s = test::normal_matrix(M, S, rng), r = test::normal_matrix(M * n, R, rng);
  const MatrixR<double> upstream = test::normal_matrix(M * n, out, rng);
  // Every combination of what is wanted: each gradient formed must match, nothing else may be touched.
  for (int mask = 0; mask < 8; ++mask) {
    const bool s_grad = mask & 1, r_grad = mask & 2, p_grad = mask & 4;
    INFO("state grad " << s_grad << ", rest grad " << r_grad << ", parameter grad " << p_grad);
    const RepeatedResult a = run_layer(true, layer, s, r, n, upstream, s_grad, r_grad, p_grad);
    const RepeatedResult b = run_layer(false, layer, s, r, n, upstream, s_grad, r_grad, p_grad);
    REQUIRE(a.y.rows() == M * n);
    REQUIRE(a.y.cols() == out);
    REQUIRE((a.y - b.y).cwiseAbs().maxCoeff() < 1e-12);
    if (s_grad) REQUIRE((a.ds - b.ds).cwiseAbs().maxCoeff() < 1e-12);
    if (r_grad) REQUIRE((a.dr - b.dr).cwiseAbs().maxCoeff() < 1e-12);
    for (std::size_t k = 0; k < a.dparams.size(); ++k) {
      REQUIRE(std::abs(a.dparams[k] - b.dparams[k]) < 1e-12);
      if (!p_grad) REQUIRE(a.dparams[k] == 0.0);
    }
  }
}

TEST_CASE("linear_repeated with n = 1 is linear on the concatenation", "[ops][linear]") {
  Rng rng(68);
  Layer layer(5, 3, rng);
  const MatrixR<double> s = test::normal_matrix(4, 3, rng), r = test::normal_matrix(4, 2, rng);
  Tape<double> t;
  const MatrixR<double> y =
      t.value(ops::linear_repeated(t, t.input(s), t.input(r), 1, 3, layer.params.values(), nullptr));
  MatrixR<double> x(4, 5);
  x << s, r;
  const MatrixR<double> expected = (x * layer.w().transpose()).rowwise() + layer.b();
  REQUIRE(y.isApprox(expected, 1e-14));
}

TEST_CASE("a frozen linear_repeated on constant inputs records no backward", "[ops][linear]") {
  Rng rng(69);
  Layer layer(5, 3, rng);
  Tape<double> t;
  const Var y = ops::linear_repeated(t, t.input(test::normal_matrix(2, 3, rng)),
                                     t.input(test::normal_matrix(6, 2, rng)), 3, 3, layer.params.values(), nullptr);
  REQUIRE_FALSE(t.node(y).needs_grad);
  REQUIRE(t.node(y).backward == nullptr);
}

// ------------------------------------------------------------------------------ fused ReLU epilogue

namespace {
using FusedResult = RepeatedResult;  // value and every gradient, as above
// fused = true: the op with Epilogue::Relu (one node); false: ops::relu on the plain op's output.
// repeated = true: linear_repeated(s, r, n); false: linear(s) (r unused).
FusedResult run_relu_layer(bool fused, bool repeated, Layer& layer, const MatrixR<double>& s, const MatrixR<double>& r,
                           Index n, const MatrixR<double>& upstream, bool s_grad, bool r_grad, bool param_grad) {
  std::fill(layer.params.grads(), layer.params.grads() + layer.params.size(), 0.0);
  Tape<double> t;
  const Var vs = t.input(s, s_grad), vr = t.input(r, r_grad);
  double* gw = param_grad ? layer.params.grads() : nullptr;
  const Epilogue e = fused ? Epilogue::Relu : Epilogue::None;
  Var y = repeated ? ops::linear_repeated(t, vs, vr, n, layer.out, layer.params.values(), gw, e)
                   : ops::linear(t, vs, layer.out, layer.params.values(), gw, e);
  if (!fused) y = ops::relu(t, y);
  return backward_and_collect(t, y, upstream, s_grad ? vs : Var{}, r_grad && repeated ? vr : Var{}, layer);
}
}  // namespace

TEST_CASE("fused linear + ReLU equals relu(linear): value and every gradient, plain and repeated", "[ops][linear]") {
  Rng rng(90);
  const Index M = 6, S = 9, R = 4, n = 5, out = 40;  // out > 32: a full and a partial GEMM tile
  for (bool repeated : {false, true}) {
    Layer layer(repeated ? S + R : S, out, rng);
    const MatrixR<double> s = test::normal_matrix(M, S, rng), r = test::normal_matrix(M * n, R, rng);
    const MatrixR<double> upstream = test::normal_matrix(repeated ? M * n : M, out, rng);
    for (int mask = 0; mask < 8; ++mask) {
      const bool s_grad = mask & 1, r_grad = repeated && (mask & 2), p_grad = mask & 4;
      INFO("repeated " << repeated << ", state grad " << s_grad << ", rest grad " << r_grad << ", parameter grad "
                       << p_grad);
      const FusedResult a = run_relu_layer(true, repeated, layer, s, r, n, upstream, s_grad, r_grad, p_grad);
      const FusedResult b = run_relu_layer(false, repeated, layer, s, r, n, upstream, s_grad, r_grad, p_grad);
      REQUIRE(a.y.minCoeff() == 0.0);  // some units are cut (the test exercises the mask)
      REQUIRE(a.y.maxCoeff() > 0.0);
      REQUIRE((a.y - b.y).cwiseAbs().maxCoeff() < 1e-12);
      if (s_grad) REQUIRE((a.ds - b.ds).cwiseAbs().maxCoeff() < 1e-12);
      if (r_grad) REQUIRE((a.dr - b.dr).cwiseAbs().maxCoeff() < 1e-12);
      for (std::size_t k = 0; k < a.dparams.size(); ++k) REQUIRE(std::abs(a.dparams[k] - b.dparams[k]) < 1e-12);
    }
  }
}

TEST_CASE("fused linear + ReLU: finite-difference gradients, plain and repeated", "[ops][linear]") {
  Rng rng(91);
  {
    Layer layer(5, 6, rng);
    const MatrixR<double> x = test::normal_matrix(4, 5, rng);
    const GradCheckResult r = check_gradients({x}, {true}, &layer.params, [&](Tape<double>& t, const std::vector<Var>& v) {
      return ops::linear(t, v[0], layer.out, layer.params.values(), layer.params.grads(), Epilogue::Relu);
    });
    INFO(r.first_failure);
    REQUIRE(r.checked == 4 * 5 + 6 * 5 + 6);
    REQUIRE(r.ok);
  }
  {
    Layer layer(6, 5, rng);
    const MatrixR<double> s = test::normal_matrix(3, 4, rng), rest = test::normal_matrix(9, 2, rng);
    const GradCheckResult r =
        check_gradients({s, rest}, {true, true}, &layer.params, [&](Tape<double>& t, const std::vector<Var>& v) {
          return ops::linear_repeated(t, v[0], v[1], 3, layer.out, layer.params.values(), layer.params.grads(),
                                      Epilogue::Relu);
        });
    INFO(r.first_failure);
    REQUIRE(r.checked == 3 * 4 + 9 * 2 + 5 * 6 + 5);
    REQUIRE(r.ok);
  }
}

// ----------------------------------------------------------------------------- the weight packed once

namespace {
// One float layer's value and every gradient, its weight given unpacked or packed (PackedLinear).
struct FloatResult {
  MatrixR<float> y, ds, dr;
  std::vector<float> dparams;
};
FloatResult run_float_layer(Parameters<float>& params, const PackedLinear<float>* packed, bool repeated, Epilogue e,
                            const MatrixR<float>& s, const MatrixR<float>& r, Index n, Index out,
                            const MatrixR<float>& upstream) {
  std::fill(params.grads(), params.grads() + params.size(), 0.0f);
  Tape<float> t;
  const Var vs = t.input(s, true), vr = t.input(r, true);
  const Var y = repeated ? ops::linear_repeated(t, vs, vr, n, out, params.values(), params.grads(), e, packed)
                         : ops::linear(t, vs, out, params.values(), params.grads(), e, packed);
  FloatResult res;
  res.y = t.value(y);
  t.grad(y) = upstream;
  t.backward_from(y);
  res.ds = t.grad(vs);
  if (repeated) res.dr = t.grad(vr);
  res.dparams.assign(params.grads(), params.grads() + params.size());
  return res;
}
bool same_bits(const MatrixR<float>& x, const MatrixR<float>& y) {
  return x.size() == y.size() && std::memcmp(x.data(), y.data(), sizeof(float) * std::size_t(x.size())) == 0;
}
}  // namespace

// Packing changes how the forward reads W, not what it computes: the same bits with a ReLU or without,
// plain (10 rows: BCQ's n proposals of one state) and repeated (one state and 10 samples, and 30 states:
// the state's product and the per-sample one); the backward reads W itself, so the gradients are the same
// too. Widths past one tile with ragged edges (45 = 32 + 13 outputs).
TEST_CASE("a weight packed once gives the unpacked layer's bits, plain and repeated", "[ops][linear][packed]") {
  Rng rng(92);
  const Index S = 36, R = 12, out = 45, n = 10;
  for (bool repeated : {false, true})
    for (Index states : {Index(1), Index(30)}) {
      const Index in = repeated ? S + R : S, rows = states * n;  // plain: rows inputs of width S
      Parameters<float> params;
      params.add("w", out, in);
      params.add("b", 1, out);
      params.fill_uniform(0, params.size(), 0.3f, rng);
      const PackedLinear<float> packed(params.values(), in, out, repeated ? S : 0);
      const MatrixR<float> s = test::normal_matrix<float>(repeated ? states : rows, S, rng);
      const MatrixR<float> r = test::normal_matrix<float>(rows, R, rng);
      const MatrixR<float> upstream = test::normal_matrix<float>(rows, out, rng);
      for (Epilogue e : {Epilogue::None, Epilogue::Relu}) {
        INFO("repeated " << repeated << ", states " << states << ", relu " << (e == Epilogue::Relu));
        const FloatResult a = run_float_layer(params, nullptr, repeated, e, s, r, n, out, upstream);
        const FloatResult b = run_float_layer(params, &packed, repeated, e, s, r, n, out, upstream);
        REQUIRE(same_bits(a.y, b.y));
        REQUIRE(same_bits(a.ds, b.ds));
        if (repeated) REQUIRE(same_bits(a.dr, b.dr));
        REQUIRE(a.dparams == b.dparams);
      }
    }
}
