// tests/rl/online/evolution_test.cpp — NES (rl/online/evolution.cpp): centered ranks, the antithetic
// gradient estimate's direction and scale on a quadratic, NES climbing the quadratic, and the MLP policy
// for a parameter vector (outputs in the box, near the neutral action at initialization).
#include "rl/online/evolution.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace mtf;
using namespace mtf::online;
using Catch::Matchers::WithinAbs;

namespace {

double cosine(const VectorXd& a, const VectorXd& b) { return a.dot(b) / (a.norm() * b.norm()); }

// One gradient estimate of f(θ) = −||θ − θ*||² at θ = 0 from `pairs` antithetic pairs.
VectorXd estimate_at_zero(const VectorXd& target, int pairs, const std::string& shaping, std::uint64_t seed) {
  EsConfig config;
  config.pairs = pairs;
  config.sigma = 0.1;
  config.shaping = shaping;
  NaturalEvolution es(VectorXd::Zero(target.size()), config, seed);
  std::vector<double> fitness;
  for (const VectorXd& c : es.ask()) fitness.push_back(-(c - target).squaredNorm());
  es.tell(fitness);
  return es.last_gradient();
}

}  // namespace

TEST_CASE("centered ranks are scaled to [-1/2, 1/2] and keep the order", "[online][es]") {
  const std::vector<double> u = centered_ranks({3.0, -1.0, 10.0, 0.5, 2.0});
  const std::vector<double> expected = {0.25, -0.5, 0.5, -0.25, 0.0};
  for (std::size_t i = 0; i < u.size(); ++i) CHECK(u[i] == expected[i]);
  CHECK(centered_ranks({4.2}) == std::vector<double>{0.0});
}

TEST_CASE("the antithetic gradient estimate has the quadratic's gradient direction and scale", "[online][es]") {
  // f(θ) = −||θ − θ*||², ∇f(0) = 2θ*. Raw fitness: E g = ∇f exactly (antithetic differences of a quadratic
  // are linear in ε), and cos(g, ∇f) ≈ (1 + d/P)^(−1/2) = 0.995 for d = 20, P = 2000: bound 0.98, scale ±10 %.
  Rng rng(4);
  VectorXd target(20);
  for (Eigen::Index k = 0; k < target.size(); ++k) target(k) = rng.normal();
  const VectorXd true_gradient = 2 * target;
  const VectorXd raw = estimate_at_zero(target, 2000, "none", 1);
  CHECK(cosine(raw, true_gradient) > 0.98);
  CHECK(raw.norm() / true_gradient.norm() > 0.9);
  CHECK(raw.norm() / true_gradient.norm() < 1.1);
  // Rank shaping changes the scale, not the direction: the same bound on the cosine.
  const VectorXd ranked = estimate_at_zero(target, 2000, "centered_ranks", 1);
  CHECK(cosine(ranked, true_gradient) > 0.98);
  // With few pairs the estimate is noisy but still points uphill (cos ≈ 0.6 for P = 20): the sign, averaged.
  double mean_cosine = 0;
  for (std::uint64_t s = 0; s < 20; ++s) mean_cosine += cosine(estimate_at_zero(target, 20, "centered_ranks", 100 + s), true_gradient) / 20;
  CHECK(mean_cosine > 0.4);
}

TEST_CASE("NES with Adam climbs a quadratic to its maximum", "[online][es]") {
  Rng rng(8);
  VectorXd target(10);
  for (Eigen::Index k = 0; k < target.size(); ++k) target(k) = rng.uniform(-1, 1);
  EsConfig config;
  config.pairs = 10;
  config.sigma = 0.05;
  config.lr = 0.05;
  NaturalEvolution es(VectorXd::Zero(10), config, 3);
  const double start = target.norm();
  for (int g = 0; g < 300; ++g) {
    std::vector<double> fitness;
    for (const VectorXd& c : es.ask()) fitness.push_back(-(c - target).squaredNorm());
    es.tell(fitness);
  }
  INFO("distance " << (es.mean() - target).norm() << " from " << start);
  CHECK((es.mean() - target).norm() < 0.1 * start);
  CHECK(es.generation() == 300);
}

TEST_CASE("the same seed gives the same search", "[online][es]") {
  EsConfig config;
  config.pairs = 3;
  NaturalEvolution a(VectorXd::Constant(5, 0.2), config, 12), b(VectorXd::Constant(5, 0.2), config, 12);
  for (int g = 0; g < 5; ++g) {
    REQUIRE(a.ask() == b.ask());
    std::vector<double> fitness;
    for (const VectorXd& c : a.ask()) fitness.push_back(c.sum() - c.squaredNorm());
    a.tell(fitness);
    b.tell(fitness);
  }
  CHECK(a.mean() == b.mean());
}

TEST_CASE("the MLP policy of a parameter vector serves tanh actions, near zero at initialization", "[online][es]") {
  const MlpSpec spec = es_policy_spec(64, {16});
  const VectorXd theta0 = es_initial_parameters(spec, 5, 0.1);
  MlpParameterPolicy policy(spec, theta0);
  CHECK(policy.parameter_count() == theta0.size());
  Rng rng(1);
  std::vector<float> states(3 * 64), actions(3 * kActionDim);
  for (float& s : states) s = float(rng.uniform(0, 1));
  policy.act(states.data(), 3, actions.data(), rng);
  for (float a : actions) CHECK_THAT(a, WithinAbs(0.0, 0.3));
  policy.set_parameters(theta0 * 50.0);  // large weights saturate tanh but stay in the box
  policy.act(states.data(), 3, actions.data(), rng);
  for (float a : actions) CHECK(std::abs(a) <= 1.0f);
  CHECK_THROWS_WITH(policy.set_parameters(VectorXd::Zero(3)), Catch::Matchers::Contains("3 parameters for a network of"));
}
