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
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "engine/threads.hpp"
#include "rl/bcq_policy.hpp"
#include "rl/bcq_trainer.hpp"
#include "rl/sim/alpha_search.hpp"
#include "rl/sim/dataset.hpp"
#include "rl/sim/rollout.hpp"

using namespace mtf;

namespace {

struct Options {
  int users = 2000, days = 3;
  long long iterations = 4000;
  int hidden = 256;  // VAE / actor / critic widths (the reference sizes are 750 / 400,300 / 400,300)
  int eval_starts = 3000, alpha_candidates = 48;
  std::uint64_t seed = 1;
  int threads = 0;
  std::string config_path, metrics_path;
};

void usage() {
  std::printf(
      "usage: batchrl_mtf [options]\n"
      "Simulates logs from a mixed-exploration behaviour policy, trains BatchRL-MTF (BCQ) on them and\n"
      "prints the true (simulated) discounted session value of the learned policy, the behaviour\n"
      "policy and the best global fusion weights.\n\n"
      "  --users N          simulated users (default 2000)\n"
      "  --days D           days of logs (default 3)\n"
      "  --iterations N     BCQ iterations (default 4000)\n"
      "  --hidden H         width of every hidden layer unless --config is given (default 256)\n"
      "  --config FILE      BCQ config JSON (keys of BcqConfig; unknown keys are errors)\n"
      "  --metrics FILE     write training metrics as JSON Lines\n"
      "  --eval-starts N    session starts for the true values (default 3000)\n"
      "  --alpha-candidates N  global actions searched for the best global alpha (default 48)\n"
      "  --seed S           seed of the whole run (default 1)\n"
      "  --threads T        engine threads (default: OMP_NUM_THREADS or all cores)\n");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "batchrl_mtf: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    auto number = [&](long long lo) {
      const std::string v = value();
      char* end = nullptr;
      const long long x = std::strtoll(v.c_str(), &end, 10);
      if (!end || *end || x < lo) {
        std::fprintf(stderr, "batchrl_mtf: %s expects an integer >= %lld, got \"%s\"\n", a.c_str(), lo, v.c_str());
        std::exit(2);
      }
      return x;
    };
    if (a == "--help" || a == "-h") {
      usage();
      std::exit(0);
    } else if (a == "--users") o.users = int(number(1));
    else if (a == "--days") o.days = int(number(1));
    else if (a == "--iterations") o.iterations = number(0);
    else if (a == "--hidden") o.hidden = int(number(1));
    else if (a == "--config") o.config_path = value();
    else if (a == "--metrics") o.metrics_path = value();
    else if (a == "--eval-starts") o.eval_starts = int(number(1));
    else if (a == "--alpha-candidates") o.alpha_candidates = int(number(1));
    else if (a == "--seed") o.seed = std::uint64_t(number(0));
    else if (a == "--threads") o.threads = int(number(1));
    else {
      std::fprintf(stderr, "batchrl_mtf: unknown option %s (try --help)\n", a.c_str());
      std::exit(2);
    }
  }
  return o;
}

void print_value(const char* name, const sim::ValueEstimate& v, const sim::ValueEstimate& behaviour) {
  std::printf("  %-34s %9.4f ± %.4f   %+7.2f %%   length %5.2f\n", name, v.mean, 1.96 * v.std_error,
              100.0 * (v.mean - behaviour.mean) / std::abs(behaviour.mean), v.mean_length);
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse(argc, argv);
  if (o.threads > 0) set_num_threads(o.threads);

  sim::SimConfig sim_config;
  sim_config.num_users = o.users;
  const sim::Simulator simulator(sim_config);
  sim::RolloutOptions rollout;  // default reward, gamma 0.95

  // 1. Logs from the behaviour policy: mixed multi-exploration around the neutral global alpha.
  auto neutral = std::make_shared<sim::ConstantPolicy>(sim::Action{}, "neutral");
  auto noisy = std::make_shared<sim::NoisyPolicy>(neutral, 0.1);
  auto random = std::make_shared<sim::RandomPolicy>(0.5);
  const sim::MixedPolicy behaviour({random, noisy});
  sim::DaysOptions days;
  days.days = o.days;
  days.seed = o.seed;
  sim::RolloutOptions logging = rollout;
  logging.record = true;
  logging.policy_seed = o.seed + 1;
  std::printf("BatchRL-MTF demo: %d users, %d days, behaviour %s, %d threads\n", o.users, o.days,
              behaviour.name().c_str(), num_threads());
  const sim::RolloutResult logged = sim::simulate_days(simulator, behaviour, days, logging);
  std::printf("logs: %zu sessions, %lld steps\n", logged.log.sessions.size(), (long long)logged.log.num_steps());

  // 2. Transitions, time-ordered split, replay buffer.
  const sim::DatasetSplit split = sim::split_by_time(logged.log, rollout.reward, 0.9);
  BcqConfig config;
  if (!o.config_path.empty()) {
    config = BcqConfig::load(o.config_path);
  } else {
    config.vae_hidden = {o.hidden, o.hidden};
    config.actor_hidden = {o.hidden, o.hidden};
    config.critic_hidden = {o.hidden, o.hidden};
  }
  config.state_dim = simulator.state_dim();
  config.action_dim = sim::kActionDim;
  config.seed = o.seed;
  config.log_every = std::max<long long>(1, o.iterations / 10);
  sim::ReplayBuffer buffer(simulator.state_dim(), config.replay_capacity);
  buffer.add_all(split.train);
  std::printf("train split: %zu sessions, %lld transitions (replay buffer holds the last %lld)\n",
              split.train_sessions, (long long)split.train.size(), (long long)buffer.size());

  // 3. BCQ.
  Bcq learner(config);
  TrainOptions train;
  train.iterations = o.iterations;
  train.metrics_path = o.metrics_path;
  train.progress = &std::cout;
  std::printf("training BCQ: VAE %s, actor %s, critic %s, batch %d, n %d, rho %.2f\n",
              nlohmann::json(config.vae_hidden).dump().c_str(), nlohmann::json(config.actor_hidden).dump().c_str(),
              nlohmann::json(config.critic_hidden).dump().c_str(), config.batch_size, config.sampled_actions,
              config.rho);
  const TrainReport report = train_bcq(learner, buffer, train);
  std::printf("trained %lld iterations in %.1f s (%.1f it/s)\n", report.iterations, report.seconds,
              double(report.iterations) / report.seconds);

  // 4. Ground truth from the same starts and seeds for every policy (common random numbers).
  const std::vector<sim::SessionStart> starts = sim::random_starts(simulator, o.eval_starts, o.seed + 100);
  const std::uint64_t eval_seed = o.seed + 200;
  BcqPolicy bcq_policy(learner, "BatchRL-MTF (BCQ)");
  const sim::ValueEstimate v_random = sim::true_value(simulator, *random, starts, eval_seed, rollout);
  const sim::ValueEstimate v_noisy = sim::true_value(simulator, *noisy, starts, eval_seed, rollout);
  sim::ValueEstimate v_behaviour = v_noisy;  // the mixture alternates sessions: its value is the average
  v_behaviour.mean = 0.5 * (v_random.mean + v_noisy.mean);
  v_behaviour.std_error = 0.5 * std::sqrt(v_random.std_error * v_random.std_error + v_noisy.std_error * v_noisy.std_error);
  v_behaviour.mean_length = 0.5 * (v_random.mean_length + v_noisy.mean_length);
  const sim::ValueEstimate v_bcq = sim::true_value(simulator, bcq_policy, starts, eval_seed, rollout);

  // Best global alpha: search on separate starts and seeds, then evaluate the winner like the others.
  const auto search_starts = sim::random_starts(simulator, std::max(500, o.eval_starts / 3), o.seed + 300);
  auto candidates = sim::random_action_candidates(o.alpha_candidates, o.seed + 400);
  auto search = sim::evaluate_action_candidates(simulator, candidates, search_starts, o.seed + 500, rollout);
  auto local = sim::local_action_candidates(candidates[std::size_t(search.best_value)], o.alpha_candidates, 0.2, o.seed + 600);
  auto refine = sim::evaluate_action_candidates(simulator, local, search_starts, o.seed + 500, rollout);
  sim::ConstantPolicy best_global(local[std::size_t(refine.best_value)], "best global alpha");
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
