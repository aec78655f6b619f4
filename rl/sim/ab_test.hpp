// rl/sim/ab_test.hpp — an online A/B test over simulated days (section 4.3.2), with paired statistics.
//
// Every arm serves the same users on the same days with the same seeds (common random numbers), so
// user-day u of arm X and user-day u of the baseline are a pair. Reported per arm:
//   ADTime  = mean over user-days of the play time (seconds of app dwell per user per day)
//   UPIRate = Σ plays with a positive interaction / Σ plays (all user-days)
//   return  = mean discounted session return (γ from RolloutOptions) per session, computed per user-day
//             as Σ returns / Σ sessions
// and for each arm its relative difference to the baseline arm with a 95 % interval and a paired
// p-value (stats.hpp: delta method over user-days, Student's t).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rl/sim/rollout.hpp"
#include "rl/sim/stats.hpp"

namespace mtf::sim {

struct AbArm {
  std::string name;
  std::shared_ptr<Policy> policy;  // e.g. a learner's snapshot: a deployed policy training cannot change
};

struct AbArmReport {
  std::string name;
  double adtime = 0, upirate = 0, session_return = 0;
  double sessions_per_user_day = 0, mean_session_length = 0;
  PairedComparison adtime_vs_baseline, upirate_vs_baseline, return_vs_baseline;  // baseline: all zero
};

struct AbReport {
  int baseline = 0;
  int user_days = 0;
  std::vector<AbArmReport> arms;
};

/// Runs every arm over `days` (same users, days and seed for all) and compares each to arms[baseline].
///
/// Spread over `group` (distributed evaluation, issue 15): the arms are the unit — each rank simulates
/// its contiguous block of arms whole (ProcessGroup::owned), exactly as one process simulates that arm,
/// the per-user-day units of every arm are all-gathered as bits, and every rank computes the report from
/// them in arm and user-day order. So the report is the same bits at any process count; ranks beyond
/// the number of arms idle. (Splitting an arm's users over ranks would change its batches and hence a
/// stochastic policy's noise.) Collective when the group has more than one process.
AbReport run_ab_test(const Simulator& sim, const std::vector<AbArm>& arms, int baseline, const DaysOptions& days,
                     const RolloutOptions& options, const ProcessGroup& group = ProcessGroup::single());

nlohmann::json to_json(const AbReport& report);

}  // namespace mtf::sim
