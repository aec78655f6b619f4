// Tests for rl/data/policy.cpp: constant, random, action-noise and mixed policies.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>

#include "rl/data/policy.hpp"

using namespace mtf;
using Catch::Matchers::WithinAbs;

namespace {
constexpr int kS = 64;
struct Moments {
  double mean = 0, sd = 0, max_abs = 0;
};
Moments moments(const std::vector<float>& v) {
  Moments m;
  for (float x : v) m.mean += x, m.max_abs = std::max(m.max_abs, static_cast<double>(std::fabs(x)));
  m.mean /= v.size();
  for (float x : v) m.sd += (x - m.mean) * (x - m.mean);
  m.sd = std::sqrt(m.sd / v.size());
  return m;
}
}  // namespace

TEST_CASE("the constant policy repeats its (clipped) action", "[data][policy]") {
  Action a{};
  a[0] = 0.3f;
  a[1] = 7.0f;
  ConstantPolicy p(a);
  std::vector<float> states(3 * kS), actions(3 * kActionDim);
  mtf::Rng rng(1);
  p.act(states.data(), 3, actions.data(), rng);
  REQUIRE(actions[2 * kActionDim + 0] == 0.3f);
  REQUIRE(actions[2 * kActionDim + 1] == 1.0f);
}

TEST_CASE("random exploration is N(0, 0.5²) clipped to the box", "[data][policy]") {
  RandomPolicy p;
  const int n = 20000;
  std::vector<float> states(n * kS), actions(n * kActionDim);
  mtf::Rng rng(2);
  p.act(states.data(), n, actions.data(), rng);
  const Moments m = moments(actions);
  REQUIRE_THAT(m.mean, WithinAbs(0.0, 0.01));
  REQUIRE_THAT(m.sd, WithinAbs(0.48, 0.01));  // clipping at ±2σ trims σ = 0.5 to ≈ 0.48
  REQUIRE(m.max_abs <= 1.0);
}

TEST_CASE("action noise adds N(0, 0.1²) around the base policy", "[data][policy]") {
  Action a;
  a.fill(0.2f);
  a[3] = 1.0f;  // at the face: clipped noise
  NoisyPolicy p(std::make_shared<ConstantPolicy>(a));
  const int n = 20000;
  std::vector<float> states(n * kS), actions(n * kActionDim);
  mtf::Rng rng(3);
  p.act(states.data(), n, actions.data(), rng);
  std::vector<float> dim0;
  for (int i = 0; i < n; ++i) {
    dim0.push_back(actions[i * kActionDim] - 0.2f);
    REQUIRE(actions[i * kActionDim + 3] <= 1.0f);
  }
  const Moments m = moments(dim0);
  REQUIRE_THAT(m.mean, WithinAbs(0.0, 0.005));
  REQUIRE_THAT(m.sd, WithinAbs(0.1, 0.003));
  REQUIRE(p.name() == "noisy(constant)");
}

TEST_CASE("mixed multi-exploration alternates its members session by session", "[data][policy]") {
  const MixedPolicy mixed = make_behaviour_policy("mixed", Action{});
  REQUIRE(mixed.members().size() == 2);
  int random = 0;
  for (int k = 0; k < 1000; ++k) random += mixed.policy_for_session(k).name() == "random";
  REQUIRE(random == 500);  // equal numbers of sessions
  REQUIRE(mixed.name() == "mixed(random,noisy(constant))");
  REQUIRE_THROWS_WITH(make_behaviour_policy("greedy", Action{}),
                      "unknown policy \"greedy\" (expected constant, random, noisy or mixed)");
}

TEST_CASE("the step mixture serves each state by a member drawn uniformly", "[data][policy]") {
  Action low, high;
  low.fill(-0.5f);
  high.fill(0.5f);
  StepMixturePolicy mix({std::make_shared<ConstantPolicy>(low, "low"), std::make_shared<ConstantPolicy>(high, "high")});
  REQUIRE(mix.name() == "step-mixture(low,high)");
  const int n = 4000;
  std::vector<float> states(std::size_t(n) * kS), actions(std::size_t(n) * kActionDim);
  mtf::Rng rng(3);
  mix.act(states.data(), n, actions.data(), rng);
  int highs = 0;
  for (int i = 0; i < n; ++i) {
    const float a = actions[std::size_t(i) * kActionDim];
    REQUIRE((a == -0.5f || a == 0.5f));
    for (int k = 1; k < kActionDim; ++k) REQUIRE(actions[std::size_t(i) * kActionDim + k] == a);  // whole rows
    highs += a > 0;
  }
  REQUIRE(std::abs(highs - n / 2) < 4 * std::sqrt(n / 4.0));  // binomial(n, 1/2): within 4 sigma
  REQUIRE_THROWS(StepMixturePolicy({}));
}
