// examples/ope_harness.cpp — how right is the Conservative-OPEstimator? (issue 5's truth harness)
//
// On logs from the mixed-exploration behaviour, eight policies whose true values differ are estimated
// offline by the Conservative-OPEstimator (alpha_c = 5e-4) and by plain FQE (alpha_c = 0), both fit on
// the TEST split (last 10 % of sessions in time order) and evaluated on its initial states; the same
// initial states are then rolled out in the simulator for the truth. For each estimator: normalized
// absolute error, Spearman rank correlation and regret@1 (Deep OPE definitions), with 95 % bootstrap
// intervals over initial states. Writes <out>/ope_harness.json and <out>/ope_harness.md.
//
// Everything printed and written is measured in this run; the command line is recorded in the output.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "engine/atomic_file.hpp"
#include "engine/threads.hpp"
#include "ope/fqe.hpp"
#include "ope/ranking.hpp"
#include "examples/cli/options.hpp"
#include "rl/bcq.hpp"
#include "rl/trainer.hpp"
#include "rl/sim/alpha_search.hpp"
#include "rl/data/dataset.hpp"
#include "rl/sim/rollout.hpp"

using namespace mtf;

namespace {

struct Options {
  int users = 2000, days = 4, initial_states = 2000, repetitions = 2, bootstrap = 1000;
  long long fqe_steps = 5000, bcq_early = 300, bcq_late = 4000;
  int bcq_hidden = 256, alpha_candidates = 48;
  std::uint64_t seed = 1;
  std::string out = "ope_out";
};

}  // namespace

int main(int argc, char** argv) try {
  Options o;
  std::string command = "ope_harness";
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  CLI::App app("Compares the Conservative-OPEstimator and plain FQE with the simulator's true values of eight\n"
               "policies; writes DIR/ope_harness.json and DIR/ope_harness.md.",
               "ope_harness");
  app.add_option("--out", o.out, "output folder")->default_str("ope_out");
  cli::add_integer(app, "--users", o.users, 10, 1 << 24, "simulated users");
  cli::add_integer(app, "--days", o.days, 1, 100000, "days of logs");
  cli::add_integer(app, "--initial-states", o.initial_states, 10, 1 << 24, "test initial states estimated and rolled out");
  cli::add_integer(app, "--repetitions", o.repetitions, 1, 1 << 16, "rollouts per initial state for the truth");
  cli::add_integer(app, "--fqe-steps", o.fqe_steps, 1LL, 1LL << 40, "estimator gradient steps");
  cli::add_integer(app, "--bcq-early", o.bcq_early, 1LL, 1LL << 40, "iterations of the early BCQ policy");
  cli::add_integer(app, "--bcq-late", o.bcq_late, 1LL, 1LL << 40, "iterations of the late BCQ policy");
  cli::add_integer(app, "--bcq-hidden", o.bcq_hidden, 1, 1 << 16, "BCQ's hidden widths");
  cli::add_integer(app, "--alpha-candidates", o.alpha_candidates, 2, 1 << 20, "global actions searched");
  cli::add_integer(app, "--bootstrap", o.bootstrap, 10, 1 << 24, "bootstrap resamples");
  cli::add_seed(app, "--seed", o.seed, "seed of the whole run");
  cli::add_threads(app);
  if (const int status = cli::parse(app, argc, argv); status >= 0) return status;
  if (o.bcq_late <= o.bcq_early) throw std::invalid_argument("--bcq-late must exceed --bcq-early");
  std::filesystem::create_directories(o.out);

  sim::SimConfig sim_config;
  sim_config.num_users = o.users;
  const sim::Simulator simulator(sim_config);
  sim::RolloutOptions rollout;
  const int S = simulator.state_dim(), A = kActionDim;

  // Logs from the mixed-exploration behaviour; split in time order.
  auto neutral = std::make_shared<ConstantPolicy>(Action{}, "neutral");
  auto noisy = std::make_shared<NoisyPolicy>(neutral, 0.1);
  auto random = std::make_shared<RandomPolicy>(0.5);
  sim::DaysOptions days;
  days.days = o.days;
  days.seed = mix_seed(o.seed, "simulated days");
  sim::RolloutOptions logging = rollout;
  logging.record = true;
  logging.policy_seed = mix_seed(o.seed, "logging policy");
  const sim::RolloutResult logged = sim::simulate_days(simulator, MixedPolicy({random, noisy}), days, logging);
  const DatasetSplit split = split_by_time(logged.log, rollout.reward, 0.9);
  const int n0 = std::min<int>(o.initial_states, int(split.test_initial_states.rows()));
  std::printf("logs: %zu sessions; train %zu sessions (%lld transitions), test %zu sessions (%lld transitions); "
              "%d test initial states used\n",
              logged.log.sessions.size(), split.train_sessions, (long long)split.train.rows(), split.test_sessions,
              (long long)split.test.rows(), n0);
  const MatrixR<float> initial = split.test_initial_states.topRows(n0);
  std::vector<sim::SessionStart> starts;
  for (int j = 0; j < n0; ++j)
    starts.push_back(simulator.start_from_state(split.test_initial_users[std::size_t(j)],
                                                split.test_initial_days[std::size_t(j)], initial.row(j).data()));

  // BCQ at two stages of training (on the train split).
  BcqConfig bcq_config;
  bcq_config.state_dim = S;
  bcq_config.action_dim = A;
  bcq_config.vae_hidden = {o.bcq_hidden, o.bcq_hidden};
  bcq_config.actor_hidden = {o.bcq_hidden, o.bcq_hidden};
  bcq_config.critic_hidden = {o.bcq_hidden, o.bcq_hidden};
  bcq_config.seed = mix_seed(o.seed, "learner");
  ReplayBuffer buffer(S, DataSettings{}.replay_capacity);
  buffer.add_all(split.train);
  Bcq bcq(bcq_config);
  TrainOptions train;
  train.iterations = o.bcq_early;
  train.log_every = 1000;
  mtf::train(bcq, buffer, train);
  const std::shared_ptr<Policy> early_policy =
      bcq.snapshot("BCQ after " + std::to_string(o.bcq_early) + " iterations");
  train.iterations = o.bcq_late - o.bcq_early;
  train.progress = &std::cout;
  mtf::train(bcq, buffer, train);
  const std::shared_ptr<Policy> late_policy = bcq.snapshot("BCQ after " + std::to_string(o.bcq_late) + " iterations");

  // Global alphas from a search on separate starts: best for the return, best for the instant reward.
  const auto search_starts = sim::random_starts(simulator, 600, mix_seed(o.seed, "alpha search starts"));
  const auto candidates = sim::random_action_candidates(o.alpha_candidates, mix_seed(o.seed, "alpha candidates"));
  const auto search = sim::evaluate_action_candidates(simulator, candidates, search_starts, mix_seed(o.seed, "alpha search rollouts"), rollout);

  Action extreme;
  extreme.fill(1.0f);  // a corner of the action box: every alpha at its upper bound, far from the logs
  StepMixturePolicy behaviour({random, noisy}, "behaviour (per-step mixture)");
  ConstantPolicy best_global(candidates[std::size_t(search.best_value)], "best global alpha");
  ConstantPolicy instant(candidates[std::size_t(search.best_instant)], "instant-reward-greedy alpha");
  ConstantPolicy ood(extreme, "extreme out-of-distribution (a = +1)");
  std::vector<Policy*> policies = {&behaviour, random.get(), noisy.get(), &best_global, &instant,
                                        early_policy.get(), late_policy.get(), &ood};
  const std::vector<std::string> names = {"behaviour (per-step mixture)", "random exploration",
                                          "action noise around neutral", "best global alpha",
                                          "instant-reward-greedy alpha", early_policy->name(), late_policy->name(),
                                          "extreme OOD (a = +1)"};

  std::vector<Eigen::ArrayXd> truth, conservative, plain;
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t p = 0; p < policies.size(); ++p) {
    const sim::ValueEstimate v = sim::true_value(simulator, *policies[p], starts, mix_seed(o.seed, "evaluation rollouts"), rollout, o.repetitions);
    Eigen::ArrayXd per_start = Eigen::ArrayXd::Zero(n0);
    for (int j = 0; j < n0; ++j)
      for (int r = 0; r < o.repetitions; ++r) per_start(j) += v.per_rollout[std::size_t(j * o.repetitions + r)];
    truth.push_back(per_start / double(o.repetitions));
    for (double alpha : {5e-4, 0.0}) {
      FqeConfig fqe_config;
      fqe_config.steps = o.fqe_steps;
      fqe_config.alpha = alpha;
      fqe_config.seed = mix_seed(o.seed, "estimator");  // the same for every policy and both estimators
      ConservativeFqe fqe(fqe_config, S, A);
      fqe.fit(split.test, *policies[p]);
      (alpha > 0 ? conservative : plain).push_back(fqe.estimate_per_state(initial, *policies[p]));
    }
    rows.push_back({{"policy", names[p]}, {"true_value", truth.back().mean()}, {"true_std_error", v.std_error},
                    {"conservative_estimate", conservative.back().mean()}, {"plain_fqe_estimate", plain.back().mean()}});
    std::printf("%-40s true %8.4f   conservative %8.4f   plain FQE %8.4f\n", names[p].c_str(), truth.back().mean(),
                conservative.back().mean(), plain.back().mean());
    std::fflush(stdout);
  }
  const RankingBootstrap cons = bootstrap_ranking(conservative, truth, o.bootstrap, mix_seed(o.seed, "bootstrap"));
  const RankingBootstrap pl = bootstrap_ranking(plain, truth, o.bootstrap, mix_seed(o.seed, "bootstrap"));
  auto metrics_json = [](const RankingBootstrap& b) {
    return nlohmann::json{{"normalized_abs_error", {b.point.normalized_abs_error, b.normalized_abs_error.lo, b.normalized_abs_error.hi}},
                          {"spearman", {b.point.spearman, b.spearman.lo, b.spearman.hi}},
                          {"regret_at_1", {b.point.regret_at_1, b.regret_at_1.lo, b.regret_at_1.hi}}};
  };
  const nlohmann::json report = {
      {"command", command},
      {"settings", {{"users", o.users}, {"days", o.days}, {"initial_states", n0}, {"repetitions", o.repetitions},
                    {"fqe", FqeConfig{}.to_json()}, {"fqe_steps", o.fqe_steps}, {"bcq_early", o.bcq_early},
                    {"bcq_late", o.bcq_late}, {"bcq_hidden", o.bcq_hidden}, {"bootstrap", o.bootstrap}, {"seed", o.seed}}},
      {"policies", rows},
      {"conservative", metrics_json(cons)},
      {"plain_fqe", metrics_json(pl)},
      {"note", "metric arrays are [point, 2.5 %, 97.5 %]; intervals: percentile bootstrap over initial states"}};
  write_file_atomically(o.out + "/ope_harness.json", report.dump(2) + "\n");

  std::string md = "| policy | true value | Conservative-OPEstimator | plain FQE |\n|---|---|---|---|\n";
  char line[512];
  for (const auto& r : rows) {
    std::snprintf(line, sizeof line, "| %s | %.4f ± %.4f | %.4f | %.4f |\n", r["policy"].get<std::string>().c_str(),
                  r["true_value"].get<double>(), 1.96 * r["true_std_error"].get<double>(),
                  r["conservative_estimate"].get<double>(), r["plain_fqe_estimate"].get<double>());
    md += line;
  }
  md += "\n| estimator | normalized abs. error | Spearman | regret@1 |\n|---|---|---|---|\n";
  for (auto [name, b] : {std::pair<const char*, const RankingBootstrap*>{"Conservative-OPEstimator (alpha_c 5e-4)", &cons},
                         {"plain FQE (alpha_c 0)", &pl}}) {
    std::snprintf(line, sizeof line, "| %s | %.3f [%.3f, %.3f] | %.3f [%.3f, %.3f] | %.3f [%.3f, %.3f] |\n", name,
                  b->point.normalized_abs_error, b->normalized_abs_error.lo, b->normalized_abs_error.hi,
                  b->point.spearman, b->spearman.lo, b->spearman.hi, b->point.regret_at_1, b->regret_at_1.lo,
                  b->regret_at_1.hi);
    md += line;
  }
  md += "\nGenerated by `" + command + "`; 95 % percentile bootstrap intervals over initial states (" +
        std::to_string(o.bootstrap) + " resamples).\n";
  write_file_atomically(o.out + "/ope_harness.md", md);
  std::printf("\n%s\nwrote %s/ope_harness.json and %s/ope_harness.md\n", md.c_str(), o.out.c_str(), o.out.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "ope_harness: error: %s\n", e.what());
  return 1;
}
