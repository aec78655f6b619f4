// examples/batchrl_mtf.cpp — the main example: BatchRL-MTF end to end on synthetic short-video sessions.
//
//   1. simulate days of logs from a behaviour policy (mixed multi-exploration: sessions alternate between
//      random exploration and action noise around a global α, paper section 3.3);
//   2. build transitions with the default reward (eq. 2), split sessions 90/10 in time order, and fill the
//      FIFO replay buffer with the training split;
//   3. train BCQ (Algorithm 1);
//   4. measure the TRUE value (simulator rollouts, common random numbers) of the learned policy, of the
//      behaviour policy, and of the best single global α found by a search over α — and print them.
//
// Everything printed is measured in this run. `batchrl_mtf --help` lists the knobs.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "engine/threads.hpp"
#include "examples/cli/options.hpp"
#include "rl/bcq.hpp"
#include "rl/trainer.hpp"
#include "rl/sim/alpha_search.hpp"
#include "rl/data/dataset.hpp"
#include "rl/sim/rollout.hpp"

using namespace mtf;

namespace {

struct Options {
  int users = 2000, days = 3;
  long long iterations = 4000;
  int hidden = 256;  // VAE / actor / critic widths (the reference sizes are 750 / 400,300 / 400,300)
  int eval_starts = 3000, alpha_candidates = 48;
  std::uint64_t seed = 1;
  std::string config_path, metrics_path;
};

void print_value(const char* name, const sim::ValueEstimate& v, const sim::ValueEstimate& behaviour) {
  std::printf("  %-34s %9.4f ± %.4f   %+7.2f %%   length %5.2f\n", name, v.mean, 1.96 * v.std_error,
              100.0 * (v.mean - behaviour.mean) / std::abs(behaviour.mean), v.mean_length);
}

}  // namespace

int main(int argc, char** argv) try {
  Options o;
  CLI::App app("Simulates logs from a mixed-exploration behaviour policy, trains BatchRL-MTF (BCQ) on them and\n"
               "prints the true (simulated) discounted session value of the learned policy, the behaviour\n"
               "policy and the best global fusion weights.",
               "batchrl_mtf");
  cli::add_integer(app, "--users", o.users, 1, 1 << 24, "simulated users");
  cli::add_integer(app, "--days", o.days, 1, 100000, "days of logs");
  cli::add_integer(app, "--iterations", o.iterations, 0LL, 1LL << 40, "BCQ iterations");
  cli::add_integer(app, "--hidden", o.hidden, 1, 1 << 16, "width of every hidden layer unless --config is given");
  app.add_option("--config", o.config_path, "BCQ config JSON (keys of rl/bcq.hpp's BcqConfig; unknown keys are errors)");
  app.add_option("--metrics", o.metrics_path, "write training metrics as JSON Lines");
  cli::add_integer(app, "--eval-starts", o.eval_starts, 1, 1 << 24, "session starts for the true values");
  cli::add_integer(app, "--alpha-candidates", o.alpha_candidates, 1, 1 << 20,
                   "global actions searched for the best global alpha");
  cli::add_seed(app, "--seed", o.seed, "seed of the whole run");
  cli::add_threads(app);
  if (const int status = cli::parse(app, argc, argv); status >= 0) return status;

  sim::SimConfig sim_config;
  sim_config.num_users = o.users;
  const sim::Simulator simulator(sim_config);
  sim::RolloutOptions rollout;  // default reward, gamma 0.95

  // 1. Logs from the behaviour policy: mixed multi-exploration around the neutral global alpha.
  auto neutral = std::make_shared<ConstantPolicy>(Action{}, "neutral");
  auto noisy = std::make_shared<NoisyPolicy>(neutral, 0.1);
  auto random = std::make_shared<RandomPolicy>(0.5);
  const MixedPolicy behaviour({random, noisy});
  sim::DaysOptions days;
  days.days = o.days;
  days.seed = mix_seed(o.seed, "simulated days");
  sim::RolloutOptions logging = rollout;
  logging.record = true;
  logging.policy_seed = mix_seed(o.seed, "logging policy");
  std::printf("BatchRL-MTF demo: %d users, %d days, behaviour %s, %d threads\n", o.users, o.days,
              behaviour.name().c_str(), num_threads());
  const sim::RolloutResult logged = sim::simulate_days(simulator, behaviour, days, logging);
  std::printf("logs: %zu sessions, %lld steps\n", logged.log.sessions.size(), (long long)logged.log.num_steps());

  // 2. Transitions, time-ordered split, replay buffer.
  const DatasetSplit split = split_by_time(logged.log, rollout.reward, 0.9);
  BcqConfig config;
  if (!o.config_path.empty()) {
    config = BcqConfig::load(o.config_path);
  } else {
    config.vae_hidden = {o.hidden, o.hidden};
    config.actor_hidden = {o.hidden, o.hidden};
    config.critic_hidden = {o.hidden, o.hidden};
  }
  config.state_dim = simulator.state_dim();
  config.action_dim = kActionDim;
  config.seed = mix_seed(o.seed, "learner");
  ReplayBuffer buffer(simulator.state_dim(), DataSettings{}.replay_capacity);
  buffer.add_all(split.train);
  std::printf("train split: %zu sessions, %lld transitions (replay buffer holds the last %lld)\n",
              split.train_sessions, (long long)split.train.rows(), (long long)buffer.size());

  // 3. BCQ.
  Bcq learner(config);
  TrainOptions train;
  train.iterations = o.iterations;
  train.log_every = std::max<long long>(1, o.iterations / 10);
  train.metrics_path = o.metrics_path;
  train.progress = &std::cout;
  std::printf("training BCQ: VAE %s, actor %s, critic %s, batch %d, n %d, rho %.2f\n",
              nlohmann::json(config.vae_hidden).dump().c_str(), nlohmann::json(config.actor_hidden).dump().c_str(),
              nlohmann::json(config.critic_hidden).dump().c_str(), config.batch_size, config.sampled_actions,
              config.rho);
  const TrainReport report = mtf::train(learner, buffer, train);
  std::printf("trained %lld iterations in %.1f s (%.1f it/s)\n", report.iterations, report.seconds,
              double(report.iterations) / report.seconds);

  // 4. Ground truth from the same starts and seeds for every policy (common random numbers).
  const std::vector<sim::SessionStart> starts = sim::random_starts(simulator, o.eval_starts, mix_seed(o.seed, "evaluation starts"));
  const std::uint64_t eval_seed = mix_seed(o.seed, "evaluation rollouts");
  const std::shared_ptr<Policy> bcq_policy = learner.snapshot("BatchRL-MTF (BCQ)");
  const sim::ValueEstimate v_random = sim::true_value(simulator, *random, starts, eval_seed, rollout);
  const sim::ValueEstimate v_noisy = sim::true_value(simulator, *noisy, starts, eval_seed, rollout);
  // The mixture alternates sessions between its members: its value is their average, and under common
  // random numbers its standard error is that of the paired per-rollout average.
  const sim::ValueEstimate v_behaviour = sim::mixture_value({&v_random, &v_noisy}, {0.5, 0.5});
  const sim::ValueEstimate v_bcq = sim::true_value(simulator, *bcq_policy, starts, eval_seed, rollout);

  // Best global alpha: search on separate starts and seeds, then evaluate the winner like the others.
  const auto search_starts = sim::random_starts(simulator, std::max(500, o.eval_starts / 3), mix_seed(o.seed, "alpha search starts"));
  auto candidates = sim::random_action_candidates(o.alpha_candidates, mix_seed(o.seed, "alpha candidates"));
  auto search = sim::evaluate_action_candidates(simulator, candidates, search_starts, mix_seed(o.seed, "alpha search rollouts"), rollout);
  auto local = sim::local_action_candidates(candidates[std::size_t(search.best_value)], o.alpha_candidates, 0.2, mix_seed(o.seed, "alpha refinement candidates"));
  auto refine = sim::evaluate_action_candidates(simulator, local, search_starts, mix_seed(o.seed, "alpha search rollouts"), rollout);
  ConstantPolicy best_global(local[std::size_t(refine.best_value)], "best global alpha");
  const sim::ValueEstimate v_global = sim::true_value(simulator, best_global, starts, eval_seed, rollout);

  std::printf("\ntrue discounted session value (gamma %.2f) from %d starts, 95%% CI; change vs behaviour:\n",
              rollout.gamma, o.eval_starts);
  print_value("behaviour (mixed exploration)", v_behaviour, v_behaviour);
  print_value("  random exploration member", v_random, v_behaviour);
  print_value("  action-noise member (neutral a)", v_noisy, v_behaviour);
  print_value("best global alpha (searched)", v_global, v_behaviour);
  print_value("BatchRL-MTF (BCQ)", v_bcq, v_behaviour);
  std::printf("BCQ vs best global alpha: %+.2f %%\n", 100.0 * (v_bcq.mean - v_global.mean) / std::abs(v_global.mean));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "batchrl_mtf: error: %s\n", e.what());
  return 1;
}
