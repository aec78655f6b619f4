// Tests for rl/sim/policy.cpp: the per-segment policy.
#include <catch2/catch.hpp>

#include "rl/sim/policy.hpp"
#include "rl/sim/population.hpp"

using namespace mtf;
using namespace mtf::sim;
using Catch::Matchers::WithinAbs;

namespace {
constexpr int kS = 64;
}  // namespace

TEST_CASE("the segment policy reads the segment from the state", "[sim][policy]") {
  std::vector<Action> per(kNumSegments);
  for (int g = 0; g < kNumSegments; ++g) per[g].fill(0.1f * g);
  SegmentPolicy p(kS, per);
  KuaiRandUser raw;
  raw.onehot_feat1 = 1;       // long
  raw.friend_user_num = 500;  // interactive
  const User u = make_user(raw, 3, 1);
  std::vector<float> states(2 * kS, 0.0f), actions(2 * kActionDim);
  std::copy(u.profile.begin(), u.profile.end(), states.begin() + kS);  // row 1: segment 3; row 0: segment 0
  mtf::Rng rng(4);
  p.act(states.data(), 2, actions.data(), rng);
  REQUIRE(actions[0] == 0.0f);
  REQUIRE_THAT(actions[kActionDim], WithinAbs(0.3, 1e-6));
}

