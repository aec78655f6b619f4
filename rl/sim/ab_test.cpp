// rl/sim/ab_test.cpp — see ab_test.hpp.
#include "rl/sim/ab_test.hpp"

#include <memory>
#include <stdexcept>

namespace mtf::sim {

AbReport run_ab_test(const Simulator& sim, const std::vector<AbArm>& arms, int baseline, const DaysOptions& days,
                     const RolloutOptions& options, const ProcessGroup& group) {
  if (arms.size() < 2 || baseline < 0 || baseline >= static_cast<int>(arms.size()))
    throw std::invalid_argument("run_ab_test: need >= 2 arms and a valid baseline index");
  for (const AbArm& arm : arms)  // every rank checks every arm, so all refuse alike before any exchange
    if (!arm.policy) throw std::invalid_argument("run_ab_test: null policy for arm " + arm.name);
  RolloutOptions opts = options;
  opts.record = false;
  // One row per arm and user-day (simulate_days: one per user and day, users in order, day after day):
  // play time, plays, positive plays, Σ session returns, sessions, steps.
  constexpr std::ptrdiff_t kCols = 6;
  const std::ptrdiff_t users = days.users.empty() ? sim.num_users() : static_cast<std::ptrdiff_t>(days.users.size());
  const std::ptrdiff_t per_arm = users * days.days, n_arms = static_cast<std::ptrdiff_t>(arms.size());
  std::vector<double> rows(std::size_t(n_arms * per_arm * kCols));
  const Range mine = group.owned(n_arms);
  for (std::ptrdiff_t a = mine.begin; a < mine.end; ++a) {
    const RolloutResult result = simulate_days(sim, *arms[std::size_t(a)].policy, days, opts);  // same seed for every arm: CRN
    if (static_cast<std::ptrdiff_t>(result.user_days.size()) != per_arm)
      throw std::logic_error("run_ab_test: " + std::to_string(result.user_days.size()) + " user-days, expected " +
                             std::to_string(per_arm));
    double* row = rows.data() + a * per_arm * kCols;
    for (const UserDay& ud : result.user_days) {
      row[0] = ud.play_time;
      row[1] = ud.plays;
      row[2] = ud.positive_plays;
      row[3] = ud.return_sum;
      row[4] = ud.sessions;
      row[5] = ud.steps;
      row += kCols;
    }
  }
  group.allgather_rows(rows.data(), n_arms * per_arm, kCols, n_arms);

  // Per arm, per user-day: play time, plays, positive plays, Σ session returns, sessions.
  struct Units {
    std::vector<double> play_time, plays, positive, returns, sessions, ones;
  };
  std::vector<Units> units(arms.size());
  AbReport report;
  report.baseline = baseline;
  for (std::size_t a = 0; a < arms.size(); ++a) {
    Units& u = units[a];
    double steps = 0, sessions = 0;
    for (std::ptrdiff_t i = 0; i < per_arm; ++i) {
      const double* row = rows.data() + (std::ptrdiff_t(a) * per_arm + i) * kCols;
      u.play_time.push_back(row[0]);
      u.plays.push_back(row[1]);
      u.positive.push_back(row[2]);
      u.returns.push_back(row[3]);
      u.sessions.push_back(row[4]);
      u.ones.push_back(1.0);
      steps += row[5];
      sessions += row[4];
    }
    AbArmReport r;
    r.name = arms[a].name;
    const double n = static_cast<double>(per_arm);
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
