// examples/mtf/simulate.cpp — `mtf simulate`: run a behaviour policy in the simulator, write a log.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "commands.hpp"
#include "engine/json_config.hpp"
#include "examples/cli/options.hpp"
#include "rl/sim/fusion.hpp"
#include "rl/sim/rollout.hpp"

namespace mtf::cli {

namespace {

const char* kDescription = R"(Runs a behaviour policy in the session simulator over simulated days and writes the sessions as a
JSON Lines log (schema: docs/simulator.md). The same options and seed give a byte-identical file.

Policies: constant (one global alpha: the neutral a = 0, or --alpha-file), random (a ~ N(0, 0.5^2)
clipped to [-1, 1]), noisy (the constant action + N(0, 0.1^2)), mixed (sessions alternate between
random and noisy).)";

Action read_action_file(const std::string& path, const sim::SimConfig& config) {
  const nlohmann::json j = load_json_file(path);
  const bool has_alpha = j.is_object() && j.contains("alpha"), has_action = j.is_object() && j.contains("action");
  if (has_alpha == has_action) throw std::runtime_error(path + ": expected exactly one of \"alpha\" or \"action\"");
  const std::string key = has_alpha ? "alpha" : "action";
  const auto& v = j[key];
  if (!v.is_array() || v.size() != kActionDim)
    throw std::runtime_error(path + ": field \"" + key + "\": expected " + std::to_string(kActionDim) + " numbers");
  std::array<double, sim::kNumTasks> values{};
  for (int i = 0; i < kActionDim; ++i) {
    if (!v[i].is_number()) throw std::runtime_error(path + ": field \"" + key + "\": element " + std::to_string(i) + " is not a number");
    values[i] = v[i].get<double>();
  }
  if (has_action) {
    Action a{};
    for (int i = 0; i < kActionDim; ++i) {
      if (values[i] < -1 || values[i] > 1)
        throw std::runtime_error(path + ": field \"action\": element " + std::to_string(i) + " is outside [-1, 1]");
      a[i] = static_cast<float>(values[i]);
    }
    return a;
  }
  for (int i = 0; i < sim::kNumTasks; ++i)
    if (values[i] < config.alpha_low[i] || values[i] > config.alpha_high[i])
      throw std::runtime_error(path + ": field \"alpha\": element " + std::to_string(i) + " (" + sim::kTaskNames[i] +
                               ") is outside its bounds [" + std::to_string(config.alpha_low[i]) + ", " +
                               std::to_string(config.alpha_high[i]) + "]");
  return sim::action_from_alpha(config, values);
}

}  // namespace

int simulate_command(int argc, char** argv) {
  CLI::App app(kDescription, "mtf simulate");
  std::string out, policy_name = "mixed", alpha_file, config_path, population;
  std::string kuairand_dir = MTF_KUAIRAND_DIR;
  std::uint64_t seed = 1;
  long long sessions = 0, users = 0, days_count = 1, state_dim = 0;
  app.add_option("--out", out, "output log; written atomically (temporary file, fsync, rename)")->required();
  app.add_option("--policy", policy_name, "constant | random | noisy | mixed")->default_str("mixed");
  add_seed(app, "--seed", seed, "seed of everything random in the run");
  CLI::Option* sessions_option =
      add_integer(app, "--sessions", sessions, 1LL, 1LL << 40,
                  "stop after the first N sessions in time order (all users, as many days as needed)");
  CLI::Option* users_option = add_integer(app, "--users", users, 1LL, 1LL << 31, "or: the first N users (default: all)");
  CLI::Option* days_option = add_integer(app, "--days", days_count, 1LL, 100000LL, "for D days");
  sessions_option->excludes(users_option)->excludes(days_option);
  app.add_option("--alpha-file", alpha_file,
                 "JSON {\"alpha\": [12 numbers]} (fusion weights within the configured bounds) or {\"action\": [12 "
                 "numbers in [-1, 1]]}: the constant policy's action");
  app.add_option("--config", config_path, "simulator configuration (JSON, keys of SimConfig; unknown keys are errors)");
  app.add_option("--population", population, "parametric (default) | kuairand (users and videos from KuaiRand-Pure)");
  app.add_option("--kuairand-dir", kuairand_dir, "folder of the KuaiRand-Pure CSVs")->default_str("data/kuairand");
  CLI::Option* state_dim_option =
      add_integer(app, "--state-dim", state_dim, 64LL, 4096LL, "state dimension S (extra entries are zero)")->default_str("64");
  if (const int status = parse(app, argc, argv); status >= 0) return status;
  require_distinct_files("--out", out, {{"--config", config_path}, {"--alpha-file", alpha_file}});

  sim::SimConfig config;
  if (!config_path.empty()) config = sim::sim_config_from_json(load_json_file(config_path), config_path);
  if (population == "kuairand") {
    config.population = sim::PopulationSource::kKuaiRand;
    config.kuairand_dir = kuairand_dir;
  } else if (!population.empty() && population != "parametric") {
    throw UsageError("--population: expected parametric or kuairand, got \"" + population + "\"");
  }
  if (state_dim_option->count() > 0) config.state_dim = static_cast<int>(state_dim);
  config.validate();

  const auto started = std::chrono::steady_clock::now();
  const sim::Simulator simulator(config);
  Action constant{};
  if (!alpha_file.empty()) constant = read_action_file(alpha_file, config);
  const MixedPolicy behaviour = make_behaviour_policy(policy_name, constant);

  sim::RolloutOptions options;
  options.record = true;
  options.policy_seed = mix_seed(seed, 0x5eed);
  sim::DaysOptions days;
  days.seed = seed;
  SessionLog log;
  if (sessions_option->count() > 0) {
    log = sim::simulate_sessions(simulator, behaviour, sessions, days, options);
  } else {
    sim::UserHistories histories;
    if (users_option->count() == 0) users = simulator.num_users();
    if (users > simulator.num_users())
      throw UsageError("--users must be in [1, " + std::to_string(simulator.num_users()) + "]");
    days.users.resize(static_cast<std::size_t>(users));
    for (std::int64_t u = 0; u < users; ++u) days.users[u] = static_cast<int>(u);
    days.days = static_cast<int>(days_count);
    log = sim::simulate_days(simulator, behaviour, days, options, &histories).log;
  }
  log.meta = {{"generator", "mtf simulate"},
              {"policy", behaviour.name()},
              {"seed", seed},
              {"reward_note", "raw feedback only; rewards are computed when transitions are built"},
              {"sim_config", sim::to_json(config)}};
  write_session_log(log, out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("wrote %s: %zu sessions, %lld steps (mean session length %.2f), policy %s, seed %llu, %.2f s\n",
              out.c_str(), log.sessions.size(), static_cast<long long>(log.num_steps()),
              log.sessions.empty() ? 0.0 : static_cast<double>(log.num_steps()) / log.sessions.size(),
              behaviour.name().c_str(), static_cast<unsigned long long>(seed), seconds);
  return 0;
}

}  // namespace mtf::cli
