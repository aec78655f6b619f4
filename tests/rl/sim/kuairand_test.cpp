// Tests for rl/sim/kuairand.cpp: the CSV traps of the real KuaiRand-Pure files.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "rl/sim/kuairand.hpp"

using namespace mtf;
using namespace mtf::sim;

TEST_CASE("CSV split keeps quoted commas together", "[sim][kuairand]") {
  const auto f = split_csv_line("0,full_active,514,500+,150,\"[100,1k)\",,1.0\r");
  REQUIRE(f.size() == 8);
  REQUIRE(f[5] == "[100,1k)");
  REQUIRE(f[6].empty());
  REQUIRE(f[7] == "1.0");
  REQUIRE(split_csv_line("a,\"say \"\"hi\"\"\",b")[1] == "say \"hi\"");
  REQUIRE_THROWS_WITH(split_csv_line("a,\"open"), "unterminated quote");
}

TEST_CASE("the real user file parses with sentinels and float codes", "[sim][kuairand]") {
  const auto users = read_kuairand_users(std::string(MTF_KUAIRAND_DIR) + "/user_features_pure.csv");
  REQUIRE(users.size() == 27285);
  // Row 0: is_live_streamer 1, follow 514, friends 34, onehot_feat1 = 1.
  REQUIRE(users[0].is_live_streamer);
  REQUIRE(users[0].follow_user_num == 514);
  REQUIRE(users[0].friend_user_num == 34);
  REQUIRE(users[0].onehot_feat1 == 1);
  REQUIRE(users[0].activity == 3);
  // Row 1: is_live_streamer −124 is the "no" sentinel.
  REQUIRE_FALSE(users[1].is_live_streamer);
  int streamers = 0, full = 0;
  for (const auto& u : users) streamers += u.is_live_streamer, full += u.activity == 3;
  REQUIRE(streamers == 6158);
  REQUIRE(full == 17959);
}

TEST_CASE("the real video file parses empty durations, multi-valued tags and the ad flag", "[sim][kuairand]") {
  const auto videos = read_kuairand_videos(std::string(MTF_KUAIRAND_DIR) + "/video_features_basic_pure.csv");
  REQUIRE(videos.size() == 7583);
  int no_duration = 0, ads = 0, no_tag = 0;
  for (const auto& v : videos) no_duration += v.duration_seconds < 0, ads += v.is_ad, no_tag += v.first_tag < 0;
  REQUIRE(no_duration == 239);
  REQUIRE(ads == 76);
  REQUIRE(no_tag == 96);
  REQUIRE(videos[0].duration_seconds == 87.433);
  REQUIRE(videos[0].first_tag == 39);
}

TEST_CASE("a malformed CSV row is an error naming file, line and column", "[sim][kuairand]") {
  const std::string path = "kuairand_bad_videos.csv";
  {
    std::ofstream out(path);
    out << "video_id,author_id,video_type,video_duration,tag\n";
    out << "0,7,NORMAL,1000.0,\"3,4\"\n";
    out << "1,8,NORMAL,abc,5\n";
  }
  REQUIRE_THROWS_WITH(read_kuairand_videos(path),
                      "kuairand_bad_videos.csv:3: column \"video_duration\": not a number: \"abc\"");
  std::remove(path.c_str());
}
