// examples/mtf/ab_test.cpp — `mtf ab-test`: an online A/B test of policies in the simulator (rl/sim/ab_test.hpp),
// the first policy the baseline. Under mpirun the arms spread over the processes (whole arms per process)
// and the report is the bits of one process.
#include <chrono>
#include <cstdio>

#include "commands.hpp"
#include "engine/distributed.hpp"
#include "engine/rng.hpp"
#include "examples/cli/options.hpp"
#include "rl/data/reward.hpp"
#include "rl/sim/ab_test.hpp"

namespace mtf::cli {

namespace {

const char* kDescription = R"(Runs an online A/B test in the simulator: every policy (--policy, two or more; the first is the
baseline) serves the same users on the same days with the same seeds (common random numbers), and each
arm's ADTime, UPIRate and mean session return are compared to the baseline's with paired 95 % intervals.
The simulator is the one the log (--logs) was written in (its header's meta.sim_config), or --sim-config.

Policies: ckpt:PATH (a checkpoint of mtf train, for the log's states), constant, random, noisy.
Under mpirun -np N (an MPI build) each process simulates whole arms; the report is the same bits as one
process (processes beyond the number of arms wait).)";

}  // namespace

int ab_test_command(int argc, char** argv) {
  CLI::App app(kDescription, "mtf ab-test");
  std::string logs_path, sim_config_path, reward = "default";
  std::vector<std::string> policy_names;
  long long users = 1000;
  int days_count = 1;
  std::uint64_t seed = 1;
  bool json = false;
  app.add_option("--logs", logs_path, "a session log of mtf simulate: its simulator, and the states of ckpt: policies")
      ->required();
  app.add_option("--policy", policy_names, "an arm's policy (repeat; the first is the baseline)")->required();
  app.add_option("--sim-config", sim_config_path, "the simulator (JSON, SimConfig's keys)")
      ->default_str("the log header's meta.sim_config");
  add_integer(app, "--users", users, 1LL, 1LL << 31, "the first N users of the population")->default_str("1000");
  add_integer(app, "--days", days_count, 1, 100000, "days of the test")->default_str("1");
  app.add_option("--reward", reward, "default | Rtime | Rintegrity | Rinteraction (the session return)")
      ->default_str("default");
  add_seed(app, "--seed", seed, "seed of the users' days (the same for every arm)");
  add_threads(app);
  app.add_flag("--json", json, "print the report as one JSON object");
  if (const int status = parse(app, argc, argv); status >= 0) return status;
  if (policy_names.size() < 2) throw UsageError("--policy: an A/B test needs at least two policies");

  const sim::Simulator simulator(simulator_config_for(logs_path, sim_config_path));
  if (users > simulator.num_users())
    throw UsageError("--users must be in [1, " + std::to_string(simulator.num_users()) + "]");
  std::vector<sim::AbArm> arms;
  for (const std::string& name : policy_names) {
    std::shared_ptr<Policy> policy = policy_by_name(name, simulator.state_dim(), logs_path);
    arms.push_back({policy->name(), policy});
  }
  sim::DaysOptions days;
  days.users.resize(std::size_t(users));
  for (long long u = 0; u < users; ++u) days.users[std::size_t(u)] = int(u);
  days.days = days_count;
  days.seed = seed;
  sim::RolloutOptions options;
  options.reward = reward_preset(reward);
  options.policy_seed = mix_seed(seed, "ab-test policy");
  const auto start = std::chrono::steady_clock::now();
  const sim::AbReport report = sim::run_ab_test(simulator, arms, 0, days, options, ProcessGroup::world());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (json) {
    nlohmann::json j = sim::to_json(report);
    j.update({{"logs", logs_path}, {"users", users}, {"days", days_count}, {"seed", seed}, {"seconds", seconds}});
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("mtf ab-test: %lld users x %d days (%d user-days per arm), seed %llu; baseline %s\n", users, days_count,
              report.user_days, static_cast<unsigned long long>(seed), report.arms.front().name.c_str());
  std::printf("%-28s %10s %8s %9s   %-28s %-28s\n", "arm", "ADTime s", "UPIRate", "return", "ADTime vs baseline [95 %]",
              "UPIRate vs baseline [95 %]");
  for (std::size_t a = 0; a < report.arms.size(); ++a) {
    const sim::AbArmReport& r = report.arms[a];
    char adtime[64] = "", upirate[64] = "";
    if (a != std::size_t(report.baseline)) {
      std::snprintf(adtime, sizeof adtime, "%+.2f %% [%+.2f, %+.2f]", 100 * r.adtime_vs_baseline.relative,
                    100 * r.adtime_vs_baseline.ci_low, 100 * r.adtime_vs_baseline.ci_high);
      std::snprintf(upirate, sizeof upirate, "%+.2f %% [%+.2f, %+.2f]", 100 * r.upirate_vs_baseline.relative,
                    100 * r.upirate_vs_baseline.ci_low, 100 * r.upirate_vs_baseline.ci_high);
    }
    std::printf("%-28s %10.2f %8.4f %9.4f   %-28s %-28s\n", r.name.c_str(), r.adtime, r.upirate, r.session_return, adtime,
                upirate);
  }
  std::printf("%.1f s\n", seconds);
  return 0;
}

}  // namespace mtf::cli
