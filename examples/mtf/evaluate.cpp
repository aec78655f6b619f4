// examples/mtf/evaluate.cpp — `mtf evaluate`: the Conservative-OPEstimator's V-hat of a policy on a log.
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "examples/cli/options.hpp"
#include "ope/fqe.hpp"
#include "rl/data/dataset.hpp"
#include "rl/data/session_log.hpp"
#include "rl/registry.hpp"

namespace mtf::cli {

namespace {

const char* kDescription = R"(Estimates the value of a policy offline with the Conservative-OPEstimator (paper Algorithm 2: fitted
Q evaluation with a CQL penalty) fit on the TEST split of the log (the last sessions in time order), and
averages Q(s0, pi(s0)) over the test sessions' initial states (eq. 9). --alpha-c 0 gives plain FQE.

Policies: ckpt:PATH (the policy of any learner's checkpoint written by mtf train), constant (the
neutral action), random (random exploration), noisy (action noise around the neutral action).)";

// The policy called `name`, and a learner kept alive for it when it comes from a checkpoint.
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

}  // namespace

int evaluate_command(int argc, char** argv) {
  CLI::App app(kDescription, "mtf evaluate");
  std::string logs_path, policy_name, config_path, reward = "default";
  FqeConfig config;
  double alpha_c = -1, fraction = 0.9;
  long long steps = -1;
  std::uint64_t seed = 0;
  bool json = false, quiet = false;
  app.add_option("--logs", logs_path, "session log (JSON Lines), read strictly")->required();
  app.add_option("--policy", policy_name, "ckpt:PATH | constant | random | noisy")->required();
  app.add_option("--config", config_path, "estimator config (JSON, keys of ope/fqe_config.hpp; unknown keys are errors); "
                                          "default: the paper's (Q 256-256, m 512, K 5000, lr 1e-4, gamma 0.95, alpha_c 5e-4)");
  add_real(app, "--alpha-c", alpha_c, 0.0, 1e6, "override the CQL penalty (0 = plain FQE)")->default_str("config");
  add_integer(app, "--steps", steps, 0LL, 1LL << 40, "override the number of gradient steps")->default_str("config");
  app.add_option("--reward", reward, "default | Rtime | Rintegrity | Rinteraction")->default_str("default");
  add_train_fraction(app, fraction);
  CLI::Option* seed_option = add_seed(app, "--seed", seed, "estimator seed");
  seed_option->default_str("config");
  add_threads(app);
  app.add_flag("--json", json, "print the result as one JSON object");
  app.add_flag("--quiet", quiet, "no progress lines");
  if (const int status = parse(app, argc, argv); status >= 0) return status;

  if (!config_path.empty()) config = FqeConfig::load(config_path);
  if (alpha_c >= 0) config.alpha = alpha_c;
  if (steps >= 0) config.steps = steps;
  if (seed_option->count() > 0) config.seed = seed;

  // The log in blocks of whole sessions: only its test split (what the estimator fits on) is kept.
  const int state_dim = SessionLogReader(logs_path).state_dim();
  const DatasetSplit split = split_file_by_time(logs_path, reward_preset(reward), fraction, [](const TransitionBatch&) {});
  if (split.test.rows() == 0) throw std::runtime_error(logs_path + ": the test split has no transitions");
  const std::shared_ptr<Policy> policy = policy_by_name(policy_name, state_dim, logs_path);

  const MatrixR<float> initial =
      split.test_initial_states.topRows(std::min<Index>(config.initial_states, split.test_initial_states.rows()));
  ConservativeFqe fqe(config, state_dim, kActionDim);
  fqe.fit(split.test, *policy, quiet || json ? nullptr : &std::cerr);
  const FqeEstimate e = fqe.estimate(initial, *policy);
  if (json) {
    const nlohmann::json j = {{"logs", logs_path}, {"policy", policy->name()}, {"value", e.value},
                              {"std_error_over_initial_states", e.std_error}, {"initial_states", initial.rows()},
                              {"test_transitions", split.test.rows()}, {"estimator", config.to_json()},
                              {"final_td_loss", e.last.td_loss}, {"seconds", e.seconds}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("V-hat(%s) = %.5f  (± %.5f s.e. over %lld initial states)\n", policy->name().c_str(), e.value,
                e.std_error, (long long)initial.rows());
    std::printf("estimator: %s on %lld test transitions (last %.0f %% of sessions), alpha_c %g, K %lld, m %d, "
                "lr %g, gamma %g, target every %d steps; final TD loss %.5f; %.1f s\n",
                config.alpha > 0 ? "Conservative-OPEstimator" : "plain FQE", (long long)split.test.rows(),
                100 * (1 - fraction), config.alpha, config.steps, config.batch_size, config.lr, config.gamma,
                config.target_period, e.last.td_loss, e.seconds);
  }
  return 0;
}

}  // namespace mtf::cli
