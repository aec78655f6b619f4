// Tests for rl/sim/ab_test.cpp — SPEC §5.5 (d): ADTime and UPIRate respond to the policy; the arms spread
// over processes give the report of one.
#include <catch2/catch.hpp>

#include "rl/sim/ab_test.hpp"

using namespace mtf;
using namespace mtf::sim;

TEST_CASE("A/B over simulated days: ADTime and UPIRate respond to the policy", "[sim][ab_test]") {
  const Simulator sim{SimConfig{}};
  // Baseline: neutral α. Interaction arm: all weight on the six interaction tasks.
  // Time arm: all weight on predicted play time.
  Action interaction, time;
  interaction.fill(-1.0f);
  time.fill(-1.0f);
  for (int t : {kLike, kShare, kComment, kFollow, kCollect, kPositiveRate}) interaction[t] = 1.0f;
  time[kPlayTime] = 1.0f;
  for (int t : {kSkipProb, kExitRate, kNegative}) interaction[t] = time[t] = 1.0f;  // α = 0 for the bad tasks
  const auto neutral = std::make_shared<ConstantPolicy>(Action{}, "neutral");
  const auto interact = std::make_shared<ConstantPolicy>(interaction, "interaction");
  const auto watch = std::make_shared<ConstantPolicy>(time, "play-time");
  DaysOptions days;
  days.users.resize(1000);
  for (int i = 0; i < 1000; ++i) days.users[i] = i;
  days.days = 3;
  days.seed = 9;
  const AbReport report = run_ab_test(sim, {{"neutral", neutral}, {"interaction", interact}, {"play-time", watch}}, 0,
                                      days, RolloutOptions{});
  REQUIRE(report.user_days == 3000);
  for (const AbArmReport& a : report.arms)
    WARN(a.name << ": ADTime " << a.adtime << " s, UPIRate " << a.upirate << ", session return " << a.session_return
                << ", sessions/user-day " << a.sessions_per_user_day);
  const AbArmReport& i = report.arms[1];
  const AbArmReport& t = report.arms[2];
  WARN("interaction vs neutral: UPIRate " << 100 * i.upirate_vs_baseline.relative << " % [" << 100 * i.upirate_vs_baseline.ci_low
       << ", " << 100 * i.upirate_vs_baseline.ci_high << "], p = " << i.upirate_vs_baseline.p_value);
  WARN("interaction vs neutral: ADTime " << 100 * i.adtime_vs_baseline.relative << " %, p = " << i.adtime_vs_baseline.p_value);
  WARN("play-time vs neutral: UPIRate " << 100 * t.upirate_vs_baseline.relative << " % [" << 100 * t.upirate_vs_baseline.ci_low
       << ", " << 100 * t.upirate_vs_baseline.ci_high << "], p = " << t.upirate_vs_baseline.p_value);
  WARN("play-time vs neutral: ADTime " << 100 * t.adtime_vs_baseline.relative << " % [" << 100 * t.adtime_vs_baseline.ci_low
       << ", " << 100 * t.adtime_vs_baseline.ci_high << "], p = " << t.adtime_vs_baseline.p_value);
  // Ranking by predicted play time alone: more dwell time per user-day, far fewer positive interactions.
  REQUIRE(t.adtime_vs_baseline.relative > 0.05);
  REQUIRE(t.adtime_vs_baseline.ci_low > 0.0);
  REQUIRE(t.adtime_vs_baseline.p_value < 0.001);
  REQUIRE(t.upirate_vs_baseline.relative < -0.5);
  REQUIRE(t.upirate_vs_baseline.p_value < 0.001);
  // Ranking by interactions alone: a higher positive-interaction rate, much less dwell time.
  REQUIRE(i.upirate_vs_baseline.relative > 0.0);
  REQUIRE(i.adtime_vs_baseline.relative < -0.1);
  REQUIRE(i.adtime_vs_baseline.p_value < 0.001);
  REQUIRE(report.arms[0].adtime > 0);
  // The JSON report carries every arm.
  REQUIRE(to_json(report)["arms"].size() == 3);
}

// Distributed evaluation (issue 15): in sim_tests one process; under mpirun (mpi_eval_tests, label mpi)
// 2 and 3 processes, each simulating whole arms. CHECK only: every rank must reach every exchange.
TEST_CASE("run_ab_test spread over the world gives the report of one process, bit for bit",
          "[sim][ab_test][distributed]") {
  SimConfig config;
  config.num_users = 80;
  const Simulator sim{config};
  const ProcessGroup& world = ProcessGroup::world();
  Action high;
  high.fill(0.5f);
  const auto neutral = std::make_shared<ConstantPolicy>(Action{}, "neutral");
  const auto other = std::make_shared<ConstantPolicy>(high, "high");
  const auto noisy = std::make_shared<NoisyPolicy>(neutral, 0.3);  // stochastic: its stream must not move
  DaysOptions days;
  days.users.resize(60);
  for (int i = 0; i < 60; ++i) days.users[std::size_t(i)] = i;
  days.days = 2;
  days.seed = 3;
  RolloutOptions options;
  options.policy_seed = 17;
  // Three arms (uneven over 2 processes) and two (fewer than 3 processes: a rank with no arm).
  const std::vector<std::vector<AbArm>> tests = {{{"neutral", neutral}, {"noisy", noisy}, {"high", other}},
                                                  {{"neutral", neutral}, {"noisy", noisy}}};
  for (const auto& arms : tests) {
    const AbReport spread = run_ab_test(sim, arms, 0, days, options, world);
    const AbReport alone = run_ab_test(sim, arms, 0, days, options, ProcessGroup::single());
    INFO("rank " << world.rank() << " of " << world.size() << ", " << arms.size() << " arms");
    CHECK(spread.user_days == 120);
    // The JSON prints doubles in their shortest round-trip form: equal text is equal bits.
    CHECK(to_json(spread).dump() == to_json(alone).dump());
  }
}
