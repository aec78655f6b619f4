// Tests for rl/sim/population.cpp: profiles, segments and hidden traits conditioned on them.
#include <catch2/catch.hpp>

#include <cmath>

#include "rl/sim/population.hpp"

using namespace mtf;
using namespace mtf::sim;

TEST_CASE("segments are read from the observable profile only", "[sim][population]") {
  KuaiRandUser raw;
  raw.onehot_feat1 = 3;  // a "long" code
  raw.friend_user_num = 100;
  const User u = make_user(raw, 5, 1);
  REQUIRE(u.segment == 3);
  REQUIRE(segment_from_profile(u.profile.data()) == 3);
  raw.onehot_feat1 = 4;
  raw.friend_user_num = 3;
  REQUIRE(make_user(raw, 5, 1).segment == 0);
}

TEST_CASE("the parametric population is deterministic and heterogeneous", "[sim][population]") {
  SimConfig c;
  const Population a = make_parametric_population(c), b = make_parametric_population(c);
  REQUIRE(a.users.size() == static_cast<std::size_t>(c.num_users));
  REQUIRE(a.videos.size() == static_cast<std::size_t>(c.num_videos));
  REQUIRE(a.users[17].taste == b.users[17].taste);
  REQUIRE(a.videos[99].quality == b.videos[99].quality);
  // Hidden traits follow the segment: long-preferring users prefer longer videos, interactive users
  // interact more (logit offset), and every segment is populated.
  std::array<int, kNumSegments> count{};
  double long_len = 0, short_len = 0, inter = 0, passive = 0;
  int n_long = 0, n_short = 0, n_inter = 0, n_passive = 0;
  for (const User& u : a.users) {
    count[u.segment] += 1;
    ((u.segment & 1) ? long_len : short_len) += u.log_preferred_length;
    ((u.segment & 1) ? n_long : n_short) += 1;
    ((u.segment & 2) ? inter : passive) += u.interactivity;
    ((u.segment & 2) ? n_inter : n_passive) += 1;
  }
  for (int g = 0; g < kNumSegments; ++g) REQUIRE(count[g] > c.num_users / 10);
  REQUIRE(std::exp(long_len / n_long) > 5 * std::exp(short_len / n_short));
  REQUIRE(inter / n_inter > passive / n_passive + 2.0);
  // Clickbait videos are attractive but poor.
  double q_bait = 0, q_fair = 0;
  int n_bait = 0, n_fair = 0;
  for (const Video& v : a.videos) {
    if (v.clickbait > 0.5) q_bait += v.quality, ++n_bait;
    else q_fair += v.quality, ++n_fair;
  }
  REQUIRE(n_bait > c.num_videos / 10);
  REQUIRE(q_bait / n_bait < 0.7 * q_fair / n_fair);
}

TEST_CASE("the KuaiRand population conditions traits on the real profiles", "[sim][population]") {
  SimConfig c;
  c.population = PopulationSource::kKuaiRand;
  c.kuairand_dir = MTF_KUAIRAND_DIR;
  const Population p = make_population(c);
  REQUIRE(p.users.size() == 27285);
  REQUIRE(p.videos.size() == 7583);
  REQUIRE(p.num_topics > 30);  // distinct first tags + "untagged"
  std::array<int, kNumSegments> count{};
  for (const User& u : p.users) count[u.segment] += 1;
  const double long_share = double(count[1] + count[3]) / p.users.size();
  const double interactive_share = double(count[2] + count[3]) / p.users.size();
  INFO("long share " << long_share << ", interactive share " << interactive_share);
  REQUIRE(long_share > 0.35);
  REQUIRE(long_share < 0.55);
  REQUIRE(interactive_share > 0.3);
  REQUIRE(interactive_share < 0.55);
  int ads = 0;
  for (const Video& v : p.videos) ads += v.is_ad;
  REQUIRE(ads == 76);
  REQUIRE_THAT(p.videos[0].duration, Catch::Matchers::WithinRel(87.433f, 1e-6f));
}
