// rl/data/schema.hpp — what a logged step holds, independent of where the logs come from (the simulator
// or a production system): the action dimension and the raw feedback channels of eq. 2.
//
// Logs keep raw feedback, never rewards: a reward is computed when transitions are built (reward.hpp),
// so one log serves every reward variant (paper section 4.4.2).
#pragma once
#include <array>

namespace mtf {

/// Action dimension A: one fusion weight alpha_i per predicted task (k = 12, paper section 4.2).
constexpr int kActionDim = 12;

/// Raw feedback per step (summed over the l items shown when a page holds several). Logs keep exactly these.
enum Feedback : int {
  kFbPlayTime = 0,       // seconds watched
  kFbPlayIntegrity = 1,  // fraction of the video watched, in [0, 1]
  kFbPlay = 2,           // 1 if played (not skipped)
  kFbLike = 3,
  kFbShare = 4,
  kFbComment = 5,
  kFbFollow = 6,
  kFbCollect = 7,
  kFbSkip = 8,      // 1 if skipped
  kFbNegative = 9,  // 1 if the user gave negative feedback
};
constexpr int kNumFeedback = 10;
/// The feedback channels' names in logs and reward configs, in Feedback order.
inline constexpr std::array<const char*, kNumFeedback> kFeedbackNames = {
    "play_time", "play_integrity", "play", "like", "share", "comment", "follow", "collect", "skip", "negative"};

}  // namespace mtf
