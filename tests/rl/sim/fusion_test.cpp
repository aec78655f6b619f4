// Tests for rl/sim/fusion.cpp: the action → α map, eq. 1 and top-l selection.
#include <catch2/catch.hpp>

#include <cmath>

#include "rl/sim/fusion.hpp"

using namespace mtf;
using namespace mtf::sim;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

TEST_CASE("the action map is affine per dimension within the configured bounds", "[sim][fusion]") {
  SimConfig c;
  std::array<float, kActionDim> lo, mid, hi;
  lo.fill(-1.0f);
  mid.fill(0.0f);
  hi.fill(1.0f);
  const auto a_lo = alpha_from_action(c, lo.data());
  const auto a_mid = alpha_from_action(c, mid.data());
  const auto a_hi = alpha_from_action(c, hi.data());
  for (int i = 0; i < kNumTasks; ++i) {
    REQUIRE(a_lo[i] == c.alpha_low[i]);
    REQUIRE(a_hi[i] == c.alpha_high[i]);
    REQUIRE_THAT(a_mid[i], WithinAbs(0.5 * (c.alpha_low[i] + c.alpha_high[i]), 1e-12));
  }
  // Bad tasks can only lower a score.
  REQUIRE(a_hi[kExitRate] == 0.0);
  REQUIRE(a_lo[kExitRate] == -1.0);
  // Out-of-box actions are clipped; the inverse map recovers the action.
  std::array<float, kActionDim> wild;
  wild.fill(3.0f);
  REQUIRE(alpha_from_action(c, wild.data()) == a_hi);
  std::array<float, kActionDim> a{};
  for (int i = 0; i < kActionDim; ++i) a[i] = -0.9f + 0.15f * i;
  const auto back = action_from_alpha(c, alpha_from_action(c, a.data()));
  for (int i = 0; i < kActionDim; ++i) REQUIRE_THAT(back[i], WithinAbs(a[i], 1e-6));
}

TEST_CASE("fusion score is eq. 1", "[sim][fusion]") {
  std::array<double, kNumTasks> alpha{}, beta{};
  std::array<float, kNumTasks> o{};
  double expected = 0;
  for (int i = 0; i < kNumTasks; ++i) {
    alpha[i] = 0.1 * (i - 5);
    beta[i] = 0.01 * (i + 1);
    o[i] = 0.05f * (i + 1);
    expected += alpha[i] * std::log(o[i] + beta[i]);
  }
  REQUIRE_THAT(fusion_score(alpha, beta, o.data()), WithinRel(expected, 1e-6));
}

TEST_CASE("top-l picks the highest fused scores, best first", "[sim][fusion]") {
  std::array<double, kNumTasks> alpha{}, beta{};
  beta.fill(1.0);
  alpha[kPlayProb] = 1.0;  // rank by play probability only
  const int n = 5;
  std::vector<float> scores(n * kNumTasks, 0.5f);
  const float play[n] = {0.1f, 0.9f, 0.3f, 0.95f, 0.2f};
  for (int j = 0; j < n; ++j) scores[j * kNumTasks + kPlayProb] = play[j];
  double fused[n];
  int top[3];
  rank_top_l(alpha, beta, scores.data(), n, 3, fused, top);
  REQUIRE(top[0] == 3);
  REQUIRE(top[1] == 1);
  REQUIRE(top[2] == 2);
  // A negative weight reverses the order.
  alpha[kPlayProb] = -1.0;
  rank_top_l(alpha, beta, scores.data(), n, 1, fused, top);
  REQUIRE(top[0] == 0);
}
