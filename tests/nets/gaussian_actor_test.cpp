// tests/nets/gaussian_actor_test.cpp — the tanh-Gaussian actor: its sample and log-density against the
// formula (log_std clamped to [-20, 2]), gradients against finite differences in double, sample_repeated
// equal to sample on the repeated state, the deterministic tanh(mean), and the PyTorch parameter layout.
#include "nets/gaussian_actor.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "engine/gradcheck.hpp"
#include "tests/support/random.hpp"
#include "tests/support/repeated_state.hpp"

using namespace mtf;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

namespace {
// The actor's output layer set to a constant head: weight 0, bias = [mean | log_std].
template <class T>
void set_constant_head(GaussianActor<T>& actor, const std::vector<double>& mean, const std::vector<double>& log_std) {
  Parameters<T>& p = actor.params();
  const auto& last = p.blocks()[p.blocks().size() - 2];  // the output layer's weight, then its bias
  p.value(last).setZero();
  auto bias = p.value(p.blocks().back());
  const Index A = actor.spec().action_dim;
  for (Index j = 0; j < A; ++j) {
    bias(0, j) = T(mean[std::size_t(j)]);
    bias(0, A + j) = T(log_std[std::size_t(j)]);
  }
}
}  // namespace

TEST_CASE("gaussian actor: the layout is PyTorch's S -> hidden -> 2A", "[nets][gaussian_actor]") {
  Rng rng(1);
  GaussianActor<float> actor(GaussianActorSpec{5, 3, {7, 6}}, rng);
  const auto& b = actor.params().blocks();
  REQUIRE(b.size() == 6);
  REQUIRE((b[0].rows == 7 && b[0].cols == 5));
  REQUIRE((b[2].rows == 6 && b[2].cols == 7));
  REQUIRE((b[4].rows == 6 && b[4].cols == 6));  // 2A outputs: mean, then log_std
  REQUIRE(actor.params().size() == std::size_t(7 * 5 + 7 + 6 * 7 + 6 + 6 * 6 + 6));
}

TEST_CASE("gaussian actor: sample and log-density follow the formula, log_std clamped", "[nets][gaussian_actor]") {
  Rng rng(2);
  GaussianActor<double> actor(GaussianActorSpec{4, 3, {8, 5}}, rng);
  // log_std 5 is clamped to 2, -25 to -20; the third is inside the bounds.
  const std::vector<double> mean = {0.3, -1.2, 0.05}, log_std = {5.0, -25.0, -0.4};
  set_constant_head(actor, mean, log_std);
  const MatrixR<double> s = test::normal_matrix(6, 4, rng), eps = test::normal_matrix(6, 3, rng);
  Tape<double> t;
  const auto smp = actor.sample(t, t.input(s), t.input(eps));
  const MatrixR<double> a = t.value(smp.action), lp = t.value(smp.log_prob);
  const MatrixR<double> det = t.value(actor.mean_action(t, t.input(s)));
  for (Index i = 0; i < 6; ++i) {
    double expected = 0;
    for (Index j = 0; j < 3; ++j) {
      const double ls = std::min(std::max(log_std[std::size_t(j)], -20.0), 2.0), sd = std::exp(ls);
      const double u = mean[std::size_t(j)] + sd * eps(i, j);
      REQUIRE_THAT(a(i, j), WithinRel(std::tanh(u), 1e-12));
      REQUIRE_THAT(det(i, j), WithinRel(std::tanh(mean[std::size_t(j)]), 1e-12));
      // log N(u; mean, sd) - log(1 - tanh(u)^2). The standardized u is eps itself ((u - mean) / sd loses
      // digits at sd = e^-20), and 1 - tanh(u)^2 = 4 e^{-2|u|} / (1 + e^{-2|u|})^2 (1 - tanh^2 cancels
      // at |u| ~ 15, which sd = e^2 reaches).
      const double z = eps(i, j);
      const double log1m_tanh2 = std::log(4.0) - 2 * std::abs(u) - 2 * std::log1p(std::exp(-2 * std::abs(u)));
      expected += -0.5 * z * z - ls - 0.5 * std::log(2 * M_PI) - log1m_tanh2;
    }
    REQUIRE_THAT(lp(i, 0), WithinRel(expected, 1e-9));
  }
}

TEST_CASE("gaussian actor: gradients of the sample and its log-density match finite differences",
          "[nets][gaussian_actor]") {
  Rng rng(3);
  GaussianActor<double> actor(GaussianActorSpec{3, 2, {6, 5}}, rng);
  const MatrixR<double> s = test::normal_matrix(4, 3, rng), eps = test::normal_matrix(4, 2, rng);
  const GradCheckResult r = check_gradients({s, eps}, {true, false}, &actor.params(),
                                            [&](Tape<double>& t, const std::vector<Var>& in) {
                                              const auto smp = actor.sample(t, in[0], in[1]);
                                              return ops::concat_cols(t, smp.action, smp.log_prob);
                                            });
  INFO(r.first_failure);
  REQUIRE(r.ok);
  const GradCheckResult d = check_gradients({s}, {true}, &actor.params(), [&](Tape<double>& t, const std::vector<Var>& in) {
    return actor.mean_action(t, in[0]);
  });
  INFO(d.first_failure);
  REQUIRE(d.ok);
}

TEST_CASE("gaussian actor: the clamp stops log_std's gradient outside [-20, 2]", "[nets][gaussian_actor]") {
  Rng rng(4);
  GaussianActor<double> actor(GaussianActorSpec{3, 2, {4, 4}}, rng);
  set_constant_head(actor, {0.1, -0.2}, {3.0, 0.5});  // the first log_std is clamped
  Tape<double> t;
  const auto smp = actor.sample(t, t.input(test::normal_matrix(5, 3, rng)), t.input(test::normal_matrix(5, 2, rng)));
  actor.params().zero_grad();
  t.backward(ops::sum(t, smp.log_prob));
  const auto bias_grad = actor.params().grad(actor.params().blocks().back());
  REQUIRE(bias_grad(0, 2) == 0.0);  // clamped: as torch.clamp, no gradient
  REQUIRE(bias_grad(0, 3) != 0.0);
}

TEST_CASE("gaussian actor: sample_repeated equals sample on the repeated state: value and gradients",
          "[nets][gaussian_actor]") {
  Rng rng(5);
  GaussianActor<double> actor(GaussianActorSpec{3, 2, {5, 4}}, rng);
  const Index M = 4, n = 3;
  const MatrixR<double> s = test::normal_matrix(M, 3, rng), eps = test::normal_matrix(M * n, 2, rng);
  test::require_repeated_matches(
      actor.params(), s, eps, n,
      [&](Tape<double>& t, Var s_rep, Var e) {
        const auto smp = actor.sample(t, s_rep, e);
        return ops::concat_cols(t, smp.action, smp.log_prob);
      },
      [&](Tape<double>& t, Var state, Var e, Index reps) {
        const auto smp = actor.sample_repeated(t, state, e, reps);
        return ops::concat_cols(t, smp.action, smp.log_prob);
      },
      3, rng);
}
