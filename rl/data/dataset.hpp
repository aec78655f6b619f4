// rl/data/dataset.hpp — transitions (s, a, r, s', done) from logged sessions, and the time-ordered split.
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
#include <functional>
#include <string>
#include <vector>

#include "rl/data/reward.hpp"
#include "rl/data/transition_batch.hpp"
#include "rl/data/session_log.hpp"

namespace mtf {

/// Transitions of sessions [first_session, last_session) of the log (all by default).
TransitionBatch build_transitions(const SessionLog& log, const RewardWeights& weights, std::size_t first_session = 0,
                                std::size_t last_session = static_cast<std::size_t>(-1));

struct DatasetSplit {
  TransitionBatch train, test;
  std::size_t train_sessions = 0, test_sessions = 0;
  MatrixR<float> test_initial_states;  // one row per test session: its first state
  std::vector<int> test_initial_users, test_initial_days;
};

/// First `train_fraction` of the sessions (rounded down) train, the rest test.
DatasetSplit split_by_time(const SessionLog& log, const RewardWeights& weights, double train_fraction = 0.9);

/// split_by_time over a log file that need not fit in memory (SessionLogReader, blocks of block_bytes):
/// pass 1 counts the sessions, pass 2 hands the training split's transitions to `on_train`, block by block
/// in time order (each call's rows follow the previous call's), and keeps the test split whole, as
/// split_by_time does — the returned split's `train` is empty (and its test split too, with only the
/// counts, when keep_test is false: a trainer needs neither in memory). A defect in the file throws before
/// on_train has seen any of it (pass 1 reads the whole file first).
DatasetSplit split_file_by_time(const std::string& path, const RewardWeights& weights, double train_fraction,
                                const std::function<void(const TransitionBatch&)>& on_train,
                                std::size_t block_bytes = kLogBlockBytes, bool keep_test = true);

/// A fingerprint of a training split, transition by transition (state, action, reward, next state,
/// not_done), so it is the same whether the transitions come in one batch or in blocks.
class TransitionFingerprint {
 public:
  void add(const TransitionBatch& batch);
  std::uint64_t hash() const { return hash_; }
  std::int64_t rows() const { return rows_; }

 private:
  std::uint64_t hash_ = 0;
  std::int64_t rows_ = 0;
};

}  // namespace mtf
