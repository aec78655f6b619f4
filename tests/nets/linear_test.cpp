// tests/nets/linear_test.cpp — Linear: PyTorch's default initialization, its blocks in the flat
// parameter buffer, forward/backward against x W^T + b computed independently with Eigen, and
// forward_repeated against forward on the repeated state.
#include "nets/linear.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/threads.hpp"
#include "tests/support/repeated_state.hpp"

using namespace mtf;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

namespace {

template <class T>
MatrixR<T> normal_matrix(Index rows, Index cols, Rng& rng) {
  MatrixR<T> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = T(rng.normal());
  return m;
}

/// Element-wise relative-or-absolute comparison of two matrices of the same shape.
template <class A, class B>
void require_close(const char* what, const A& got, const B& want, double rel, double abs) {
  REQUIRE(got.rows() == want.rows());
  REQUIRE(got.cols() == want.cols());
  for (Index i = 0; i < want.rows(); ++i)
    for (Index j = 0; j < want.cols(); ++j) {
      INFO(what << "(" << i << ", " << j << ")");
      REQUIRE_THAT(double(got(i, j)), WithinRel(double(want(i, j)), rel) || WithinAbs(double(want(i, j)), abs));
    }
}

}  // namespace

TEST_CASE("Linear init is PyTorch's default: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias", "[linear]") {
  Parameters<float> p;
  const Index in = 750, out = 400;
  Linear<float> layer(p, "fc", in, out);
  Rng rng(2026);
  layer.init(p, rng);
  const double bound = 1.0 / std::sqrt(double(in));

  for (const char* name : {"fc.weight", "fc.bias"}) {
    INFO(name);
    const auto v = p.value(p.block(name));
    const double max_abs = v.cwiseAbs().maxCoeff();
    REQUIRE(max_abs <= bound);
    // Uniform on the whole interval, not all tiny: the max of 400+ draws is near the bound.
    REQUIRE(max_abs > 0.8 * bound);
  }
  const auto w = p.value(p.block("fc.weight"));
  // Mean ~ 0 and variance ~ bound^2 / 3 over 300,000 draws (standard errors ~ 1e-4 bound, 3e-3 relative).
  const double mean = w.template cast<double>().mean();
  const double var = (w.template cast<double>().array() - mean).square().mean();
  REQUIRE_THAT(mean, WithinAbs(0.0, 0.01 * bound));
  REQUIRE_THAT(var, WithinRel(bound * bound / 3.0, 0.02));

  SECTION("same seed, same values; different seed, different values") {
    Parameters<float> q, r;
    Linear<float> lq(q, "fc", in, out), lr(r, "fc", in, out);
    Rng same(2026), other(2027);
    lq.init(q, same);
    lr.init(r, other);
    REQUIRE(std::memcmp(q.values(), p.values(), sizeof(float) * p.size()) == 0);
    REQUIRE(std::memcmp(r.values(), p.values(), sizeof(float) * p.size()) != 0);
  }
}

TEST_CASE("Linear blocks: names, shapes and offsets in the flat buffer (torch.nn.Linear layout)", "[linear]") {
  Parameters<double> p;
  Linear<double> a(p, "enc", 7, 5);
  Linear<double> b(p, "dec", 5, 3);
  REQUIRE(a.in() == 7);
  REQUIRE(a.out() == 5);
  REQUIRE(b.in() == 5);
  REQUIRE(b.out() == 3);

  const auto& blocks = p.blocks();
  REQUIRE(blocks.size() == 4);
  struct Want {
    const char* name;
    Index rows, cols;
    std::size_t offset;
  };
  const Want want[] = {{"enc.weight", 5, 7, 0},
                       {"enc.bias", 1, 5, 35},
                       {"dec.weight", 3, 5, 40},
                       {"dec.bias", 1, 3, 55}};
  for (std::size_t i = 0; i < 4; ++i) {
    INFO("block " << i);
    CHECK(blocks[i].name == want[i].name);
    CHECK(blocks[i].rows == want[i].rows);
    CHECK(blocks[i].cols == want[i].cols);
    CHECK(blocks[i].offset == want[i].offset);
    CHECK(p.block(want[i].name).offset == want[i].offset);
  }
  REQUIRE(p.size() == 58);

  // init touches exactly the layer's own range: initializing `dec` leaves `enc` at zero.
  Rng rng(1);
  b.init(p, rng);
  for (std::size_t i = 0; i < 40; ++i) REQUIRE(p.values()[i] == 0.0);
  bool dec_set = false;
  for (std::size_t i = 40; i < 58; ++i) dec_set = dec_set || p.values()[i] != 0.0;
  REQUIRE(dec_set);

  // Views: the weight block viewed as (out, in) row-major is the memory at the offset.
  p.value(p.block("dec.weight"))(2, 4) = 123.0;
  REQUIRE(p.values()[40 + 2 * 5 + 4] == 123.0);
}

TEMPLATE_TEST_CASE("Linear forward is x W^T + b, backward accumulates dW, db, dx", "[linear]", float, double) {
  using T = TestType;
  const double rel = sizeof(T) == 4 ? 1e-5 : 1e-12;
  const double abs = sizeof(T) == 4 ? 1e-5 : 1e-12;  // sums of ~100 O(1) terms: float error ~1e-6
  struct Shape {
    Index batch, in, out;
  };
  // The second shape is large enough for the engine's GEMM to split rows across threads.
  for (Shape s : {Shape{5, 7, 3}, Shape{64, 100, 50}}) {
    SECTION(std::to_string(s.batch) + "x" + std::to_string(s.in) + "->" + std::to_string(s.out)) {
      Parameters<T> p;
      Linear<T> layer(p, "fc", s.in, s.out);
      Rng rng(99);
      layer.init(p, rng);
      const MatrixR<T> x = normal_matrix<T>(s.batch, s.in, rng);
      const MatrixR<T> dy = normal_matrix<T>(s.batch, s.out, rng);

      // The independent reference in double: Eigen's own product on copies of the same values.
      using MatD = Eigen::MatrixXd;
      const MatD W = p.value(p.block("fc.weight")).template cast<double>();
      const Eigen::RowVectorXd bias = p.value(p.block("fc.bias")).template cast<double>();
      const MatD X = x.template cast<double>(), DY = dy.template cast<double>();
      const MatD Y = (X * W.transpose()).rowwise() + bias;

      // Pre-filled gradients prove accumulation (dlib's check).
      std::vector<T> g0(p.size());
      for (auto& g : g0) g = T(rng.normal());
      std::memcpy(p.grads(), g0.data(), sizeof(T) * g0.size());
      const MatrixR<T> dx0 = normal_matrix<T>(s.batch, s.in, rng);

      Tape<T> tape;
      Var xv = tape.input(x, true);
      tape.grad(xv) = dx0;
      Var yv = layer.forward(tape, p, xv);
      require_close("y", tape.value(yv), Y, rel, abs);

      tape.grad(yv) = dy;
      tape.backward_from(yv);
      const MatD dW = DY.transpose() * X;
      const Eigen::RowVectorXd db = DY.colwise().sum();
      const MatD dX = DY * W;
      const MatD gW = Eigen::Map<const MatrixR<T>>(g0.data(), s.out, s.in).template cast<double>() + dW;
      const Eigen::RowVectorXd gb =
          Eigen::Map<const MatrixR<T>>(g0.data() + s.out * s.in, 1, s.out).template cast<double>() + db;
      require_close("dW", p.grad(p.block("fc.weight")), gW, rel, abs);
      require_close("db", p.grad(p.block("fc.bias")), gb, rel, abs);
      require_close("dx", tape.grad(xv), MatD(dx0.template cast<double>() + dX), rel, abs);
    }
  }
}

TEST_CASE("Linear with ParamGrad::Skip forms no weight gradient", "[linear]") {
  Parameters<double> p;
  Linear<double> layer(p, "fc", 4, 3);
  Rng rng(5);
  layer.init(p, rng);
  p.zero_grad();
  Tape<double> tape;
  Var xv = tape.input(normal_matrix<double>(2, 4, rng), true);
  Var yv = layer.forward(tape, p, xv, ParamGrad::Skip);
  tape.grad(yv).setOnes();
  tape.backward_from(yv);
  for (std::size_t i = 0; i < p.size(); ++i) REQUIRE(p.grads()[i] == 0.0);
  // dx = 1 W: the column sums of W.
  const Eigen::RowVectorXd want = p.value(p.block("fc.weight")).colwise().sum();
  for (Index j = 0; j < 4; ++j) REQUIRE_THAT(tape.grad(xv)(0, j), WithinRel(want(j), 1e-12) || WithinAbs(want(j), 1e-15));
}

TEST_CASE("Linear::forward_repeated equals forward on [repeat_rows(s, n) | r]", "[linear]") {
  Rng rng(21);
  Parameters<double> p;
  Linear<double> l(p, "l", 5 + 3, 6);
  l.init(p, rng);
  const Index M = 4, n = 3;
  const MatrixR<double> s = test::normal_matrix(M, 5, rng), r = test::normal_matrix(M * n, 3, rng);
  test::require_repeated_matches(
      p, s, r, n,
      [&](Tape<double>& t, Var s_rep, Var rest) { return l.forward(t, p, ops::concat_cols(t, s_rep, rest)); },
      [&](Tape<double>& t, Var state, Var rest, Index reps) { return l.forward_repeated(t, p, state, rest, reps); },
      l.out(), rng);
}

TEST_CASE("a tape's gradient shard routes the layer's weight gradients and the shards sum to the whole batch's",
          "[linear][shards]") {
  Parameters<double> p;
  Linear<double> layer(p, "fc", 5, 4);
  Rng rng(9);
  layer.init(p, rng);
  p.set_gradient_shards(2);
  const MatrixR<double> x = normal_matrix<double>(7, 5, rng);
  // d/dtheta of sum(relu(x W^T + b)) on rows [begin, end) of x, on a tape naming `shard`.
  auto backward_rows = [&](Tape<double>& tape, Index begin, Index end) {
    tape.reset();
    const Var y = layer.forward(tape, p, tape.input(x.middleRows(begin, end - begin)), ParamGrad::Accumulate,
                                Epilogue::Relu);
    tape.grad(y).setOnes();
    tape.backward_from(y);
  };
  Tape<double> whole, first, second;
  second.set_gradient_shard(1);
  p.zero_grad(0);
  p.zero_grad(1);
  backward_rows(whole, 0, 7);
  const std::vector<double> want(p.grads(), p.grads() + p.size());
  REQUIRE(std::any_of(want.begin(), want.end(), [](double g) { return g != 0.0; }));
  for (std::size_t i = 0; i < p.size(); ++i) REQUIRE(p.grads(1)[i] == 0.0);  // shard 1 untouched

  p.zero_grad(0);
  backward_rows(second, 4, 7);
  for (std::size_t i = 0; i < p.size(); ++i) REQUIRE(p.grads(0)[i] == 0.0);  // shard 0 untouched
  backward_rows(first, 0, 4);
  p.sum_gradient_shards(0, p.size());
  for (std::size_t i = 0; i < p.size(); ++i) REQUIRE_THAT(p.grads()[i], WithinRel(want[i], 1e-12) || WithinAbs(want[i], 1e-14));

  // Without gradients (no-grad tape), a shard the parameters do not have is never touched.
  Parameters<double> single;
  Linear<double> frozen(single, "fc", 5, 4);
  Tape<double> no_grad_tape;
  no_grad_tape.set_gradient_shard(1);
  NoGradScope<double> no_grad(no_grad_tape);
  const Var y = frozen.forward(no_grad_tape, single, no_grad_tape.input(x));
  REQUIRE(no_grad_tape.rows(y) == 7);
}
