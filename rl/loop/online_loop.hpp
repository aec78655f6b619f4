// rl/loop/online_loop.hpp — the online exploration and daily retraining loop of BatchRL-MTF (paper
// sections 3.3–3.4, Figures 3–4), on the simulator as the online environment.
//
// Day d starts from the deployed policy pi_d (day 0: a production baseline, one hand-set global alpha).
// Users are split once, by a seeded hash, into three groups:
//   control  served pi_d
//   noise    served pi_d(s) + eps, eps ~ N(0, noise_sigma^2)          (action-noise exploration, eq. 8)
//   random   served a ~ N(0, random_sigma^2), clipped                 (random exploration, no prior)
// The day is simulated (users' histories carry over from day to day), and then:
//   1. measure  the day's A/B per group (ADTime, UPIRate, mean session return, with 95 % intervals) and
//               pi_d's TRUE value (rollouts from fixed starts with fixed seeds: common random numbers
//               across days, so day-over-day changes are paired);
//   2. collect  the day's training data: "mixed" takes equal numbers of sessions from the noise and the
//               random group, "random" (BatchRL-MTF-RE) and "noise" one group only; the day joins a
//               FIFO window of the last window_days days;
//   3. retrain  the learner (any registered one) on the window, iterations_per_day updates, continuing
//               yesterday's candidate (or pi_d's learner, or from scratch: warm_start);
//   4. gate     score the candidate and pi_d with the Conservative-OPEstimator and plain FQE, fit on the
//               day's logs, and deploy the candidate as pi_{d+1} when the gate's estimate does not fall
//               below pi_d's by more than gate_margin (relative); otherwise pi_d stays. The candidate's
//               TRUE value is recorded beside the gate's estimates (never used by the gate): how often
//               the gate decides right is measured, not assumed.
// Every random stream derives from the loop's seed and the day (mix_seed), so the loop's state at the end
// of a day — the day, the deployed learner, the window, the users' histories, the metrics — is all a
// resume needs: save() writes it atomically, and a resumed loop ends with the same bits.
#pragma once
#include <deque>
#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/json_config.hpp"
#include "ope/fqe_config.hpp"
#include "rl/data/policy.hpp"
#include "rl/data/session_log.hpp"
#include "rl/learner.hpp"
#include "rl/sim/rollout.hpp"
#include "rl/sim/simulator.hpp"

namespace mtf {

struct LoopConfig : JsonConfig<LoopConfig> {
  // The learner (rl/registry.hpp) and its retraining.
  std::string algo = "bcq";
  nlohmann::json learner = nlohmann::json::object();  // its hyper-parameters; dims come from the simulator
  long long iterations_per_day = 4000;
  // Where each day's retraining starts: "candidate" continues yesterday's candidate whether or not the gate
  // deployed it (the training lineage never restarts; a rejected day's updates are kept), "deployed" from
  // the deployed learner (a rejected candidate's updates are dropped), "none" from a fresh learner.
  std::string warm_start = "candidate";
  // Exploration (section 3.3).
  std::string exploration = "mixed";  // mixed | random | noise: which groups' sessions are training data
  double control_share = 1.0 / 3;     // shares of the users per group; the random group gets the rest
  double noise_share = 1.0 / 3;
  double noise_sigma = 0.1;   // eq. 8
  double random_sigma = 0.5;  // covers the action box without piling mass on its faces (rl/data/policy.hpp)
  std::vector<double> baseline_action = std::vector<double>(kActionDim, 0.0);  // day 0's global alpha (a = 0: neutral)
  // Data (section 3.4: "re-train our model daily based on the trajectory data collected in the past three days").
  int window_days = 3;
  std::string reward = "default";
  long long replay_capacity = 100000;
  // The deployment gate.
  std::string gate = "fqe";  // none | conservative | fqe: the estimate that decides
  double gate_margin = 0.0;  // deploy when V(candidate) >= V(deployed) - gate_margin * |V(deployed)|
  nlohmann::json estimator = nlohmann::json::object();  // ope/fqe_config.hpp keys (alpha is set per estimator)
  // The truth.
  int eval_starts = 2000;  // fixed session starts for the deployed policy's true value
  std::uint64_t seed = 1;

  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) {
    v("algo", c.algo);
    v("learner", c.learner);
    v("iterations_per_day", c.iterations_per_day, 0LL, 1LL << 40);
    v("warm_start", c.warm_start);
    v("exploration", c.exploration);
    v("control_share", c.control_share, 0.0, 1.0);
    v("noise_share", c.noise_share, 0.0, 1.0);
    v("noise_sigma", c.noise_sigma, 0.0, 2.0);
    v("random_sigma", c.random_sigma, 1e-6, 10.0);
    v("baseline_action", c.baseline_action);
    v("window_days", c.window_days, 1, 365);
    v("reward", c.reward);
    v("replay_capacity", c.replay_capacity, 1LL, 1LL << 40);
    v("gate", c.gate);
    v("gate_margin", c.gate_margin, 0.0, 1e6);
    v("estimator", c.estimator);
    v("eval_starts", c.eval_starts, 1, 1 << 24);
    v("seed", c.seed);
  }
  /// Names, shares, the baseline action, the learner's and the estimator's keys.
  void check(const ConfigReader& r) const;
  /// The estimator's settings (FqeConfig from `estimator`, with the loop's defaults for what it omits).
  FqeConfig estimator_config(const std::string& source = "loop config") const;
};

/// User groups of the loop.
enum class LoopGroup : int { kControl = 0, kNoise = 1, kRandom = 2 };

class OnlineLoop {
 public:
  OnlineLoop(const sim::Simulator& sim, const LoopConfig& config);
  OnlineLoop(const OnlineLoop&) = delete;
  OnlineLoop& operator=(const OnlineLoop&) = delete;

  /// Runs day day(): serve, measure, collect, retrain, gate (see the top of this file). Returns the day's
  /// metrics as one JSON object (also kept in history()). Progress lines per phase go to `progress`.
  const nlohmann::json& run_day(std::ostream* progress = nullptr);

  int day() const { return day_; }
  /// The policy deployed for day(): the baseline on day 0, then the last candidate that passed the gate.
  std::shared_ptr<Policy> deployed() const { return deployed_; }
  /// The learner behind deployed(); null while the baseline is deployed.
  const Learner* deployed_learner() const { return deployed_learner_.get(); }
  /// The last candidate when the gate kept it out (warm_start "candidate" continues from it); else null.
  const Learner* rejected_learner() const { return rejected_learner_.get(); }
  LoopGroup group_of(int user) const { return LoopGroup(groups_[std::size_t(user)]); }
  const std::vector<nlohmann::json>& history() const { return history_; }
  /// The training sessions of the last window_days days (what the last retraining saw), oldest first.
  const std::deque<SessionLog>& window() const { return window_; }
  const LoopConfig& config() const { return config_; }

  /// `policy`'s true value on the loop's fixed starts and seeds: paired with every day's measurement.
  sim::ValueEstimate true_value(Policy& policy) const;
  /// Sessions served so far (all groups, all days): the budget a fair global-alpha search gets.
  long long sessions_served() const;

  /// The loop's state after the last finished day, written atomically (engine/checkpoint.hpp).
  void save(const std::string& path) const;
  /// Restores a state written by save() by a loop of the same config (else an error naming the file).
  void load(const std::string& path);

 private:
  /// The sessions of the day's log that are training data for the configured exploration.
  SessionLog training_sessions(const SessionLog& day_log) const;
  /// A fresh learner for this simulator (the learner's hyper-parameters with its dimensions and seed).
  std::unique_ptr<Learner> fresh_learner(std::uint64_t seed) const;
  /// V-hat of `policy` by one estimator (alpha_c = `alpha`) fit on the day's transitions.
  double estimate(Policy& policy, const TransitionBatch& data, const MatrixR<float>& initial, double alpha) const;

  const sim::Simulator& sim_;
  LoopConfig config_;
  std::vector<int> groups_;                       // LoopGroup of each user
  std::vector<sim::SessionStart> eval_starts_;     // fixed starts of the truth
  int day_ = 0;
  std::unique_ptr<Learner> deployed_learner_;
  std::unique_ptr<Learner> rejected_learner_;    // the last candidate, when the gate did not deploy it
  std::shared_ptr<Policy> deployed_;
  std::deque<SessionLog> window_;                 // training sessions of the last window_days days
  sim::UserHistories histories_;
  std::vector<nlohmann::json> history_;
};

/// The reference the loop must beat: the best single global alpha, searched in the simulator with a
/// budget of `sessions` sessions (the loop's own traffic: the same number of simulated user-days), then
/// measured like the loop's policies. Half the budget screens `candidates` random actions (the neutral one
/// included), half refines around the winner with as many local candidates; each candidate gets the same
/// search starts and seeds (common random numbers), separate from the loop's evaluation starts.
struct GlobalAlphaReference {
  Action action{};
  long long sessions_used = 0;
  int starts_per_candidate = 0;
  sim::ValueEstimate truth;  // on the loop's evaluation starts and seeds (OnlineLoop::true_value)
};
GlobalAlphaReference search_global_alpha(const sim::Simulator& sim, const OnlineLoop& loop, long long sessions,
                                         int candidates = 32);

}  // namespace mtf
