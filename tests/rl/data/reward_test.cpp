// Tests for rl/data/reward.cpp: eq. 2 and the presets.
#include <catch2/catch.hpp>

#include "rl/data/reward.hpp"

using namespace mtf;
using Catch::Matchers::WithinRel;

TEST_CASE("reward is the weighted sum of raw feedback (eq. 2)", "[data][reward]") {
  const RewardWeights w = reward_preset("default");
  std::array<float, kNumFeedback> v{};
  v[kFbPlayTime] = 30.0f;
  v[kFbPlayIntegrity] = 0.5f;
  v[kFbPlay] = 1.0f;
  v[kFbLike] = 1.0f;
  const double expected = 30.0 * w.w[kFbPlayTime] + 0.5 * w.w[kFbPlayIntegrity] + w.w[kFbPlay] + w.w[kFbLike];
  REQUIRE_THAT(w.reward(v.data()), WithinRel(expected, 1e-12));
  REQUIRE(w.w[kFbSkip] < 0);
  REQUIRE(w.w[kFbNegative] < 0);
}

TEST_CASE("presets put a larger weight on their feedback", "[data][reward]") {
  const RewardWeights d = reward_preset("default");
  REQUIRE(reward_preset("Rtime").w[kFbPlayTime] > d.w[kFbPlayTime]);
  REQUIRE(reward_preset("Rintegrity").w[kFbPlayIntegrity] > d.w[kFbPlayIntegrity]);
  const RewardWeights ri = reward_preset("Rinteraction");
  for (int f : {kFbLike, kFbShare, kFbComment, kFbFollow, kFbCollect}) REQUIRE(ri.w[f] > d.w[f]);
  REQUIRE(ri.w[kFbPlayTime] == d.w[kFbPlayTime]);
  REQUIRE_THROWS_WITH(reward_preset("Rfun"),
                      "unknown reward preset \"Rfun\" (expected default, Rtime, Rintegrity or Rinteraction)");
}

TEST_CASE("reward weights round-trip through JSON and reject unknown feedback", "[data][reward]") {
  const RewardWeights w = reward_preset("Rinteraction");
  REQUIRE(reward_weights_from_json(to_json(w)).w == w.w);
  REQUIRE_THROWS_WITH(reward_weights_from_json({{"likes", 1.0}}), "reward weights: unknown feedback \"likes\"");
}
