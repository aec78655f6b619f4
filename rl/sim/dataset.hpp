// rl/sim/dataset.hpp — transitions (s, a, r, s', done) from logged sessions, and the time-ordered split.
//
// Rewards are computed here, from the logged raw feedback and the chosen RewardWeights (eq. 2), so one
// log serves every reward variant. Within a session, s' is the next step's state; on a session's last
// step done = 1 and s' is a copy of s (any finite value would do: it is multiplied by not_done = 0).
//
// Split (paper section 4.1): sessions in time order (the log's order, ids increasing), the first 90 %
// train, the last 10 % test. The test split exposes its initial states (and their users and days, so
// the simulator can roll out the same starts for the ground truth) for the off-policy estimator.
#pragma once
#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "rl/sim/reward.hpp"
#include "rl/sim/session_log.hpp"

namespace mtf::sim {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct TransitionSet {
  RowMatrix states;       // N x S
  RowMatrix actions;      // N x A
  Eigen::VectorXf rewards;   // N
  RowMatrix next_states;  // N x S
  Eigen::VectorXf not_done;  // N: 1 − done
  std::int64_t size() const { return states.rows(); }
};

/// Transitions of sessions [first_session, last_session) of the log (all by default).
TransitionSet build_transitions(const SessionLog& log, const RewardWeights& weights, std::size_t first_session = 0,
                                std::size_t last_session = static_cast<std::size_t>(-1));

struct DatasetSplit {
  TransitionSet train, test;
  std::size_t train_sessions = 0, test_sessions = 0;
  RowMatrix test_initial_states;  // one row per test session: its first state
  std::vector<int> test_initial_users, test_initial_days;
};

/// First `train_fraction` of the sessions (rounded down) train, the rest test.
DatasetSplit split_by_time(const SessionLog& log, const RewardWeights& weights, double train_fraction = 0.9);

}  // namespace mtf::sim
