// rl/data/reward.hpp — paper eq. 2: r = Σ_i w_i v_i over the raw feedback v of one step.
//
// Logs keep raw feedback; a reward is computed only when transitions are built, so every preset reuses
// the same logs. The presets follow section 4.4's variants: Rtime, Rintegrity and Rinteraction put a
// larger weight on play time, play integrity and interactions respectively.
#pragma once
#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rl/data/schema.hpp"

namespace mtf {

struct RewardWeights {
  std::array<double, kNumFeedback> w{};

  double reward(const float* feedback) const {
    double r = 0.0;
    for (int i = 0; i < kNumFeedback; ++i) r += w[i] * feedback[i];
    return r;
  }
};

/// "default", "Rtime", "Rintegrity" or "Rinteraction"; anything else throws std::invalid_argument.
RewardWeights reward_preset(const std::string& name);
std::vector<std::string> reward_preset_names();

nlohmann::json to_json(const RewardWeights& weights);
/// Strict: an object keyed by feedback name; unknown names throw (missing names keep weight 0).
RewardWeights reward_weights_from_json(const nlohmann::json& j);

}  // namespace mtf
