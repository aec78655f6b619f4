// rl/data/reward.cpp — reward presets.
//
// Default weights, in "reward units": 1 unit ≈ 50 s of play time ≈ two fully watched videos ≈ half a like.
//   play_time 0.02 / s, play_integrity 0.5, play 0, like 2, share 3, comment 2, follow 4, collect 2,
//   skip −0.05, negative −1.
// Rtime triples the play-time weight, Rintegrity triples play integrity, Rinteraction triples the five
// interaction weights; everything else is the default.
#include "rl/data/reward.hpp"

#include <stdexcept>

namespace mtf {

namespace {
RewardWeights default_weights() {
  RewardWeights rw;
  rw.w[kFbPlayTime] = 0.02;
  rw.w[kFbPlayIntegrity] = 0.5;
  rw.w[kFbPlay] = 0.0;
  rw.w[kFbLike] = 2.0;
  rw.w[kFbShare] = 3.0;
  rw.w[kFbComment] = 2.0;
  rw.w[kFbFollow] = 4.0;
  rw.w[kFbCollect] = 2.0;
  rw.w[kFbSkip] = -0.05;
  rw.w[kFbNegative] = -1.0;
  return rw;
}
}  // namespace

std::vector<std::string> reward_preset_names() { return {"default", "Rtime", "Rintegrity", "Rinteraction"}; }

RewardWeights reward_preset(const std::string& name) {
  RewardWeights rw = default_weights();
  if (name == "default") return rw;
  if (name == "Rtime") {
    rw.w[kFbPlayTime] *= 3.0;
    return rw;
  }
  if (name == "Rintegrity") {
    rw.w[kFbPlayIntegrity] *= 3.0;
    return rw;
  }
  if (name == "Rinteraction") {
    for (int f : {kFbLike, kFbShare, kFbComment, kFbFollow, kFbCollect}) rw.w[f] *= 3.0;
    return rw;
  }
  throw std::invalid_argument("unknown reward preset \"" + name +
                              "\" (expected default, Rtime, Rintegrity or Rinteraction)");
}

nlohmann::json to_json(const RewardWeights& weights) {
  nlohmann::json j = nlohmann::json::object();
  for (int i = 0; i < kNumFeedback; ++i) j[kFeedbackNames[i]] = weights.w[i];
  return j;
}

RewardWeights reward_weights_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("reward weights: expected a JSON object");
  RewardWeights rw;
  for (auto it = j.begin(); it != j.end(); ++it) {
    int index = -1;
    for (int i = 0; i < kNumFeedback; ++i)
      if (it.key() == kFeedbackNames[i]) index = i;
    if (index < 0) throw std::invalid_argument("reward weights: unknown feedback \"" + it.key() + "\"");
    if (!it.value().is_number())
      throw std::invalid_argument("reward weights: \"" + it.key() + "\" must be a number");
    rw.w[index] = it.value().get<double>();
  }
  return rw;
}

}  // namespace mtf
