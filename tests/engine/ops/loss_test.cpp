// tests/engine/ops/loss_test.cpp — MSE, Gaussian KL and the tanh-Gaussian log-density: values against
// independent formulas and gradients against finite differences.
#include "engine/ops/loss.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "engine/gradcheck.hpp"
#include "tests/support/random.hpp"
#include "tests/support/require_gradients.hpp"

using namespace mtf;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

using test::require_gradients;

TEST_CASE("mse: mean of squared differences, gradients to both sides", "[ops][loss]") {
  Rng rng(50);
  const MatrixR<double> x = test::normal_matrix(6, 3, rng), y = test::normal_matrix(6, 3, rng);
  Tape<double> t;
  REQUIRE_THAT(t.scalar(ops::mse(t, t.input(x), t.input(y))), WithinRel((x - y).array().square().mean(), 1e-12));
  require_gradients({x, y}, {true, true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::mse(t, in[0], in[1]); });
}

TEST_CASE("gaussian_kl: KL(N(mu, sigma^2) || N(0,1)) averaged over elements", "[ops][loss]") {
  Rng rng(51);
  const MatrixR<double> mu = test::normal_matrix(5, 4, rng), log_std = test::normal_matrix(5, 4, rng, 0.5);
  double expected = 0;  // closed form per element: (sigma^2 + mu^2 - 1)/2 - log sigma
  for (Index i = 0; i < mu.size(); ++i) {
    const double s = std::exp(log_std.data()[i]);
    expected += 0.5 * (s * s + mu.data()[i] * mu.data()[i] - 1.0) - log_std.data()[i];
  }
  expected /= double(mu.size());
  Tape<double> t;
  REQUIRE_THAT(t.scalar(ops::gaussian_kl(t, t.input(mu), t.input(log_std))), WithinRel(expected, 1e-12));
  // zero exactly at the prior
  Tape<double> t0;
  MatrixR<double> zeros = MatrixR<double>::Zero(2, 3);
  REQUIRE_THAT(t0.scalar(ops::gaussian_kl(t0, t0.input(zeros), t0.input(zeros))), WithinAbs(0.0, 1e-15));
  require_gradients({mu, log_std}, {true, true}, [](Tape<double>& t, const std::vector<Var>& in) {
    return ops::gaussian_kl(t, in[0], in[1]);
  });
}

TEST_CASE("tanh_gaussian_log_prob: density of a squashed Gaussian", "[ops][loss]") {
  Rng rng(52);
  const MatrixR<double> mu = test::normal_matrix(4, 3, rng), log_std = test::normal_matrix(4, 3, rng, 0.3),
                        eps = test::normal_matrix(4, 3, rng);
  Tape<double> t;
  const MatrixR<double> lp = t.value(ops::tanh_gaussian_log_prob(t, t.input(mu), t.input(log_std), t.input(eps)));
  for (Index i = 0; i < 4; ++i) {
    double expected = 0;  // log N(u; mu, sigma) - log(1 - tanh(u)^2), the naive formula (fine for |u| small)
    for (Index j = 0; j < 3; ++j) {
      const double s = std::exp(log_std(i, j)), u = mu(i, j) + s * eps(i, j);
      expected += -0.5 * eps(i, j) * eps(i, j) - std::log(s) - 0.5 * std::log(2 * M_PI) -
                  std::log(1 - std::tanh(u) * std::tanh(u));
    }
    REQUIRE_THAT(lp(i, 0), WithinRel(expected, 1e-10));
  }
  require_gradients({mu, log_std, eps}, {true, true, false}, [](Tape<double>& t, const std::vector<Var>& in) {
    return ops::tanh_gaussian_log_prob(t, in[0], in[1], in[2]);
  });
}

TEST_CASE("tanh_gaussian_log_prob stays finite where tanh saturates", "[ops][loss]") {
  MatrixR<double> mu = MatrixR<double>::Constant(1, 2, 30.0), log_std = MatrixR<double>::Zero(1, 2),
                  eps = MatrixR<double>::Zero(1, 2);
  Tape<double> t;
  const double lp = t.scalar(ops::tanh_gaussian_log_prob(t, t.input(mu), t.input(log_std), t.input(eps)));
  REQUIRE(std::isfinite(lp));
  // -log(1 - tanh(30)^2) = 2 (30 + softplus(-60) - log 2) per dimension
  REQUIRE_THAT(lp, WithinRel(2 * (-0.5 * std::log(2 * M_PI) + 2 * (30.0 - std::log(2.0))), 1e-10));
}
