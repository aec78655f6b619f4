// examples/mtf/inspect.cpp — `mtf inspect`: validate a session log (strictly) and print its statistics
// beside the real KuaiRand rates (../shared/research/simulators.md §1.4, third-party statistics).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>

#include "commands.hpp"
#include "examples/cli/options.hpp"
#include "rl/data/session_log.hpp"

namespace mtf::cli {

namespace {

const char* kDescription = R"(Validates a session log with the strict reader (any defect: an error naming the file, line and field,
exit status 1) and prints sessions, steps, session lengths and feedback rates beside KuaiRand's.)";

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(q * (v.size() - 1));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

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
  const SessionLog log =
      use_cache ? read_session_log_cached(path, &from_cache) : read_session_log(path);
  const double read_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  const auto steps = static_cast<double>(log.num_steps());
  std::set<int> users, days;
  std::set<std::pair<int, int>> user_days;
  std::vector<double> lengths, play_times;
  for (const auto& s : log.sessions) {
    users.insert(s.user);
    days.insert(s.day);
    user_days.insert({s.user, s.day});
    lengths.push_back(static_cast<double>(s.length()));
  }
  std::array<double, kNumFeedback> sum{};
  double long_views = 0, plays = 0;
  for (std::int64_t r = 0; r < log.num_steps(); ++r) {
    const float* fb = log.feedback_row(r);
    for (int i = 0; i < kNumFeedback; ++i) sum[i] += fb[i];
    long_views += fb[kFbPlay] > 0 && fb[kFbPlayIntegrity] >= 0.5f;
    plays += fb[kFbPlay];
    play_times.push_back(fb[kFbPlayTime]);
  }
  const double n_sessions = static_cast<double>(log.sessions.size());
  double mean_length = n_sessions > 0 ? steps / n_sessions : 0;
  auto per_step = [&](int f) { return steps > 0 ? sum[f] / steps : 0.0; };

  nlohmann::json j = {{"file", path},
                      {"read_seconds", read_seconds},
                      {"from_cache", from_cache},
                      {"state_dim", log.state_dim},
                      {"sessions", log.sessions.size()},
                      {"steps", log.num_steps()},
                      {"users", users.size()},
                      {"days", days.size()},
                      {"user_days", user_days.size()},
                      {"sessions_per_user_day", user_days.empty() ? 0.0 : n_sessions / user_days.size()},
                      {"mean_session_length", mean_length},
                      {"median_session_length", quantile(lengths, 0.5)},
                      {"p90_session_length", quantile(lengths, 0.9)},
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
                      {"median_play_time_s", quantile(play_times, 0.5)},
                      {"mean_play_integrity", per_step(kFbPlayIntegrity)},
                      {"meta", log.meta}};
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("%s: valid (%lld steps read in %.2f s%s)\n", path.c_str(), static_cast<long long>(log.num_steps()),
              read_seconds, from_cache ? " from the validated binary cache" : "");
  if (log.meta.contains("policy"))
    std::printf("policy %s, seed %s\n", log.meta["policy"].get<std::string>().c_str(), log.meta.value("seed", nlohmann::json()).dump().c_str());
  std::printf("sessions %zu, steps %lld, users %zu, days %zu, sessions per user-day %.2f\n", log.sessions.size(),
              static_cast<long long>(log.num_steps()), users.size(), days.size(),
              user_days.empty() ? 0.0 : n_sessions / user_days.size());
  std::printf("session length: mean %.2f, median %.0f, p90 %.0f steps\n\n", mean_length, quantile(lengths, 0.5),
              quantile(lengths, 0.9));
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
  std::printf("%-34s %10.2f   %s\n", "median play time (s)", quantile(play_times, 0.5), "2.9 (standard logs)");
  std::printf("%-34s %10.2f   %s\n", "mean play time (s)", per_step(kFbPlayTime), "-");
  std::printf("%-34s %10.4f   %s\n", "mean play integrity", per_step(kFbPlayIntegrity), "-");
  std::printf("%-34s %10.2f   %s\n", "steps per session", mean_length, "~79 (27K, 30-min gaps); paper's data 3.6");
  return 0;
}

}  // namespace mtf::cli
