// rl/online/online_arms.hpp — the BO and ES baselines run online in the simulator, with a budget in
// user-days equal to the online loop's (rl/loop/online_loop.hpp: every user of the population is served
// once per simulated day, so `days` days are days × num_users user-days).
//
// Traffic: the population is shuffled once (seeded) and cut into groups of `users_per_evaluation` (BO)
// or `users_per_generation` (ES) users; a day holds num_users / group_size groups (left-over users are not
// served and not counted) and evaluation k takes group k mod groups_per_day on day k / groups_per_day — as
// if the groups were arms of one online experiment that day. Users' histories carry from day to day.
//   BO:  an evaluation = one simulated day of one group served by the asked global action (a
//        ConstantPolicy); its value = the group's mean discounted session return (Σ returns / Σ sessions,
//        as the loop's A/B reports it) or its ADTime (mean play seconds per user-day): `objective`.
//        The final policy: BayesOpt::recommend(), the observed action with the highest posterior mean.
//   ES:  a generation = one simulated day of one group, its users dealt at random (per generation) to the
//        2·pairs perturbed policies; a policy's fitness = the mean INSTANT reward of its sessions, i.e. the
//        reward of each session's first step ("first_reward", default) or the mean reward per step
//        ("step_reward"). The final policy: the search distribution's mean θ.
// Both record one JSON object per evaluation/generation and the final policy's true value (sim::true_value
// on fixed starts with fixed seeds, derived from the seed exactly as OnlineLoop derives them: a loop run
// with the same seed, reward and eval_starts is measured on the same rollouts, so the two are paired).
// The true value is an instrument, never seen by the optimizers. Every stream derives from `seed`, and the
// simulator's rollouts do not depend on the thread count, so a run is the same bits at 1 and 2 threads.
#pragma once
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/json_config.hpp"
#include "rl/data/policy.hpp"
#include "rl/online/bayes_opt.hpp"
#include "rl/online/evolution.hpp"
#include "rl/sim/rollout.hpp"
#include "rl/sim/simulator.hpp"

namespace mtf::online {

struct BoArmConfig : JsonConfig<BoArmConfig> {
  int users_per_evaluation = 200;
  std::string objective = "return";   // return | adtime
  std::string reward = "default";     // rl/data/reward.hpp's presets
  BayesOptConfig bo;                  // its keys (and the GP's) sit beside these (flat)
  int truth_every = 0;                // also measure the recommendation's true value every k evaluations (0: never)
  int eval_starts = 2000;
  std::uint64_t seed = 1;

  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) {
    v("users_per_evaluation", c.users_per_evaluation, 1, 1 << 24);
    v("objective", c.objective);
    v("reward", c.reward);
    BayesOptConfig::fields(c.bo, v);
    v("truth_every", c.truth_every, 0, 1 << 30);
    v("eval_starts", c.eval_starts, 1, 1 << 24);
    v("seed", c.seed);
  }
  void check(const ConfigReader& r) const;
};

struct EsArmConfig : JsonConfig<EsArmConfig> {
  std::vector<Index> hidden = {16};   // the policy network's hidden widths (ReLU), output tanh
  double output_init_scale = 0.1;     // the output layer's initialization is scaled by this (near a = 0)
  int users_per_generation = 1000;    // 2 generations a day on the default 2000 users; 100 users per perturbation
  std::string fitness = "first_reward";  // first_reward | step_reward
  std::string reward = "default";
  EsConfig es;                        // its keys sit beside these (flat)
  int truth_every = 0;                // also measure the mean policy's true value every k generations (0: never)
  int eval_starts = 2000;
  std::uint64_t seed = 1;

  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) {
    v.widths("hidden", c.hidden);
    v("output_init_scale", c.output_init_scale, 0.0, 100.0);
    v("users_per_generation", c.users_per_generation, 2, 1 << 24);
    v("fitness", c.fitness);
    v("reward", c.reward);
    EsConfig::fields(c.es, v);
    v("truth_every", c.truth_every, 0, 1 << 30);
    v("eval_starts", c.eval_starts, 1, 1 << 24);
    v("seed", c.seed);
  }
  void check(const ConfigReader& r) const;
};

/// What an online arm returns.
struct OnlineArmResult {
  std::string method;                    // "bo" | "es"
  std::shared_ptr<Policy> policy;        // the final policy
  std::vector<nlohmann::json> history;   // one object per evaluation (BO) or generation (ES)
  long long user_days = 0;               // the budget spent
  long long sessions = 0;                // sessions served while spending it
  int days = 0;                          // simulated days (the budget: days × num_users user-days offered)
  sim::ValueEstimate initial_truth;      // BO: the neutral action a = 0; ES: the initial network θ0
  sim::ValueEstimate truth;              // the final policy
  nlohmann::json final_policy;           // BO: {"action": [...]}; ES: {"parameters": [...], "spec": ...}
  /// method, budget, initial and final true values, the final policy (not the history).
  nlohmann::json summary() const;
};

/// The fixed evaluation starts and rollout seed of a run with this seed (the loop's recipe).
struct TruthProtocol {
  std::vector<sim::SessionStart> starts;
  std::uint64_t rollout_seed = 0;
  sim::RolloutOptions options;
  TruthProtocol(const sim::Simulator& sim, int eval_starts, std::uint64_t seed, const std::string& reward);
  sim::ValueEstimate operator()(const sim::Simulator& sim, Policy& policy) const;
};

/// BO over one global action for `days` days of the loop's traffic. Progress lines to `progress`.
OnlineArmResult run_bo_arm(const sim::Simulator& sim, const BoArmConfig& config, int days,
                           std::ostream* progress = nullptr);
/// ES of a small network s → action on the instant reward for `days` days of the loop's traffic.
OnlineArmResult run_es_arm(const sim::Simulator& sim, const EsArmConfig& config, int days,
                           std::ostream* progress = nullptr);

}  // namespace mtf::online
