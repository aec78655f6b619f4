// Tests for rl/data/dataset.cpp: rewards from raw feedback, transitions, the time-ordered split.
#include <catch2/catch.hpp>

#include "rl/data/dataset.hpp"
#include "rl/sim/rollout.hpp"

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
