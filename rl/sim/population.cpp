// rl/sim/population.cpp — see population.hpp for the model.
#include "rl/sim/population.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "engine/rng.hpp"

namespace mtf::sim {

const std::array<const char*, kNumSegments> kSegmentNames = {"short-passive", "long-passive",
                                                             "short-interactive", "long-interactive"};

namespace {
constexpr int kFeat1Codes = 7;
constexpr double kInteractiveFriends = 30.0;
float interactive_threshold() { return static_cast<float>(std::log1p(kInteractiveFriends) / 8.0); }
bool long_code(int code) { return code == 1 || code == 3 || code == 5; }
}  // namespace

int segment_from_profile(const float* profile) {
  bool long_pref = false;
  for (int c = 0; c < kFeat1Codes; ++c)
    if (long_code(c) && profile[10 + c] > 0.5f) long_pref = true;
  const bool interactive = profile[6] >= interactive_threshold() - 1e-6f;
  return (long_pref ? 1 : 0) | (interactive ? 2 : 0);
}

User make_user(const KuaiRandUser& raw, int num_topics, std::uint64_t seed) {
  Rng rng(seed);
  User u;
  u.id = raw.user_id;
  auto& p = u.profile;
  p.fill(0.0f);
  p[std::clamp(raw.activity, 0, 3)] = 1.0f;
  p[4] = static_cast<float>(std::log1p(std::max(0.0, raw.follow_user_num)) / 8.0);
  p[5] = static_cast<float>(std::log1p(std::max(0.0, raw.fans_user_num)) / 10.0);
  p[6] = static_cast<float>(std::log1p(std::max(0.0, raw.friend_user_num)) / 8.0);
  p[7] = static_cast<float>(std::max(0.0, raw.register_days) / 3650.0);
  p[8] = raw.is_video_author ? 1.0f : 0.0f;
  p[9] = raw.is_live_streamer ? 1.0f : 0.0f;
  if (raw.onehot_feat1 >= 0 && raw.onehot_feat1 < kFeat1Codes) p[10 + raw.onehot_feat1] = 1.0f;
  p[17] = raw.onehot_feat0 == 1 ? 1.0f : 0.0f;
  u.segment = segment_from_profile(p.data());

  // Hidden traits conditioned on the profile (see population.hpp).
  const bool long_pref = (u.segment & 1) != 0;
  const bool interactive = (u.segment & 2) != 0;
  u.preferred_length = static_cast<float>((long_pref ? 90.0 : 8.0) * std::exp(0.3 * rng.normal()));
  u.log_preferred_length = std::log(u.preferred_length);
  u.interactivity =
      static_cast<float>((interactive ? 1.6 : -2.0) + 0.3 * (raw.is_video_author ? 1 : 0) + 0.3 * rng.normal());
  const int activity = std::clamp(raw.activity, 0, 3);
  u.activeness = static_cast<float>(-0.6 + 0.4 * activity + 0.3 * rng.normal());
  u.patience = static_cast<float>(-4.1 + 0.15 * (3 - activity) + 0.25 * rng.normal());
  const double account_age = std::min(1.0, std::max(0.0, raw.register_days) / 1800.0);
  u.clickbait_susceptibility =
      static_cast<float>(std::clamp(1.0 + 0.4 * (1.0 - account_age) + (interactive ? -0.3 : 0.3) + 0.25 * rng.normal(), 0.2, 2.0));
  u.base_satisfaction = static_cast<float>(0.2 * rng.normal());
  u.taste.resize(num_topics);
  for (auto& t : u.taste) t = static_cast<float>(0.8 * rng.normal());
  return u;
}

namespace {

// Hidden attributes shared by both catalogues: clickbait videos are attractive but poor.
void draw_hidden_video_traits(Video& v, double clickbait_share, Rng& rng) {
  const bool bait = rng.uniform() < clickbait_share;
  v.clickbait = static_cast<float>(bait ? rng.uniform(0.6, 1.0) : rng.uniform(0.0, 0.15));
  const double base_quality = 1.0 / (1.0 + std::exp(-(0.3 + rng.normal())));
  v.quality = static_cast<float>(base_quality * (1.0 - 0.6 * v.clickbait) * (v.is_ad ? 0.8 : 1.0));
  // Interaction-inviting videos (memes, challenges) tend to be short: a conflict with play time.
  v.interactiveness = static_cast<float>(rng.normal() - 0.6 * (std::log(v.duration) - std::log(30.0)));
}

double draw_duration(Rng& rng) { return std::clamp(30.0 * std::exp(0.9 * rng.normal()), 3.0, 300.0); }

// Synthetic raw profile with KuaiRand-like marginals (activity shares, count quantiles, code shares).
KuaiRandUser synthetic_profile(int id, Rng& rng) {
  KuaiRandUser r;
  r.user_id = id;
  const double a = rng.uniform();
  r.activity = a < 0.66 ? 3 : a < 0.886 ? 2 : a < 0.964 ? 1 : 0;
  r.follow_user_num = std::round(std::exp(std::log(155.0) + 1.6 * rng.normal()));
  r.fans_user_num = std::round(std::exp(std::log(48.0) + 2.0 * rng.normal()));
  r.friend_user_num = std::round(std::exp(std::log(16.0) + 1.8 * rng.normal()));
  r.register_days = std::round(rng.uniform(30.0, 3600.0));
  r.is_video_author = rng.uniform() < 0.82;
  r.is_live_streamer = rng.uniform() < 0.226;
  static constexpr double kCode1Share[kFeat1Codes] = {848, 6006, 5096, 3432, 7221, 2759, 1923};
  double c = rng.uniform() * 27285.0;
  r.onehot_feat1 = kFeat1Codes - 1;
  for (int k = 0; k < kFeat1Codes; ++k) {
    if (c < kCode1Share[k]) {
      r.onehot_feat1 = k;
      break;
    }
    c -= kCode1Share[k];
  }
  r.onehot_feat0 = rng.uniform() < 0.5 ? 1 : 0;
  return r;
}

}  // namespace

Population make_parametric_population(const SimConfig& config) {
  Population pop;
  pop.num_topics = config.num_topics;
  pop.users.reserve(config.num_users);
  for (int i = 0; i < config.num_users; ++i) {
    Rng rng(mix_seed(config.population_seed, 2 * static_cast<std::uint64_t>(i)));
    const KuaiRandUser raw = synthetic_profile(i, rng);
    pop.users.push_back(make_user(raw, pop.num_topics, rng.next_u64()));
  }
  pop.videos.reserve(config.num_videos);
  for (int i = 0; i < config.num_videos; ++i) {
    Rng rng(mix_seed(config.population_seed, 2 * static_cast<std::uint64_t>(i) + 1));
    Video v;
    v.id = i;
    v.topic = static_cast<int>(rng.below(config.num_topics));
    v.duration = static_cast<float>(draw_duration(rng));
    v.log_duration = std::log(v.duration);
    v.is_ad = rng.uniform() < 0.01;
    draw_hidden_video_traits(v, config.clickbait_share, rng);
    pop.videos.push_back(v);
  }
  return pop;
}

Population load_kuairand_population(const SimConfig& config) {
  const std::string dir = config.kuairand_dir;
  const auto raw_users = read_kuairand_users(dir + "/user_features_pure.csv");
  const auto raw_videos = read_kuairand_videos(dir + "/video_features_basic_pure.csv");
  if (raw_users.empty() || static_cast<int>(raw_videos.size()) < config.num_candidates)
    throw std::runtime_error(dir + ": too few users or videos");

  // Topics: the distinct first tags, in increasing id order, plus one "untagged" topic.
  std::map<int, int> topic_of_tag;
  for (const auto& v : raw_videos)
    if (v.first_tag >= 0) topic_of_tag.emplace(v.first_tag, 0);
  int next = 0;
  for (auto& kv : topic_of_tag) kv.second = next++;
  Population pop;
  pop.num_topics = next + 1;
  const int untagged = next;

  pop.users.reserve(raw_users.size());
  for (std::size_t i = 0; i < raw_users.size(); ++i) {
    KuaiRandUser raw = raw_users[i];
    raw.user_id = static_cast<int>(i);  // ids are the row order (KuaiRand's ids are 0…27284 already)
    pop.users.push_back(make_user(raw, pop.num_topics, mix_seed(config.population_seed, 2 * i)));
  }
  pop.videos.reserve(raw_videos.size());
  for (std::size_t i = 0; i < raw_videos.size(); ++i) {
    const auto& raw = raw_videos[i];
    Rng rng(mix_seed(config.population_seed, 2 * i + 1));
    Video v;
    v.id = static_cast<int>(i);
    v.topic = raw.first_tag >= 0 ? topic_of_tag.at(raw.first_tag) : untagged;
    const double d = raw.duration_seconds > 0 ? raw.duration_seconds : draw_duration(rng);
    v.duration = static_cast<float>(std::clamp(d, 1.0, 600.0));
    v.log_duration = std::log(v.duration);
    v.is_ad = raw.is_ad;
    draw_hidden_video_traits(v, config.clickbait_share, rng);
    pop.videos.push_back(v);
  }
  return pop;
}

Population make_population(const SimConfig& config) {
  config.validate();
  return config.population == PopulationSource::kParametric ? make_parametric_population(config)
                                                            : load_kuairand_population(config);
}

}  // namespace mtf::sim
