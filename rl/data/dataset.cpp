// rl/data/dataset.cpp — see dataset.hpp.
#include "rl/data/dataset.hpp"

#include <algorithm>
#include <stdexcept>

#include "engine/checksum.hpp"

namespace mtf {

TransitionBatch build_transitions(const SessionLog& log, const RewardWeights& weights, std::size_t first_session,
                                std::size_t last_session) {
  last_session = std::min(last_session, log.sessions.size());
  if (first_session > last_session) throw std::invalid_argument("build_transitions: empty or inverted range");
  std::int64_t n = 0;
  for (std::size_t i = first_session; i < last_session; ++i) n += log.sessions[i].length();
  const int s_dim = log.state_dim;
  TransitionBatch t(n, s_dim, kActionDim);
  std::int64_t row = 0;
  for (std::size_t i = first_session; i < last_session; ++i) {
    const auto& s = log.sessions[i];
    for (std::int64_t k = s.begin; k < s.end; ++k, ++row) {
      const bool last = k + 1 == s.end;
      std::copy_n(log.state(k), s_dim, t.state.row(row).data());
      std::copy_n(log.action(k), kActionDim, t.action.row(row).data());
      std::copy_n(log.state(last ? k : k + 1), s_dim, t.next_state.row(row).data());
      t.reward(row, 0) = static_cast<float>(weights.reward(log.feedback_row(k)));
      t.not_done(row, 0) = last ? 0.0f : 1.0f;
    }
  }
  return t;
}

DatasetSplit split_by_time(const SessionLog& log, const RewardWeights& weights, double train_fraction) {
  if (!(train_fraction > 0 && train_fraction < 1)) throw std::invalid_argument("split_by_time: fraction in (0, 1)");
  for (std::size_t i = 1; i < log.sessions.size(); ++i)
    if (log.sessions[i].id <= log.sessions[i - 1].id)
      throw std::invalid_argument("split_by_time: sessions are not in time (id) order");
  DatasetSplit d;
  const std::size_t n = log.sessions.size();
  d.train_sessions = static_cast<std::size_t>(train_fraction * static_cast<double>(n));
  d.test_sessions = n - d.train_sessions;
  d.train = build_transitions(log, weights, 0, d.train_sessions);
  d.test = build_transitions(log, weights, d.train_sessions, n);
  d.test_initial_states.resize(static_cast<Eigen::Index>(d.test_sessions), log.state_dim);
  for (std::size_t i = 0; i < d.test_sessions; ++i) {
    const auto& s = log.sessions[d.train_sessions + i];
    std::copy_n(log.state(s.begin), log.state_dim, d.test_initial_states.row(static_cast<Eigen::Index>(i)).data());
    d.test_initial_users.push_back(s.user);
    d.test_initial_days.push_back(s.day);
  }
  return d;
}

DatasetSplit split_file_by_time(const std::string& path, const RewardWeights& weights, double train_fraction,
                                const std::function<void(const TransitionBatch&)>& on_train, std::size_t block_bytes,
                                bool keep_test) {
  if (!(train_fraction > 0 && train_fraction < 1)) throw std::invalid_argument("split_by_time: fraction in (0, 1)");
  SessionLog block;
  std::size_t n = 0;
  {
    SessionLogReader count(path, block_bytes);  // pass 1: the whole file is checked before any use
    while (count.next(block)) n += block.sessions.size();
  }
  DatasetSplit d;
  d.train_sessions = static_cast<std::size_t>(train_fraction * static_cast<double>(n));
  d.test_sessions = n - d.train_sessions;
  SessionLog test;
  SessionLogReader reader(path, block_bytes);
  test.state_dim = reader.state_dim();
  std::size_t seen = 0;
  while (reader.next(block)) {
    const std::size_t in_block = block.sessions.size();
    const std::size_t train_here = d.train_sessions > seen ? std::min(in_block, d.train_sessions - seen) : 0;
    if (train_here > 0) on_train(build_transitions(block, weights, 0, train_here));
    if (keep_test && train_here < in_block) {
      std::vector<std::size_t> rest(in_block - train_here);
      for (std::size_t i = 0; i < rest.size(); ++i) rest[i] = train_here + i;
      test.append(block.subset(rest));
    }
    seen += in_block;
  }
  d.train = TransitionBatch(0, test.state_dim, kActionDim);
  if (!keep_test) {
    d.test = d.train;
    return d;
  }
  // The test split, exactly as split_by_time builds it (its sessions are test's, all of them).
  d.test = build_transitions(test, weights);
  d.test_initial_states.resize(static_cast<Eigen::Index>(d.test_sessions), test.state_dim);
  for (std::size_t i = 0; i < d.test_sessions; ++i) {
    const auto& s = test.sessions[i];
    std::copy_n(test.state(s.begin), test.state_dim, d.test_initial_states.row(static_cast<Eigen::Index>(i)).data());
    d.test_initial_users.push_back(s.user);
    d.test_initial_days.push_back(s.day);
  }
  return d;
}

void TransitionFingerprint::add(const TransitionBatch& t) {
  for (Index i = 0; i < t.rows(); ++i) {
    hash_ = hash64(t.state.row(i).data(), sizeof(float) * std::size_t(t.state_dim()), hash_);
    hash_ = hash64(t.action.row(i).data(), sizeof(float) * std::size_t(t.action_dim()), hash_);
    hash_ = hash64(&t.reward(i, 0), sizeof(float), hash_);
    hash_ = hash64(t.next_state.row(i).data(), sizeof(float) * std::size_t(t.state_dim()), hash_);
    hash_ = hash64(&t.not_done(i, 0), sizeof(float), hash_);
  }
  rows_ += t.rows();
}

}  // namespace mtf
