// examples/mtf/inspect.cpp — `mtf inspect`: validate a session log (strictly) and print its statistics
// beside the real KuaiRand rates (../shared/research/simulators.md §1.4, third-party statistics).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "commands.hpp"
#include "examples/cli/options.hpp"
#include "rl/data/session_log.hpp"

namespace mtf::cli {

namespace {

const char* kDescription = R"(Validates a session log with the strict reader (any defect: an error naming the file, line and field,
exit status 1) and prints sessions, steps, session lengths and feedback rates beside KuaiRand's.)";

// The q-quantile of values counted by key (element floor(q (n - 1)) of the sorted values, as
// std::nth_element would pick it), from a histogram rather than the values: memory grows with the
// distinct keys, not with the log.
double quantile(const std::map<std::int64_t, std::int64_t>& counts, double q, double key_unit) {
  std::int64_t n = 0;
  for (const auto& [key, c] : counts) n += c;
  if (n == 0) return 0;
  const auto k = static_cast<std::int64_t>(q * double(n - 1));
  std::int64_t below = 0;
  for (const auto& [key, c] : counts) {
    if (k < below + c) return double(key) * key_unit;
    below += c;
  }
  return double(counts.rbegin()->first) * key_unit;
}

// What inspect reports, accumulated block by block (SessionLogReader) so a log larger than memory can be
// inspected: sums and counts, sets of users and days, and histograms for the medians (session lengths
// exactly; play time in 0.01 s bins, so its median is the bin's lower edge).
struct LogStats {
  std::int64_t steps = 0, sessions = 0;
  std::set<int> users, days;
  std::set<std::pair<int, int>> user_days;
  std::map<std::int64_t, std::int64_t> lengths, play_time_centiseconds;
  std::array<double, kNumFeedback> sum{};
  double long_views = 0;

  void add(const SessionLog& log) {
    steps += log.num_steps();
    sessions += std::int64_t(log.sessions.size());
    for (const auto& s : log.sessions) {
      users.insert(s.user);
      days.insert(s.day);
      user_days.insert({s.user, s.day});
      ++lengths[s.length()];
    }
    for (std::int64_t r = 0; r < log.num_steps(); ++r) {
      const float* fb = log.feedback_row(r);
      for (int i = 0; i < kNumFeedback; ++i) sum[i] += fb[i];
      long_views += fb[kFbPlay] > 0 && fb[kFbPlayIntegrity] >= 0.5f;
      ++play_time_centiseconds[static_cast<std::int64_t>(std::floor(double(fb[kFbPlayTime]) * 100.0))];
    }
  }
};

}  // namespace

int inspect_command(int argc, char** argv) {
  CLI::App app(kDescription, "mtf inspect");
  std::string path;
  bool json = false, use_cache = false;
  app.add_option("LOGS", path, "the session log (JSON Lines)")->required();
  app.add_flag("--json", json, "print the statistics as one JSON object instead of text");
  app.add_flag("--cache", use_cache,
               "use (or create) the checksummed binary cache LOGS.cache: it is used only if it matches the log's size "
               "and content hash and its own checksum; otherwise the log is parsed strictly");
  if (const int status = parse(app, argc, argv); status >= 0) return status;
  const auto started = std::chrono::steady_clock::now();
  bool from_cache = false;
  LogStats stats;
  int state_dim = 0;
  nlohmann::json meta;
  if (use_cache) {
    const SessionLog log = read_session_log_cached(path, &from_cache);
    stats.add(log);
    state_dim = log.state_dim;
    meta = log.meta;
  } else {
    SessionLogReader reader(path);  // in blocks of whole sessions: memory does not grow with the file
    state_dim = reader.state_dim();
    meta = reader.meta();
    SessionLog block;
    while (reader.next(block)) stats.add(block);
  }
  const double read_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto steps = static_cast<double>(stats.steps);
  const auto& users = stats.users;
  const auto& days = stats.days;
  const auto& user_days = stats.user_days;
  const auto& sum = stats.sum;
  const double long_views = stats.long_views;
  const double n_sessions = static_cast<double>(stats.sessions);
  const double median_length = quantile(stats.lengths, 0.5, 1.0), p90_length = quantile(stats.lengths, 0.9, 1.0);
  const double median_play_time = quantile(stats.play_time_centiseconds, 0.5, 0.01);
  double mean_length = n_sessions > 0 ? steps / n_sessions : 0;
  auto per_step = [&](int f) { return steps > 0 ? sum[f] / steps : 0.0; };
  nlohmann::json j = {{"file", path},
                      {"read_seconds", read_seconds},
                      {"from_cache", from_cache},
                      {"state_dim", state_dim},
                      {"sessions", stats.sessions},
                      {"steps", stats.steps},
                      {"users", users.size()},
                      {"days", days.size()},
                      {"user_days", user_days.size()},
                      {"sessions_per_user_day", user_days.empty() ? 0.0 : n_sessions / user_days.size()},
                      {"mean_session_length", mean_length},
                      {"median_session_length", median_length},
                      {"p90_session_length", p90_length},
                      {"play_rate", per_step(kFbPlay)},
                      {"long_view_rate", steps > 0 ? long_views / steps : 0.0},
                      {"like_rate", per_step(kFbLike)},
                      {"follow_rate", per_step(kFbFollow)},
                      {"share_rate", per_step(kFbShare)},
                      {"comment_rate", per_step(kFbComment)},
                      {"collect_rate", per_step(kFbCollect)},
                      {"negative_rate", per_step(kFbNegative)},
                      {"skip_rate", per_step(kFbSkip)},
                      {"mean_play_time_s", per_step(kFbPlayTime)},
                      {"median_play_time_s", median_play_time},
                      {"mean_play_integrity", per_step(kFbPlayIntegrity)},
                      {"meta", meta}};
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("%s: valid (%lld steps read in %.2f s%s)\n", path.c_str(), static_cast<long long>(stats.steps),
              read_seconds, from_cache ? " from the validated binary cache" : "");
  if (meta.contains("policy") && meta["policy"].is_string())
    std::printf("policy %s, seed %s\n", meta["policy"].get<std::string>().c_str(), meta.value("seed", nlohmann::json()).dump().c_str());
  std::printf("sessions %lld, steps %lld, users %zu, days %zu, sessions per user-day %.2f\n", static_cast<long long>(stats.sessions),
              static_cast<long long>(stats.steps), users.size(), days.size(),
              user_days.empty() ? 0.0 : n_sessions / user_days.size());
  std::printf("session length: mean %.2f, median %.0f, p90 %.0f steps\n\n", mean_length, median_length,
              p90_length);
  std::printf("%-34s %10s   %s\n", "per shown video (= per step)", "this log", "KuaiRand (research/simulators.md §1.4)");
  std::printf("%-34s %10.4f   %s\n", "play (click) rate", per_step(kFbPlay), "0.460 Pure / 0.378 1K (click)");
  std::printf("%-34s %10.4f   %s\n", "long view (played, integrity>=0.5)", steps > 0 ? long_views / steps : 0.0,
              "0.332 Pure / 0.262 1K (long_view; different definition)");
  std::printf("%-34s %10.4f   %s\n", "like rate", per_step(kFbLike), "0.0185 Pure / 0.0156 1K");
  std::printf("%-34s %10.4f   %s\n", "follow rate", per_step(kFbFollow), "0.0011 Pure / 0.0010 1K");
  std::printf("%-34s %10.4f   %s\n", "share rate", per_step(kFbShare), "-");
  std::printf("%-34s %10.4f   %s\n", "comment rate", per_step(kFbComment), "-");
  std::printf("%-34s %10.4f   %s\n", "collect rate", per_step(kFbCollect), "-");
  std::printf("%-34s %10.4f   %s\n", "negative feedback rate", per_step(kFbNegative), "-");
  std::printf("%-34s %10.2f   %s\n", "median play time (s)", median_play_time, "2.9 (standard logs)");
  std::printf("%-34s %10.2f   %s\n", "mean play time (s)", per_step(kFbPlayTime), "-");
  std::printf("%-34s %10.4f   %s\n", "mean play integrity", per_step(kFbPlayIntegrity), "-");
  std::printf("%-34s %10.2f   %s\n", "steps per session", mean_length, "~79 (27K, 30-min gaps); paper's data 3.6");
  return 0;
}

}  // namespace mtf::cli
