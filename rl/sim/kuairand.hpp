// rl/sim/kuairand.hpp — strict parsers for the two KuaiRand-Pure side-feature files.
//
// The files (data/kuairand/, CC BY-SA 4.0, Gao et al., CIKM 2022) have traps this parser handles:
// range columns are quoted and contain commas ("[100,1k)"), some categorical codes are written as floats
// ("1.0"), several columns are empty in some rows, and is_live_streamer uses −124 as a "no" sentinel.
// Errors name the file, the line and the column.
#pragma once
#include <string>
#include <vector>

namespace mtf::sim {

/// One row of user_features_pure.csv, reduced to what the simulator uses.
struct KuaiRandUser {
  int user_id = 0;
  int activity = 0;  // 0 low (low/single_low/new/retention/UNKNOWN), 1 middle, 2 high, 3 full active
  double follow_user_num = 0, fans_user_num = 0, friend_user_num = 0, register_days = 0;
  bool is_video_author = false;
  bool is_live_streamer = false;  // −124 (sentinel) → false, 1 → true
  int onehot_feat0 = -1;          // −1 when empty
  int onehot_feat1 = -1;
};

/// One row of video_features_basic_pure.csv, reduced to what the simulator uses.
struct KuaiRandVideo {
  int video_id = 0;
  long long author_id = 0;
  bool is_ad = false;             // video_type == "AD"
  double duration_seconds = -1;   // −1 when empty
  int first_tag = -1;             // first id of the quoted multi-valued tag column; −1 when empty
};

/// Splits one CSV record; double quotes group commas, "" inside quotes is a literal quote.
std::vector<std::string> split_csv_line(const std::string& line);

std::vector<KuaiRandUser> read_kuairand_users(const std::string& path);
std::vector<KuaiRandVideo> read_kuairand_videos(const std::string& path);

}  // namespace mtf::sim
