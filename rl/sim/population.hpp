// rl/sim/population.hpp — users (observable profile + hidden traits) and the video catalogue.
//
// Users. The observable profile (kProfileDim features, part of every state) is either drawn from
// marginals that mimic KuaiRand-Pure (the parametric default, no files needed) or read from the real
// user_features_pure.csv. The hidden traits are drawn *conditioned on the profile*:
//   segment bit 0 "prefers long videos"  ⇔ onehot_feat1 ∈ {1, 3, 5}   (≈ 45 % of KuaiRand users)
//   segment bit 1 "interaction-heavy"    ⇔ friend_user_num ≥ 30       (≈ 40 %)
//   preferred length L_u ≈ 90 s (long) or 8 s (short), × exp(N(0, 0.3²))
//   interactivity ι_u ≈ +1.6 (interactive) or −2.0 (passive) + 0.3·is_author + N(0, 0.3²)  (logit offset)
//   activeness (return-visit logit) and patience (exit logit) from the activity level
//   clickbait susceptibility higher for young accounts and passive users; topic tastes θ_u ~ N(0, 0.8²).
// The segment is a deterministic function of the observable profile (segment_from_profile), so a policy
// can personalize from the state; the traits themselves never enter the state.
//
// Videos: topic, duration, ad flag (observable in KuaiRand) and hidden quality q ∈ (0, 1), clickbait
// score cb ∈ [0, 1] and "interactiveness" (how much a video invites likes and comments).
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "rl/sim/config.hpp"
#include "rl/sim/kuairand.hpp"

namespace mtf::sim {

/// Profile layout: [0..3] activity one-hot (low, middle, high, full), [4] log1p(follow)/8,
/// [5] log1p(fans)/10, [6] log1p(friends)/8, [7] register_days/3650, [8] is_video_author,
/// [9] is_live_streamer, [10..16] onehot_feat1 one-hot (7 codes), [17] onehot_feat0.
constexpr int kProfileDim = 18;
constexpr int kNumSegments = 4;
extern const std::array<const char*, kNumSegments> kSegmentNames;

struct User {
  int id = 0;
  std::array<float, kProfileDim> profile{};
  int segment = 0;  // = segment_from_profile(profile)
  // Hidden traits (never in the state).
  std::vector<float> taste;  // per topic, added to the play and interaction logits
  float preferred_length = 20;   // seconds
  float log_preferred_length = 3;
  float interactivity = 0;       // logit offset of all interactions
  float patience = -3;           // exit-hazard logit offset (lower = more patient)
  float clickbait_susceptibility = 1;
  float activeness = 0;          // logit offset of returning for another session the same day
  float base_satisfaction = 0;
};

struct Video {
  int id = 0;
  int topic = 0;
  float duration = 30;  // seconds
  float log_duration = 3.4f;
  bool is_ad = false;
  // Hidden.
  float quality = 0.5f;
  float clickbait = 0;
  float interactiveness = 0;
};

struct Population {
  std::vector<User> users;
  std::vector<Video> videos;
  int num_topics = 0;
};

/// 0..3: bit 0 = prefers long videos, bit 1 = interaction-heavy. Reads only the observable profile.
int segment_from_profile(const float* profile);

/// Profile features and hidden traits of one user from its (real or synthetic) raw profile.
User make_user(const KuaiRandUser& raw, int num_topics, std::uint64_t seed);

/// The parametric population (SimConfig::num_users, num_videos, num_topics, clickbait_share).
Population make_parametric_population(const SimConfig& config);
/// Users and videos from the KuaiRand-Pure files in config.kuairand_dir (all rows).
Population load_kuairand_population(const SimConfig& config);
/// Dispatches on config.population.
Population make_population(const SimConfig& config);

}  // namespace mtf::sim
