// rl/sim/rollout.hpp — running policies in the simulator: batched lock-step rollouts, the ground-truth
// value of a policy, and simulated days (sessions, return visits, logs).
//
// Lock-step: all live sessions advance together; each step gathers their states, calls Policy::act once
// per policy (batched), then steps the sessions in parallel (OpenMP; each session owns its RNG streams,
// so the result does not depend on the thread count).
//
// Common random numbers: a rollout's randomness is a pure function of its seed, and seeds are assigned
// by position (start j, repetition r → mix_seed(seed, j·R + r)), never by policy. Two policies evaluated
// with the same seed therefore meet the same users, candidates and response uniforms, so their
// difference is paired and has a much smaller variance than two independent runs.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/distributed.hpp"
#include "rl/data/policy.hpp"
#include "rl/data/reward.hpp"
#include "rl/data/session_log.hpp"
#include "rl/sim/simulator.hpp"

namespace mtf::sim {

struct RolloutOptions {
  RewardWeights reward = reward_preset("default");
  double gamma = 0.95;
  std::uint64_t policy_seed = 1;  // the stream passed to Policy::act (exploration noise)
  bool record = false;            // keep every step in RolloutResult::log
  /// true_value: its rollouts cut into this many contiguous blocks (split_range), each batched apart and
  /// served by its own policy stream (block 0: policy_seed, block b > 0: mix_seed(policy_seed, b)). A
  /// stochastic policy draws its noise from one stream for a whole batch, so a rollout's result depends on
  /// which rollouts share its batch: fixing the blocks fixes that, and a ProcessGroup can then run whole
  /// blocks on its ranks with the bits of one process (the blocks play the part gradient_shards play in
  /// training). 1 (the default): every rollout in one batch, one stream, as before blocks existed.
  int blocks = 1;
};

struct SessionOutcome {
  int user = 0, day = 0, session_in_day = 0;
  double start_time = 0;          // days mode: day + fraction of the day; sessions mode: 0
  int length = 0;                 // steps
  double discounted_return = 0;   // Σ_t γ^t r_t
  double total_reward = 0;        // Σ_t r_t
  double first_reward = 0;        // r_0, the "instant" reward of the first decision
  double play_time = 0;
  int plays = 0, positive_plays = 0;
};

/// Per user and day (days mode): the units of the A/B test.
struct UserDay {
  int user = 0, day = 0;
  int sessions = 0, steps = 0;
  double play_time = 0;  // ADTime contribution
  int plays = 0, positive_plays = 0;
  double return_sum = 0;  // Σ over the day's sessions of the discounted session return
};

struct RolloutResult {
  std::vector<SessionOutcome> sessions;  // days mode: in time order (the log's order)
  std::vector<UserDay> user_days;        // days mode only
  SessionLog log;                        // when options.record
};

/// Runs one session from each start (no return visits); sessions[i] comes from starts[i], seeds[i].
RolloutResult run_sessions(const Simulator& sim, Policy& policy, const std::vector<SessionStart>& starts,
                           const std::vector<std::uint64_t>& seeds, const RolloutOptions& options);

/// `n` starts for users drawn uniformly (with an empty history), a pure function of `seed`.
std::vector<SessionStart> random_starts(const Simulator& sim, int n, std::uint64_t seed);
/// The starts of the logged sessions (user, day and the history read back from the first state).
std::vector<SessionStart> starts_from_log(const Simulator& sim, const SessionLog& log);

struct ValueEstimate {
  double mean = 0;
  double std_error = 0;
  double mean_first_reward = 0;   // instant reward of the first decision
  double mean_length = 0;
  std::vector<double> per_rollout;  // discounted returns, index j·R + r
};

/// Ground truth: V(π) = mean over starts and R repetitions of the discounted session return,
/// rollout (j, r) seeded with mix_seed(seed, j·R + r) — the same for every policy (CRN).
///
/// Spread over `group` (distributed evaluation, issue 15): each rank rolls out its contiguous block of
/// options.blocks (ProcessGroup::owned), the per-rollout results (return, first reward, length) are
/// all-gathered as bits, and every rank reduces all of them in rollout order, as one process does: the
/// result is the same bits at any process count for the same blocks. Collective when the group has more
/// than one process (every rank calls it with the same arguments); ranks beyond options.blocks idle.
ValueEstimate true_value(const Simulator& sim, Policy& policy, const std::vector<SessionStart>& starts,
                         std::uint64_t seed, const RolloutOptions& options, int repetitions = 1,
                         const ProcessGroup& group = ProcessGroup::single());

/// The value of a mixture that serves a session by member m with probability weights[m], from the
/// members' true values measured on the same starts and seeds (common random numbers): its mean is
/// sum_m w_m V_m, and its standard error that of the per-rollout combination sum_m w_m G_m(j) — paired
/// over rollouts, which is smaller than treating the members as independent. per_rollout holds that
/// combination; mean_first_reward and mean_length are weighted likewise.
ValueEstimate mixture_value(const std::vector<const ValueEstimate*>& members, const std::vector<double>& weights);

/// Users' observable histories carried from day to day (index = user id).
struct UserHistories {
  std::vector<std::array<float, state_layout::kHistoryEnd - state_layout::kHistoryBegin>> history;
};

struct DaysOptions {
  std::vector<int> users;  // who is simulated each day (empty = every user of the population)
  int first_day = 0;
  int days = 1;
  std::uint64_t seed = 1;
  std::int64_t first_session_id = 0;  // ids are assigned in time order from here
  /// Optional, indexed by user id: the member of the behaviour mixture that serves all of that user's
  /// sessions (user groups, as in an online experiment). Empty: members take turns by session.
  std::vector<int> member_of_user;
};

/// Simulated days: each user starts a first session at a random time of the day and returns for
/// another with Simulator::return_probability until it declines (or max_sessions_per_day). The k-th
/// session of user u on day d is served by behaviour.policy_for_session(u + d + k), so a mixed policy
/// gets (nearly) equal numbers of sessions per member. `histories` (optional) carries history in and out.
RolloutResult simulate_days(const Simulator& sim, const MixedPolicy& behaviour, const DaysOptions& days,
                            const RolloutOptions& options, UserHistories* histories = nullptr);
/// Days after `days.first_day` with every user of `days.users`, day after day until at least `sessions`
/// sessions, then the first `sessions` in time order (days.days is ignored). Users' histories carry over
/// from day to day. Throws when 100,000 days do not give enough sessions.
SessionLog simulate_sessions(const Simulator& sim, const MixedPolicy& behaviour, std::int64_t sessions,
                             DaysOptions days, const RolloutOptions& options);
/// The same with every session served by `policy`.
RolloutResult simulate_days(const Simulator& sim, Policy& policy, const DaysOptions& days,
                            const RolloutOptions& options, UserHistories* histories = nullptr);

}  // namespace mtf::sim
