// Tests for rl/data/dataset.cpp: rewards from raw feedback, transitions, the time-ordered split.
#include <catch2/catch.hpp>

#include "rl/data/dataset.hpp"
#include "rl/sim/rollout.hpp"

#include <cstdio>
#include <unistd.h>

using namespace mtf;
using namespace mtf::sim;
using Catch::Matchers::WithinRel;

namespace {
SessionLog small_log() {
  static const SessionLog log = [] {
    SimConfig c;
    c.num_users = 200;
    const Simulator sim(c);
    RolloutOptions opt;
    opt.record = true;
    DaysOptions days;
    days.days = 2;
    return simulate_days(sim, make_behaviour_policy("noisy", Action{}), days, opt).log;
  }();
  return log;
}
}  // namespace

TEST_CASE("transitions chain states within sessions and mark the last step done", "[data][dataset]") {
  const SessionLog log = small_log();
  const RewardWeights w = reward_preset("default");
  const TransitionBatch t = build_transitions(log, w);
  REQUIRE(t.rows() == log.num_steps());
  REQUIRE(t.state.cols() == log.state_dim);
  const auto& s = log.sessions[3];
  for (auto k = s.begin; k < s.end; ++k) {
    REQUIRE(t.not_done(k) == (k + 1 == s.end ? 0.0f : 1.0f));
    if (k + 1 < s.end) REQUIRE(t.next_state.row(k) == t.state.row(k + 1));
    REQUIRE_THAT(t.reward(k, 0), WithinRel(static_cast<float>(w.reward(log.feedback_row(k))), 1e-6f));
  }
}

TEST_CASE("reward variants reuse the same logs", "[data][dataset]") {
  const SessionLog log = small_log();
  const TransitionBatch d = build_transitions(log, reward_preset("default"));
  const TransitionBatch t = build_transitions(log, reward_preset("Rtime"));
  REQUIRE(t.state == d.state);
  REQUIRE(t.reward.sum() > d.reward.sum());  // play time weighs three times more
}

TEST_CASE("the split is 90/10 in time order and exposes the test's initial states", "[data][dataset]") {
  const SessionLog log = small_log();
  const DatasetSplit split = split_by_time(log, reward_preset("default"));
  const std::size_t n = log.sessions.size();
  REQUIRE(split.train_sessions == static_cast<std::size_t>(0.9 * n));
  REQUIRE(split.train_sessions + split.test_sessions == n);
  REQUIRE(split.train.rows() + split.test.rows() == log.num_steps());
  // Train is the earliest sessions: its last row is the last step of session train_sessions − 1.
  REQUIRE(split.train.rows() == log.sessions[split.train_sessions - 1].end);
  REQUIRE(split.test_initial_states.rows() == static_cast<Eigen::Index>(split.test_sessions));
  const auto& first_test = log.sessions[split.train_sessions];
  for (int i = 0; i < log.state_dim; ++i) REQUIRE(split.test_initial_states(0, i) == log.state(first_test.begin)[i]);
  REQUIRE(split.test_initial_users[0] == first_test.user);
  REQUIRE(split.test_initial_days.back() == 1);  // the test split is the latest sessions
}

TEST_CASE("the split of a log file read in blocks equals the split of the whole log", "[data][dataset][stream]") {
  const SessionLog log = small_log();
  const std::string path = "/tmp/mtf_dataset_test_" + std::to_string(::getpid()) + ".jsonl";
  write_session_log(log, path);
  const RewardWeights w = reward_preset("Rtime");
  const DatasetSplit whole = split_by_time(log, w, 0.9);
  TransitionFingerprint whole_print;
  whole_print.add(whole.train);
  for (std::size_t block : {std::size_t(4096), std::size_t(100000), std::size_t(64) << 20}) {
    INFO("block " << block);
    TransitionBatch train(0, log.state_dim, kActionDim);
    TransitionFingerprint print;
    int calls = 0;
    const DatasetSplit streamed = split_file_by_time(path, w, 0.9, [&](const TransitionBatch& t) {
      ++calls;
      print.add(t);
      const Index at = train.rows();
      for (MatrixR<float>* m : {&train.state, &train.action, &train.reward, &train.next_state, &train.not_done})
        m->conservativeResize(at + t.rows(), Eigen::NoChange);
      train.state.bottomRows(t.rows()) = t.state;
      train.action.bottomRows(t.rows()) = t.action;
      train.reward.bottomRows(t.rows()) = t.reward;
      train.next_state.bottomRows(t.rows()) = t.next_state;
      train.not_done.bottomRows(t.rows()) = t.not_done;
    }, block);
    if (block == 4096) REQUIRE(calls > 10);  // it did stream
    REQUIRE(streamed.train_sessions == whole.train_sessions);
    REQUIRE(streamed.test_sessions == whole.test_sessions);
    REQUIRE(streamed.train.rows() == 0);
    REQUIRE(train.state == whole.train.state);
    REQUIRE(train.action == whole.train.action);
    REQUIRE(train.reward == whole.train.reward);
    REQUIRE(train.next_state == whole.train.next_state);
    REQUIRE(train.not_done == whole.train.not_done);
    REQUIRE(print.hash() == whole_print.hash());
    REQUIRE(print.rows() == whole.train.rows());
    REQUIRE(streamed.test.state == whole.test.state);
    REQUIRE(streamed.test.reward == whole.test.reward);
    REQUIRE(streamed.test.not_done == whole.test.not_done);
    REQUIRE(streamed.test_initial_states == whole.test_initial_states);
    REQUIRE(streamed.test_initial_users == whole.test_initial_users);
    REQUIRE(streamed.test_initial_days == whole.test_initial_days);
  }
  // The fingerprint sees every field: one reward changed, another hash.
  TransitionBatch changed = whole.train;
  changed.reward(5, 0) += 1.0f;
  TransitionFingerprint other;
  other.add(changed);
  REQUIRE(other.hash() != whole_print.hash());
  std::remove(path.c_str());
}
