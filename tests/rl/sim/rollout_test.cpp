// Tests for rl/sim/rollout.cpp: returns, days and return visits, identical logs from identical seeds,
// thread-count independence, the variance reduction of common random numbers, and true_value spread
// over processes (its blocks).
#include <catch2/catch.hpp>

#include <omp.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "rl/sim/rollout.hpp"

using namespace mtf;
using namespace mtf::sim;
using Catch::Matchers::WithinRel;

namespace {
const Simulator& small_sim() {
  static const Simulator sim = [] {
    SimConfig c;
    c.num_users = 300;
    return Simulator(c);
  }();
  return sim;
}
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("a session's discounted return is Σ γ^t r_t of its logged feedback", "[sim][rollout]") {
  const Simulator& sim = small_sim();
  ConstantPolicy p(Action{});
  RolloutOptions opt;
  opt.record = true;
  const auto starts = random_starts(sim, 20, 1);
  std::vector<std::uint64_t> seeds;
  for (int i = 0; i < 20; ++i) seeds.push_back(100 + i);
  const RolloutResult r = run_sessions(sim, p, starts, seeds, opt);
  REQUIRE(r.log.sessions.size() == 20);
  for (std::size_t i = 0; i < 20; ++i) {
    const auto& s = r.log.sessions[i];
    double ret = 0, discount = 1;
    for (auto k = s.begin; k < s.end; ++k, discount *= opt.gamma) ret += discount * opt.reward.reward(r.log.feedback_row(k));
    REQUIRE_THAT(r.sessions[i].discounted_return, WithinRel(ret, 1e-9));
    REQUIRE(r.sessions[i].length == s.length());
  }
}

TEST_CASE("identical seeds give byte-identical logs and other seeds do not", "[sim][rollout]") {
  const Simulator& sim = small_sim();
  const MixedPolicy mixed = make_behaviour_policy("mixed", Action{});
  RolloutOptions opt;
  opt.record = true;
  DaysOptions days;
  days.days = 2;
  days.seed = 17;
  auto write = [&](const std::string& path, std::uint64_t seed, int threads) {
    DaysOptions d = days;
    d.seed = seed;
    RolloutOptions o = opt;
    o.policy_seed = seed;
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    const RolloutResult r = simulate_days(sim, mixed, d, o);
    omp_set_num_threads(saved);
    write_session_log(r.log, path);
    return r.log.num_steps();
  };
  const auto steps = write("rollout_a.jsonl", 17, 2);
  write("rollout_b.jsonl", 17, 2);
  write("rollout_c.jsonl", 17, 1);  // one thread: the same bits (each session owns its streams)
  write("rollout_d.jsonl", 18, 2);
  const std::string a = slurp("rollout_a.jsonl");
  WARN("identical-seed logs: " << steps << " steps, " << a.size() << " bytes each");
  REQUIRE(steps > 1000);
  REQUIRE(a == slurp("rollout_b.jsonl"));
  REQUIRE(a == slurp("rollout_c.jsonl"));
  REQUIRE(a != slurp("rollout_d.jsonl"));
  for (const char* f : {"rollout_a.jsonl", "rollout_b.jsonl", "rollout_c.jsonl", "rollout_d.jsonl"}) std::remove(f);
}

TEST_CASE("days: users return for more sessions and sessions are numbered in time order", "[sim][rollout]") {
  const Simulator& sim = small_sim();
  const MixedPolicy constant = make_behaviour_policy("constant", Action{});
  RolloutOptions opt;
  opt.record = true;
  DaysOptions days;
  days.days = 2;
  days.first_session_id = 1000;
  const RolloutResult r = simulate_days(sim, constant, days, opt);
  REQUIRE(r.user_days.size() == 600);
  int multi = 0, total = 0;
  for (const UserDay& ud : r.user_days) multi += ud.sessions > 1, total += ud.sessions;
  WARN("sessions per user-day " << double(total) / r.user_days.size() << ", share with a return visit "
                                << double(multi) / r.user_days.size());
  REQUIRE(multi > 60);
  REQUIRE(r.log.sessions.front().id == 1000);
  for (std::size_t i = 1; i < r.sessions.size(); ++i) {
    REQUIRE(r.sessions[i].start_time >= r.sessions[i - 1].start_time);
    REQUIRE(r.log.sessions[i].id == r.log.sessions[i - 1].id + 1);
  }
  REQUIRE(r.log.sessions.back().day == 1);
}

TEST_CASE("mixed exploration collects equal shares from both members", "[sim][rollout]") {
  const Simulator& sim = small_sim();
  const MixedPolicy mixed = make_behaviour_policy("mixed", Action{});
  RolloutOptions opt;
  opt.record = true;
  DaysOptions days;
  days.days = 2;
  const RolloutResult r = simulate_days(sim, mixed, days, opt);
  // Random sessions have a spread-out first action (σ 0.5), noisy ones a tight one (σ 0.1).
  int random = 0;
  for (const auto& s : r.log.sessions) {
    double sq = 0;
    for (int i = 0; i < kActionDim; ++i) sq += r.log.action(s.begin)[i] * r.log.action(s.begin)[i];
    random += std::sqrt(sq / kActionDim) > 0.25;
  }
  const double share = double(random) / r.log.sessions.size();
  WARN("mixed: share of sessions from random exploration " << share);
  REQUIRE(share > 0.45);
  REQUIRE(share < 0.55);
}

TEST_CASE("common random numbers make policy differences paired", "[sim][rollout]") {
  const Simulator& sim = small_sim();
  Action greedy;
  greedy.fill(1.0f);
  ConstantPolicy a(Action{}), b(greedy);
  RolloutOptions opt;
  const auto starts = random_starts(sim, 400, 3);
  const ValueEstimate va = true_value(sim, a, starts, 11, opt);
  const ValueEstimate vb = true_value(sim, b, starts, 11, opt);        // same seeds: paired
  const ValueEstimate vb_other = true_value(sim, b, starts, 12, opt);  // other seeds: unpaired
  auto var_diff = [](const std::vector<double>& x, const std::vector<double>& y) {
    double m = 0, v = 0;
    for (std::size_t i = 0; i < x.size(); ++i) m += x[i] - y[i];
    m /= x.size();
    for (std::size_t i = 0; i < x.size(); ++i) v += (x[i] - y[i] - m) * (x[i] - y[i] - m);
    return v / (x.size() - 1);
  };
  const double paired = var_diff(va.per_rollout, vb.per_rollout);
  const double unpaired = var_diff(va.per_rollout, vb_other.per_rollout);
  WARN("variance of per-rollout differences: paired (CRN) " << paired << ", unpaired " << unpaired);
  REQUIRE(paired < 0.7 * unpaired);
  // Same policy, same seeds: exactly the same value.
  REQUIRE(true_value(sim, a, starts, 11, opt).per_rollout == va.per_rollout);
}

TEST_CASE("a mixture's value and its paired standard error under common random numbers", "[sim][rollout]") {
  const Simulator& sim = small_sim();
  Action high;
  high.fill(0.8f);
  ConstantPolicy a(Action{}), b(high);
  RolloutOptions opt;
  const auto starts = random_starts(sim, 300, 5);
  const ValueEstimate va = true_value(sim, a, starts, 21, opt), vb = true_value(sim, b, starts, 21, opt);
  const ValueEstimate mix = mixture_value({&va, &vb}, {0.5, 0.5});
  REQUIRE_THAT(mix.mean, WithinRel(0.5 * (va.mean + vb.mean), 1e-12));
  REQUIRE_THAT(mix.mean_length, WithinRel(0.5 * (va.mean_length + vb.mean_length), 1e-12));
  // By hand: the standard error of the per-rollout averages.
  double m = 0, v = 0;
  const std::size_t n = va.per_rollout.size();
  for (std::size_t j = 0; j < n; ++j) m += 0.5 * (va.per_rollout[j] + vb.per_rollout[j]);
  m /= double(n);
  for (std::size_t j = 0; j < n; ++j) {
    const double d = 0.5 * (va.per_rollout[j] + vb.per_rollout[j]) - m;
    v += d * d;
  }
  REQUIRE_THAT(mix.std_error, WithinRel(std::sqrt(v / double(n - 1) / double(n)), 1e-9));
  // Paired returns are positively correlated here, so the paired error is not the independent formula's.
  const double independent = 0.5 * std::sqrt(va.std_error * va.std_error + vb.std_error * vb.std_error);
  WARN("mixture standard error: paired " << mix.std_error << ", as if independent " << independent);
  REQUIRE(mix.std_error != independent);
  const ValueEstimate other = true_value(sim, b, random_starts(sim, 10, 5), 21, opt);
  REQUIRE_THROWS_WITH(mixture_value({&va, &other}, {0.5, 0.5}), Catch::Matchers::Contains("same"));
}

TEST_CASE("simulate_sessions runs whole days until enough sessions, then keeps the first in time order",
          "[sim][rollout]") {
  const Simulator& sim = small_sim();
  const MixedPolicy mixed = make_behaviour_policy("mixed", Action{});
  RolloutOptions opt;
  DaysOptions days;
  days.seed = 4;
  const SessionLog log = simulate_sessions(sim, mixed, 700, days, opt);  // ~1.3 sessions per user-day: 2 days
  REQUIRE(log.sessions.size() == 700);
  REQUIRE(log.sessions.back().day == 1);
  for (std::size_t i = 0; i < log.sessions.size(); ++i) REQUIRE(log.sessions[i].id == std::int64_t(i));
  // The first day's sessions are exactly those of a one-day simulation with the same seed.
  opt.record = true;
  days.days = 1;
  const RolloutResult day0 = simulate_days(sim, mixed, days, opt);
  REQUIRE(day0.log.sessions.size() < 700);
  REQUIRE(std::equal(day0.log.states.begin(), day0.log.states.end(), log.states.begin()));
}

// Distributed evaluation (issue 15). In sim_tests the world is one process; the MPI build's mpi_eval_tests
// runs the [distributed] cases under mpirun with 2 and 3 processes (tests/mpi/CMakeLists.txt). No REQUIRE
// between two collective calls: a rank that stopped early would leave the others waiting.
namespace {
bool same_value_bits(const ValueEstimate& x, const ValueEstimate& y) {
  return x.per_rollout.size() == y.per_rollout.size() &&
         std::memcmp(x.per_rollout.data(), y.per_rollout.data(), x.per_rollout.size() * sizeof(double)) == 0 &&
         std::memcmp(&x.mean, &y.mean, sizeof x.mean) == 0 && std::memcmp(&x.std_error, &y.std_error, sizeof x.std_error) == 0 &&
         std::memcmp(&x.mean_first_reward, &y.mean_first_reward, sizeof x.mean_first_reward) == 0 &&
         std::memcmp(&x.mean_length, &y.mean_length, sizeof x.mean_length) == 0;
}
}  // namespace

TEST_CASE("true_value spread over the world gives the bits of one process with the same blocks",
          "[sim][rollout][distributed]") {
  const Simulator& sim = small_sim();
  const ProcessGroup& world = ProcessGroup::world();
  // A stochastic policy: its noise comes from each block's stream, so the blocks are what fixes it.
  NoisyPolicy noisy(std::make_shared<ConstantPolicy>(Action{}), 0.3);
  const auto starts = random_starts(sim, 37, 5);
  // One block per process, more blocks than processes (uneven), and fewer (ranks that only receive).
  for (const int blocks : {world.size(), 2 * world.size() + 1, 1}) {
    RolloutOptions opt;
    opt.policy_seed = 21;
    opt.blocks = blocks;
    const ValueEstimate spread = true_value(sim, noisy, starts, 9, opt, 3, world);
    const ValueEstimate alone = true_value(sim, noisy, starts, 9, opt, 3, ProcessGroup::single());
    INFO("rank " << world.rank() << " of " << world.size() << ", " << blocks << " blocks");
    CHECK(spread.per_rollout.size() == 37 * 3);
    CHECK(same_value_bits(spread, alone));
  }
  // The control: other blocks serve the rollouts with other noise, so the comparison above can fail.
  RolloutOptions three, four;
  three.blocks = 3;
  four.blocks = 4;
  CHECK(true_value(sim, noisy, starts, 9, three, 3).per_rollout != true_value(sim, noisy, starts, 9, four, 3).per_rollout);
}

TEST_CASE("true_value's blocks change only a stochastic policy's noise, and one block is the single batch of before",
          "[sim][rollout][distributed]") {
  const Simulator& sim = small_sim();
  NoisyPolicy noisy(std::make_shared<ConstantPolicy>(Action{}), 0.3);
  const auto starts = random_starts(sim, 25, 6);
  RolloutOptions opt;
  opt.policy_seed = 21;
  const ValueEstimate v = true_value(sim, noisy, starts, 9, opt, 2);
  // blocks = 1: run_sessions over rollout i = j·R + r seeded mix_seed(seed, i), one policy stream.
  std::vector<SessionStart> all;
  std::vector<std::uint64_t> seeds;
  for (std::size_t j = 0; j < starts.size(); ++j)
    for (int r = 0; r < 2; ++r) {
      all.push_back(starts[j]);
      seeds.push_back(mix_seed(9, j * 2 + r));
    }
  const RolloutResult direct = run_sessions(sim, noisy, all, seeds, opt);
  REQUIRE(direct.sessions.size() == v.per_rollout.size());
  for (std::size_t i = 0; i < all.size(); ++i)
    REQUIRE(std::memcmp(&direct.sessions[i].discounted_return, &v.per_rollout[i], sizeof(double)) == 0);
  // A deterministic policy draws no noise: any block count gives its bits.
  ConstantPolicy constant(Action{});
  RolloutOptions five = opt;
  five.blocks = 5;
  REQUIRE(same_value_bits(true_value(sim, constant, starts, 9, opt, 2), true_value(sim, constant, starts, 9, five, 2)));
  RolloutOptions none = opt;
  none.blocks = 0;
  REQUIRE_THROWS_WITH(true_value(sim, constant, starts, 9, none), Catch::Matchers::Contains("blocks must be at least 1"));
}
