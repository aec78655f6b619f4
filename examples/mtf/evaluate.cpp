// examples/mtf/evaluate.cpp — `mtf evaluate`: the Conservative-OPEstimator's V-hat of a policy on a log.
#include <cstdio>
#include <iostream>

#include "args.hpp"
#include "commands.hpp"
#include "engine/threads.hpp"
#include "ope/fqe.hpp"
#include "rl/bcq_policy.hpp"
#include "rl/sim/dataset.hpp"
#include "rl/sim/session_log.hpp"

namespace mtf::cli {

namespace {

const char* kUsage = R"(usage: mtf evaluate --logs LOGS.jsonl --policy NAME [options]

Estimates the value of a policy offline with the Conservative-OPEstimator (paper Algorithm 2: fitted Q
evaluation with a CQL penalty) fit on the TEST split of the log (the last sessions in time order), and
averages Q(s0, pi(s0)) over the test sessions' initial states (eq. 9). --alpha-c 0 gives plain FQE.

options:
  --logs PATH            session log (JSON Lines), read strictly
  --policy NAME          bcq (with --checkpoint) | constant (neutral action) | random | noisy
  --checkpoint PATH      BCQ checkpoint written by mtf train (for --policy bcq)
  --config PATH          estimator config JSON (keys of ope/fqe_config.hpp; unknown keys are errors);
                         default: the paper's (Q 256-256, m 512, K 5000, lr 1e-4, gamma 0.95, alpha_c 5e-4)
  --alpha-c X            override the CQL penalty (0 = plain FQE)
  --steps K              override the number of gradient steps
  --reward NAME          default | Rtime | Rintegrity | Rinteraction   (default: default)
  --train-fraction F     the first F of the sessions are training data, the rest is evaluated (default 0.9)
  --seed S               estimator seed (default: the config's)
  --threads T            engine threads
  --json                 print the result as one JSON object
  --quiet                no progress lines
  --help                 this text
)";

double parse_number(const std::string& name, const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (!end || *end) throw UsageError(name + " expects a number, got \"" + s + "\"");
  return v;
}

}  // namespace

int evaluate_command(int argc, char** argv) {
  const Args args(argc, argv,
                  {"logs", "policy", "checkpoint", "config", "alpha-c", "steps", "reward", "train-fraction", "seed",
                   "threads"},
                  {"help", "json", "quiet"});
  if (args.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positional().empty()) throw UsageError("unexpected argument \"" + args.positional()[0] + "\"");
  if (args.has("threads")) set_num_threads(int(args.integer("threads", 1)));
  const std::string logs_path = args.required("logs"), policy_name = args.required("policy");
  FqeConfig config = args.has("config") ? FqeConfig::load(args.str("config", "")) : FqeConfig{};
  if (args.has("alpha-c")) config.alpha = parse_number("--alpha-c", args.str("alpha-c", ""));
  if (config.alpha < 0) throw UsageError("--alpha-c must be >= 0");
  if (args.has("steps")) config.steps = args.integer("steps", config.steps);
  if (args.has("seed")) config.seed = std::uint64_t(args.integer("seed", 0));
  const double fraction = parse_number("--train-fraction", args.str("train-fraction", "0.9"));
  if (!(fraction >= 0 && fraction < 1)) throw UsageError("--train-fraction must be in [0, 1)");

  const sim::SessionLog log = sim::read_session_log(logs_path);
  const sim::DatasetSplit split = sim::split_by_time(log, sim::reward_preset(args.str("reward", "default")), fraction);
  if (split.test.size() == 0) throw std::runtime_error(logs_path + ": the test split has no transitions");

  std::unique_ptr<Bcq> learner;
  std::unique_ptr<sim::Policy> policy;
  if (policy_name == "bcq") {
    learner = Bcq::from_checkpoint(args.required("checkpoint"));
    if (learner->config().state_dim != log.state_dim)
      throw std::runtime_error(args.required("checkpoint") + ": state_dim " + std::to_string(learner->config().state_dim) +
                               " but " + logs_path + " has " + std::to_string(log.state_dim));
    policy = std::make_unique<BcqPolicy>(*learner);
  } else if (policy_name == "constant") {
    policy = std::make_unique<sim::ConstantPolicy>(sim::Action{}, "constant (neutral)");
  } else if (policy_name == "random") {
    policy = std::make_unique<sim::RandomPolicy>();
  } else if (policy_name == "noisy") {
    policy = std::make_unique<sim::NoisyPolicy>(std::make_shared<sim::ConstantPolicy>(sim::Action{}, "neutral"));
  } else {
    throw UsageError("unknown policy \"" + policy_name + "\" (bcq, constant, random or noisy)");
  }

  const MatrixR<float> initial =
      split.test_initial_states.topRows(std::min<Index>(config.initial_states, split.test_initial_states.rows()));
  ConservativeFqe fqe(config, log.state_dim, sim::kActionDim);
  fqe.fit(split.test, *policy, args.has("quiet") || args.has("json") ? nullptr : &std::cerr);
  const FqeEstimate e = fqe.estimate(initial, *policy);
  if (args.has("json")) {
    const nlohmann::json j = {{"logs", logs_path}, {"policy", policy->name()}, {"value", e.value},
                              {"std_error_over_initial_states", e.std_error}, {"initial_states", initial.rows()},
                              {"test_transitions", split.test.size()}, {"estimator", config.to_json()},
                              {"final_td_loss", e.last.td_loss}, {"seconds", e.seconds}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("V-hat(%s) = %.5f  (± %.5f s.e. over %lld initial states)\n", policy->name().c_str(), e.value,
                e.std_error, (long long)initial.rows());
    std::printf("estimator: %s on %lld test transitions (last %.0f %% of sessions), alpha_c %g, K %lld, m %d, "
                "lr %g, gamma %g, target every %d steps; final TD loss %.5f; %.1f s\n",
                config.alpha > 0 ? "Conservative-OPEstimator" : "plain FQE", (long long)split.test.size(),
                100 * (1 - fraction), config.alpha, config.steps, config.batch_size, config.lr, config.gamma,
                config.target_period, e.last.td_loss, e.seconds);
  }
  return 0;
}

}  // namespace mtf::cli
