// rl/sim/kuairand.cpp — see kuairand.hpp.
#include "rl/sim/kuairand.hpp"

#include <cmath>
#include <fstream>
#include <stdexcept>
#include <unordered_map>

namespace mtf::sim {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (quoted) throw std::invalid_argument("unterminated quote");
  return fields;
}

namespace {

// Reads a CSV file into header → column index and rows; errors name the file and line.
struct CsvTable {
  std::string path;
  std::unordered_map<std::string, int> column;
  std::vector<std::vector<std::string>> rows;  // rows[i] is file line i + 2

  int index(const std::string& name) const {
    auto it = column.find(name);
    if (it == column.end()) throw std::runtime_error(path + ": missing column \"" + name + "\"");
    return it->second;
  }
  [[noreturn]] void fail(std::size_t row, const std::string& col, const std::string& what) const {
    throw std::runtime_error(path + ":" + std::to_string(row + 2) + ": column \"" + col + "\": " + what);
  }
  // A number; ints may be written as floats ("1.0"). Empty gives `empty_value` when allowed.
  double number(std::size_t row, const std::string& col, bool allow_empty, double empty_value) const {
    const std::string& s = rows[row][index(col)];
    if (s.empty()) {
      if (allow_empty) return empty_value;
      fail(row, col, "empty");
    }
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(s, &used);
    } catch (const std::exception&) {
      fail(row, col, "not a number: \"" + s + "\"");
    }
    if (used != s.size() || !std::isfinite(v)) fail(row, col, "not a finite number: \"" + s + "\"");
    return v;
  }
  int integer(std::size_t row, const std::string& col, bool allow_empty, int empty_value) const {
    const double v = number(row, col, allow_empty, empty_value);
    if (v != std::floor(v)) fail(row, col, "not an integer: \"" + rows[row][index(col)] + "\"");
    return static_cast<int>(v);
  }
  const std::string& text(std::size_t row, const std::string& col) const { return rows[row][index(col)]; }
};

CsvTable read_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  CsvTable t;
  t.path = path;
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(path + ":1: empty file (no header)");
  const auto header = split_csv_line(line);
  for (std::size_t i = 0; i < header.size(); ++i) t.column[header[i]] = static_cast<int>(i);
  std::size_t line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line == "\r") continue;
    std::vector<std::string> fields;
    try {
      fields = split_csv_line(line);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(path + ":" + std::to_string(line_no) + ": " + e.what());
    }
    if (fields.size() != header.size())
      throw std::runtime_error(path + ":" + std::to_string(line_no) + ": expected " +
                               std::to_string(header.size()) + " columns, got " + std::to_string(fields.size()));
    t.rows.push_back(std::move(fields));
  }
  return t;
}

int activity_code(const std::string& degree) {
  if (degree == "full_active") return 3;
  if (degree == "high_active") return 2;
  if (degree == "middle_active") return 1;
  return 0;  // low_active, single_low_active, 2_14_day_new, day_new, 30day_retention, UNKNOWN
}

}  // namespace

std::vector<KuaiRandUser> read_kuairand_users(const std::string& path) {
  const CsvTable t = read_csv(path);
  std::vector<KuaiRandUser> users;
  users.reserve(t.rows.size());
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    KuaiRandUser u;
    u.user_id = t.integer(r, "user_id", false, 0);
    u.activity = activity_code(t.text(r, "user_active_degree"));
    u.follow_user_num = t.number(r, "follow_user_num", false, 0);
    u.fans_user_num = t.number(r, "fans_user_num", false, 0);
    u.friend_user_num = t.number(r, "friend_user_num", false, 0);
    u.register_days = t.number(r, "register_days", false, 0);
    u.is_video_author = t.integer(r, "is_video_author", false, 0) == 1;
    u.is_live_streamer = t.integer(r, "is_live_streamer", false, -124) == 1;  // −124 is "no"
    u.onehot_feat0 = t.integer(r, "onehot_feat0", true, -1);
    u.onehot_feat1 = t.integer(r, "onehot_feat1", true, -1);
    users.push_back(u);
  }
  return users;
}

std::vector<KuaiRandVideo> read_kuairand_videos(const std::string& path) {
  const CsvTable t = read_csv(path);
  std::vector<KuaiRandVideo> videos;
  videos.reserve(t.rows.size());
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    KuaiRandVideo v;
    v.video_id = t.integer(r, "video_id", false, 0);
    v.author_id = static_cast<long long>(t.number(r, "author_id", false, 0));
    v.is_ad = t.text(r, "video_type") == "AD";
    const double ms = t.number(r, "video_duration", true, -1);
    v.duration_seconds = ms > 0 ? ms / 1000.0 : -1;
    const std::string& tag = t.text(r, "tag");
    if (!tag.empty()) {
      const std::string first = tag.substr(0, tag.find(','));
      try {
        v.first_tag = std::stoi(first);
      } catch (const std::exception&) {
        t.fail(r, "tag", "not a tag id list: \"" + tag + "\"");
      }
    }
    videos.push_back(v);
  }
  return videos;
}

}  // namespace mtf::sim
