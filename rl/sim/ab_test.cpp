// rl/sim/ab_test.cpp — see ab_test.hpp.
#include "rl/sim/ab_test.hpp"

#include <memory>
#include <stdexcept>

namespace mtf::sim {

AbReport run_ab_test(const Simulator& sim, const std::vector<AbArm>& arms, int baseline, const DaysOptions& days,
                     const RolloutOptions& options) {
  if (arms.size() < 2 || baseline < 0 || baseline >= static_cast<int>(arms.size()))
    throw std::invalid_argument("run_ab_test: need >= 2 arms and a valid baseline index");
  RolloutOptions opts = options;
  opts.record = false;
  // Per arm, per user-day: play time, plays, positive plays, Σ session returns, sessions.
  struct Units {
    std::vector<double> play_time, plays, positive, returns, sessions, ones;
  };
  std::vector<Units> units(arms.size());
  AbReport report;
  report.baseline = baseline;
  for (std::size_t a = 0; a < arms.size(); ++a) {
    if (!arms[a].policy) throw std::invalid_argument("run_ab_test: null policy for arm " + arms[a].name);
    const RolloutResult result = simulate_days(sim, *arms[a].policy, days, opts);  // same seed for every arm: CRN
    Units& u = units[a];
    double steps = 0, sessions = 0;
    for (const UserDay& ud : result.user_days) {
      u.play_time.push_back(ud.play_time);
      u.plays.push_back(ud.plays);
      u.positive.push_back(ud.positive_plays);
      u.returns.push_back(ud.return_sum);
      u.sessions.push_back(ud.sessions);
      u.ones.push_back(1.0);
      steps += ud.steps;
      sessions += ud.sessions;
    }
    AbArmReport r;
    r.name = arms[a].name;
    const double n = static_cast<double>(result.user_days.size());
    double pt = 0, plays = 0, pos = 0, ret = 0;
    for (std::size_t i = 0; i < u.ones.size(); ++i) pt += u.play_time[i], plays += u.plays[i], pos += u.positive[i], ret += u.returns[i];
    r.adtime = pt / n;
    r.upirate = plays > 0 ? pos / plays : 0;
    r.session_return = sessions > 0 ? ret / sessions : 0;
    r.sessions_per_user_day = sessions / n;
    r.mean_session_length = sessions > 0 ? steps / sessions : 0;
    report.arms.push_back(r);
    report.user_days = static_cast<int>(n);
  }
  const Units& b = units[baseline];
  for (std::size_t a = 0; a < arms.size(); ++a) {
    if (static_cast<int>(a) == baseline) continue;
    const Units& u = units[a];
    AbArmReport& r = report.arms[a];
    r.adtime_vs_baseline = compare_paired(u.play_time, u.ones, b.play_time, b.ones);
    r.upirate_vs_baseline = compare_paired(u.positive, u.plays, b.positive, b.plays);
    r.return_vs_baseline = compare_paired(u.returns, u.sessions, b.returns, b.sessions);
  }
  return report;
}

nlohmann::json to_json(const AbReport& report) {
  auto cmp = [](const PairedComparison& c) {
    return nlohmann::json{{"relative", c.relative}, {"ci95", {c.ci_low, c.ci_high}}, {"p_value", c.p_value}, {"n", c.n}};
  };
  nlohmann::json arms = nlohmann::json::array();
  for (std::size_t a = 0; a < report.arms.size(); ++a) {
    const auto& r = report.arms[a];
    nlohmann::json j = {{"name", r.name},
                        {"adtime_seconds", r.adtime},
                        {"upirate", r.upirate},
                        {"session_return", r.session_return},
                        {"sessions_per_user_day", r.sessions_per_user_day},
                        {"mean_session_length", r.mean_session_length}};
    if (static_cast<int>(a) != report.baseline) {
      j["adtime_vs_baseline"] = cmp(r.adtime_vs_baseline);
      j["upirate_vs_baseline"] = cmp(r.upirate_vs_baseline);
      j["return_vs_baseline"] = cmp(r.return_vs_baseline);
    }
    arms.push_back(j);
  }
  return {{"baseline", report.arms[report.baseline].name}, {"user_days", report.user_days}, {"arms", arms}};
}

}  // namespace mtf::sim
