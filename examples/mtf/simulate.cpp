// examples/mtf/simulate.cpp — `mtf simulate`: run a behaviour policy in the simulator, write a log.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>

#include "args.hpp"
#include "commands.hpp"
#include "rl/sim/fusion.hpp"
#include "rl/sim/rollout.hpp"

namespace mtf::cli {

namespace {

const char* kUsage = R"(usage: mtf simulate --out LOGS.jsonl [options]

Runs a behaviour policy in the session simulator over simulated days and writes the sessions as a
JSON Lines log (schema: docs/simulator.md). The same options and seed give a byte-identical file.

options:
  --out PATH             output log (required); written atomically (PATH.tmp, then renamed)
  --policy NAME          constant | random | noisy | mixed   (default: mixed)
                           constant: one global α (the neutral a = 0, or --alpha-file)
                           random:   a ~ N(0, 0.5²) clipped to [-1, 1]
                           noisy:    the constant action + N(0, 0.1²)
                           mixed:    sessions alternate between random and noisy
  --seed N               seed of everything random in the run (default: 1)
  --sessions N           stop after the first N sessions in time order (all users, as many days as needed)
  --users N --days D     or: the first N users (default: all) for D days (default: 1)
  --alpha-file FILE      JSON {"alpha": [12 numbers]} (fusion weights within the configured bounds) or
                         {"action": [12 numbers in [-1, 1]]}: the constant policy's action
  --config FILE          simulator configuration (JSON, keys of SimConfig; unknown keys are errors)
  --population NAME      parametric (default) | kuairand (users and videos from the KuaiRand-Pure files)
  --kuairand-dir DIR     folder of the KuaiRand-Pure CSVs (default: the repository's data/kuairand)
  --state-dim S          state dimension S (default 64; >= 64, extra entries are zero)
  --help                 this text
)";

sim::Action read_action_file(const std::string& path, const sim::SimConfig& config) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": malformed JSON (" + std::string(e.what()) + ")");
  }
  const bool has_alpha = j.is_object() && j.contains("alpha"), has_action = j.is_object() && j.contains("action");
  if (has_alpha == has_action) throw std::runtime_error(path + ": expected exactly one of \"alpha\" or \"action\"");
  const std::string key = has_alpha ? "alpha" : "action";
  const auto& v = j[key];
  if (!v.is_array() || v.size() != sim::kActionDim)
    throw std::runtime_error(path + ": field \"" + key + "\": expected " + std::to_string(sim::kActionDim) + " numbers");
  std::array<double, sim::kNumTasks> values{};
  for (int i = 0; i < sim::kActionDim; ++i) {
    if (!v[i].is_number()) throw std::runtime_error(path + ": field \"" + key + "\": element " + std::to_string(i) + " is not a number");
    values[i] = v[i].get<double>();
  }
  if (has_action) {
    sim::Action a{};
    for (int i = 0; i < sim::kActionDim; ++i) {
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
  const Args args(argc, argv,
                  {"out", "policy", "seed", "sessions", "users", "days", "alpha-file", "config", "population",
                   "kuairand-dir", "state-dim"},
                  {"help"});
  if (args.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positional().empty()) throw UsageError("unexpected argument \"" + args.positional()[0] + "\"");
  const std::string out = args.required("out");
  const std::string policy_name = args.str("policy", "mixed");
  const auto seed = static_cast<std::uint64_t>(args.integer("seed", 1));
  if (args.has("sessions") && (args.has("users") || args.has("days")))
    throw UsageError("give either --sessions or --users/--days, not both");

  sim::SimConfig config;
  if (args.has("config")) {
    std::ifstream in(args.str("config", ""));
    if (!in) throw std::runtime_error(args.str("config", "") + ": cannot open");
    config = sim::sim_config_from_json(nlohmann::json::parse(in));
  }
  const std::string population = args.str("population", "");
  if (population == "kuairand") {
    config.population = sim::PopulationSource::kKuaiRand;
    config.kuairand_dir = args.str("kuairand-dir", MTF_KUAIRAND_DIR);
  } else if (!population.empty() && population != "parametric") {
    throw UsageError("--population: expected parametric or kuairand, got \"" + population + "\"");
  }
  config.state_dim = static_cast<int>(args.integer("state-dim", config.state_dim));
  config.validate();

  const auto started = std::chrono::steady_clock::now();
  const sim::Simulator simulator(config);
  sim::Action constant{};
  if (args.has("alpha-file")) constant = read_action_file(args.str("alpha-file", ""), config);
  const sim::MixedPolicy behaviour = sim::make_behaviour_policy(policy_name, constant);

  sim::RolloutOptions options;
  options.record = true;
  options.policy_seed = sim::mix_seed(seed, 0x5eed);
  sim::DaysOptions days;
  days.seed = seed;
  sim::SessionLog log;
  log.state_dim = simulator.state_dim();
  sim::UserHistories histories;
  if (args.has("sessions")) {
    const std::int64_t wanted = args.integer("sessions", 0);
    if (wanted < 1) throw UsageError("--sessions must be >= 1");
    // Day after day with every user until enough sessions, then keep the first `wanted` in time order.
    for (int day = 0; static_cast<std::int64_t>(log.sessions.size()) < wanted; ++day) {
      if (day >= 100000) throw std::runtime_error("--sessions: too many days needed");
      days.first_day = day;
      days.days = 1;
      days.first_session_id = static_cast<std::int64_t>(log.sessions.size());
      log.append(sim::simulate_days(simulator, behaviour, days, options, &histories).log);
    }
    log.keep_first_sessions(static_cast<std::size_t>(wanted));
  } else {
    const std::int64_t users = args.integer("users", simulator.num_users());
    if (users < 1 || users > simulator.num_users())
      throw UsageError("--users must be in [1, " + std::to_string(simulator.num_users()) + "]");
    days.users.resize(static_cast<std::size_t>(users));
    for (std::int64_t u = 0; u < users; ++u) days.users[u] = static_cast<int>(u);
    days.days = static_cast<int>(args.integer("days", 1));
    if (days.days < 1) throw UsageError("--days must be >= 1");
    log = sim::simulate_days(simulator, behaviour, days, options, &histories).log;
  }
  log.meta = {{"generator", "mtf simulate"},
              {"policy", behaviour.name()},
              {"seed", seed},
              {"reward_note", "raw feedback only; rewards are computed when transitions are built"},
              {"sim_config", sim::to_json(config)}};
  sim::write_session_log(log, out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("wrote %s: %zu sessions, %lld steps (mean session length %.2f), policy %s, seed %llu, %.2f s\n",
              out.c_str(), log.sessions.size(), static_cast<long long>(log.num_steps()),
              log.sessions.empty() ? 0.0 : static_cast<double>(log.num_steps()) / log.sessions.size(),
              behaviour.name().c_str(), static_cast<unsigned long long>(seed), seconds);
  return 0;
}

}  // namespace mtf::cli
