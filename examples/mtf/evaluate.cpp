// examples/mtf/evaluate.cpp — `mtf evaluate`: the Conservative-OPEstimator's V-hat of a policy on a log.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "engine/distributed.hpp"
#include "engine/json_config.hpp"
#include "engine/rng.hpp"
#include "examples/cli/options.hpp"
#include "ope/estimator.hpp"
#include "rl/data/dataset.hpp"
#include "rl/data/session_log.hpp"
#include "rl/registry.hpp"
#include "rl/sim/rollout.hpp"

namespace mtf::cli {

namespace {

const char* kDescription = R"(Estimates the value of a policy offline, fit on the TEST split of the log (the last sessions in time
order), averaged over the test sessions' initial states (eq. 9). Estimators (--estimator):
  cope         the paper's Conservative-OPEstimator (Algorithm 2: FQE with the linear CQL penalty, alpha_c 5e-4)
  fqe          plain fitted Q evaluation (alpha_c 0)
  cql_h        FQE with the CQL(H) penalty (log-mean-exp over the policy's and uniform actions)
  bounded_fqe  plain FQE with targets and estimates clamped to the feasible return range
  model_based  a learned dynamics, reward and continuation model, rolled out from the initial states
--config gives the estimator's settings (keys of ope/fqe_config.hpp, or of ope/model_based.hpp for
model_based) on top of its preset.

Policies: ckpt:PATH (the policy of any learner's checkpoint written by mtf train), constant (the
neutral action), random (random exploration), noisy (action noise around the neutral action).

--truth adds the policy's TRUE value: simulator rollouts from the same test initial states (the
simulator of the log's header, or --sim-config), discounted with the estimator's gamma. --estimator none
gives the truth alone.

Under mpirun -np N (an MPI build): the truth's rollouts are cut into --truth-blocks blocks (each batched
apart with its own policy stream) and the processes run whole blocks; an FQE ensemble of K >= N members
fits its members on the processes, else each fit's gradient shards spread over them. Either way the
output is the bits of one process with the same --truth-blocks and settings.)";

}  // namespace

std::shared_ptr<Policy> policy_by_name(const std::string& name, int state_dim, const std::string& logs_path) {
  if (name.rfind("ckpt:", 0) == 0) {
    const std::string path = name.substr(5);
    const std::unique_ptr<Learner> learner = load_learner_for(path, state_dim, kActionDim, logs_path);
    return learner->snapshot(learner->algorithm());
  }
  if (name == "constant") return std::make_shared<ConstantPolicy>(Action{}, "constant (neutral)");
  if (name == "random") return std::make_shared<RandomPolicy>();
  if (name == "noisy") return std::make_shared<NoisyPolicy>(std::make_shared<ConstantPolicy>(Action{}, "neutral"));
  throw UsageError("--policy: unknown policy \"" + name + "\" (ckpt:PATH, constant, random or noisy)");
}

sim::SimConfig simulator_config_for(const std::string& logs_path, const std::string& config_path) {
  if (!config_path.empty()) return sim::sim_config_from_json(load_json_file(config_path), config_path);
  const SessionLogReader reader(logs_path);
  const nlohmann::json& meta = reader.meta();
  if (!meta.is_object() || !meta.contains("sim_config"))
    throw UsageError(logs_path + ": the header's meta has no field \"sim_config\" (a log not written by mtf simulate): "
                     "give the simulator's config with --sim-config");
  return sim::sim_config_from_json(meta.at("sim_config"), logs_path + ": meta.sim_config");
}

int evaluate_command(int argc, char** argv) {
  CLI::App app(kDescription, "mtf evaluate");
  std::string logs_path, policy_name, config_path, reward = "default", estimator_name = "cope";
  double alpha_c = -1, fraction = 0.9;
  long long steps = -1;
  int initial_states = 5000;
  std::uint64_t seed = 0;
  bool json = false, quiet = false, truth = false;
  std::string sim_config_path;
  int truth_rollouts = 1, truth_blocks = 12;
  std::uint64_t truth_seed = 1;
  app.add_option("--logs", logs_path, "session log (JSON Lines), read strictly")->required();
  app.add_option("--policy", policy_name, "ckpt:PATH | constant | random | noisy")->required();
  app.add_option("--estimator", estimator_name, "cope | fqe | cql_h | bounded_fqe | model_based | none (with --truth)")
      ->default_str("cope");
  app.add_option("--config", config_path, "estimator settings (JSON, keys of ope/fqe_config.hpp or ope/model_based.hpp; "
                                          "unknown keys are errors); default: the preset (cope: the paper's Q 256-256, "
                                          "m 512, K 5000, lr 1e-4, gamma 0.95, alpha_c 5e-4)");
  add_real(app, "--alpha-c", alpha_c, 0.0, 1e6, "override the CQL penalty of the FQE estimators (0 = plain FQE)")
      ->default_str("config");
  add_integer(app, "--initial-states", initial_states, 1, 1 << 30, "test initial states averaged (at most)")
      ->default_str("5000");
  add_integer(app, "--steps", steps, 0LL, 1LL << 40, "override the number of gradient steps")->default_str("config");
  app.add_option("--reward", reward, "default | Rtime | Rintegrity | Rinteraction")->default_str("default");
  add_train_fraction(app, fraction);
  CLI::Option* seed_option = add_seed(app, "--seed", seed, "estimator seed");
  seed_option->default_str("config");
  app.add_flag("--truth", truth, "also the policy's true value: simulator rollouts from the test initial states");
  app.add_option("--sim-config", sim_config_path, "the simulator (JSON, SimConfig's keys) for --truth")
      ->default_str("the log header's meta.sim_config");
  add_integer(app, "--truth-rollouts", truth_rollouts, 1, 1 << 20, "rollouts per initial state")->default_str("1");
  add_integer(app, "--truth-blocks", truth_blocks, 1, 1 << 20,
              "blocks of rollouts, each with its own policy stream; the bits depend on it, not on the processes")
      ->default_str("12");
  add_seed(app, "--truth-seed", truth_seed, "seed of the truth's rollouts and policy streams")->default_str("1");
  add_threads(app);
  app.add_flag("--json", json, "print the result as one JSON object");
  app.add_flag("--quiet", quiet, "no progress lines");
  if (const int status = parse(app, argc, argv); status >= 0) return status;

  nlohmann::json settings = config_path.empty() ? nlohmann::json::object() : load_json_file(config_path);
  if (!settings.is_object()) throw ConfigError(config_path + ": expected a JSON object of estimator settings");
  if (alpha_c >= 0) {
    if (estimator_name == "model_based") throw UsageError("--alpha-c: the model_based estimator has no penalty");
    settings["alpha"] = alpha_c;
  }
  if (steps >= 0) settings["steps"] = steps;
  if (seed_option->count() > 0) settings["seed"] = seed;
  const bool estimate = estimator_name != "none";
  if (!estimate && !truth) throw UsageError("--estimator none: only with --truth (there is nothing else to compute)");
  if (estimate && std::find(estimator_names().begin(), estimator_names().end(), estimator_name) == estimator_names().end())
    throw UsageError("--estimator: unknown estimator \"" + estimator_name + "\" (cope, fqe, cql_h, bounded_fqe, model_based or none)");

  // The log in blocks of whole sessions: only its test split (what the estimator fits on) is kept.
  const int state_dim = SessionLogReader(logs_path).state_dim();
  const DatasetSplit split = split_file_by_time(logs_path, reward_preset(reward), fraction, [](const TransitionBatch&) {});
  if (split.test.rows() == 0) throw std::runtime_error(logs_path + ": the test split has no transitions");
  const std::shared_ptr<Policy> policy = policy_by_name(policy_name, state_dim, logs_path);

  const MatrixR<float> initial =
      split.test_initial_states.topRows(std::min<Index>(initial_states, split.test_initial_states.rows()));
  const std::unique_ptr<OffPolicyEstimator> estimator =
      estimate ? make_estimator(estimator_name, settings, state_dim, kActionDim, config_path.empty() ? "--estimator" : config_path)
               : nullptr;
  const auto start = std::chrono::steady_clock::now();
  // Under mpirun every rank fits the same estimator (each step's shards, or an ensemble's members, spread over
  // the ranks); rank 0 alone reports progress (and, main.cpp, standard output).
  const bool speaks = ProcessGroup::world().rank() == 0;
  nlohmann::json j = {{"logs", logs_path}, {"policy", policy->name()}};
  double value = 0, std_error = 0;
  if (estimator) {
    estimator->fit(split.test, *policy, quiet || json || !speaks ? nullptr : &std::cerr);
    const Eigen::ArrayXd per_state = estimator->estimate_per_state(initial, *policy);
    const double n = double(per_state.size());
    value = per_state.mean();
    std_error = n > 1 ? std::sqrt((per_state - value).square().sum() / (n - 1) / n) : 0.0;
    j.update({{"value", value}, {"std_error_over_initial_states", std_error}, {"initial_states", initial.rows()},
              {"test_transitions", split.test.rows()}, {"estimator", estimator_name},
              {"settings", estimator->settings()}});
  }
  const double estimate_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sim::ValueEstimate true_v;
  double truth_seconds = 0, gamma = 0.95;
  if (truth) {
    // The truth: rollouts from the estimate's initial states (their users, days and histories), discounted
    // as the estimator discounts; spread over the processes by whole blocks (rl/sim/rollout.hpp).
    const auto truth_start = std::chrono::steady_clock::now();
    if (estimator && estimator->settings().contains("gamma")) gamma = estimator->settings().at("gamma").get<double>();
    const sim::Simulator simulator(simulator_config_for(logs_path, sim_config_path));
    if (simulator.state_dim() != state_dim)
      throw std::runtime_error("--truth: the simulator's states have " + std::to_string(simulator.state_dim()) +
                               " entries, the log's " + std::to_string(state_dim));
    std::vector<sim::SessionStart> starts;
    for (Index i = 0; i < initial.rows(); ++i) {
      const int user = split.test_initial_users[std::size_t(i)];
      if (user < 0 || user >= simulator.num_users())
        throw std::runtime_error(logs_path + ": test session " + std::to_string(i) + ": user " + std::to_string(user) +
                                 " is not in the simulator's population of " + std::to_string(simulator.num_users()));
      starts.push_back(simulator.start_from_state(user, split.test_initial_days[std::size_t(i)], initial.row(i).data()));
    }
    sim::RolloutOptions options;
    options.reward = reward_preset(reward);
    options.gamma = gamma;
    options.policy_seed = mix_seed(truth_seed, "truth policy");
    options.blocks = truth_blocks;
    true_v = sim::true_value(simulator, *policy, starts, mix_seed(truth_seed, "truth rollouts"), options, truth_rollouts,
                             ProcessGroup::world());
    truth_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - truth_start).count();
    j["truth"] = {{"value", true_v.mean}, {"std_error", true_v.std_error}, {"mean_first_reward", true_v.mean_first_reward},
                  {"mean_length", true_v.mean_length}, {"initial_states", initial.rows()},
                  {"rollouts_per_state", truth_rollouts}, {"blocks", truth_blocks}, {"seed", truth_seed},
                  {"gamma", gamma}, {"seconds", truth_seconds}};
  }
  if (json) {
    j["seconds"] = estimate_seconds + truth_seconds;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    if (estimator) {
      std::printf("V-hat(%s) = %.5f  (± %.5f s.e. over %lld initial states)\n", policy->name().c_str(), value,
                  std_error, (long long)initial.rows());
      std::printf("estimator: %s %s on %lld test transitions (last %.0f %% of sessions); %.1f s\n",
                  estimator_name.c_str(), estimator->settings().dump().c_str(), (long long)split.test.rows(),
                  100 * (1 - fraction), estimate_seconds);
    }
    if (truth)
      std::printf("V(%s) = %.5f  (truth: ± %.5f s.e., %lld initial states x %d rollouts, gamma %g, %d blocks); %.1f s\n",
                  policy->name().c_str(), true_v.mean, true_v.std_error, (long long)initial.rows(), truth_rollouts, gamma,
                  truth_blocks, truth_seconds);
  }
  return 0;
}

}  // namespace mtf::cli
