// examples/mtf/baselines.cpp — `mtf baselines`: the paper's offline comparison (sections 4.4.1, 4.5.1,
// Figures 5 and 6) on the simulator, where the truth is known. Every learner trains on the same
// mixed-exploration logs; the command records what the paper plots (the critics' Q estimates during
// training, four action dimensions of each learned policy beside the logged actions) and what the paper
// could not measure: each policy's TRUE value, from the same starts and seeds for all (common random
// numbers), compared paired with the behaviour's, BCQ's and the best global alpha's.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "commands.hpp"
#include "engine/atomic_file.hpp"
#include "engine/threads.hpp"
#include "examples/cli/options.hpp"
#include "figures.hpp"
#include "plot.hpp"
#include "rl/data/dataset.hpp"
#include "rl/data/replay_buffer.hpp"
#include "rl/registry.hpp"
#include "rl/sim/alpha_search.hpp"
#include "rl/sim/rollout.hpp"
#include "rl/sim/stats.hpp"
#include "rl/trainer.hpp"

namespace mtf::cli {

namespace {

const char* kDescription = R"(Trains every learner of the config on the same simulated mixed-exploration logs (sessions alternate
between random exploration and action noise around the neutral alpha, as the main example's) and writes
into --out:
  metrics_<learner>.jsonl   the trainer's metrics (q1_mean, q1_std: the critic's Q on the minibatch)
  fig5_q.tsv / .gp / .png   Figure 5: mean and spread of each learner's estimated Q during training
  fig6_actions.tsv / .gp / .png  Figure 6: four action dimensions (play time, finish rate, positive rate,
                            exit rate) of each learned policy on the test split's states beside the logged ones
  <learner>.ckpt            each learner (mtf evaluate --policy ckpt:PATH reads it)
  values.json, summary.md   each policy's TRUE value (simulator rollouts, common random numbers) beside the
                            behaviour's, BCQ's and the best global alpha's, with paired 95 % intervals

The config file is one JSON object: users, days, random_sigma, noise_sigma, reward, train_fraction,
iterations, log_every, eval_starts, alpha_candidates, action_states, seed, "learners" (an object: learner
name -> its hyper-parameters; state_dim, action_dim and seed are filled in) and "simulator" (rl/sim/config.hpp's
SimConfig keys). Unknown keys are errors. PNGs need gnuplot (scripts/setup.sh installs gnuplot-nox).)";

struct BaselinesConfig : JsonConfig<BaselinesConfig> {
  int users = 2000;  // logs: as the main example (examples/batchrl_mtf.cpp)
  int days = 3;
  double random_sigma = 0.5;  // behaviour: random exploration N(0, sigma^2) clipped ...
  double noise_sigma = 0.1;   // ... and action noise around the neutral alpha, session by session
  std::string reward = "default";
  double train_fraction = 0.9;
  long long iterations = 20000;
  long long log_every = 500;
  int eval_starts = 3000;
  int alpha_candidates = 48;
  int action_states = 5000;  // test-split states on which Figure 6 asks each policy for its action
  nlohmann::json learners = {{"bcq", nlohmann::json::object()}, {"td3", nlohmann::json::object()},
                             {"uwac_td3", nlohmann::json::object()}, {"cql_sac", nlohmann::json::object()}};
  std::uint64_t seed = 1;

  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) {
    v("users", c.users, 1, 1 << 24);
    v("days", c.days, 1, 100000);
    v("random_sigma", c.random_sigma, 0.0, 10.0);
    v("noise_sigma", c.noise_sigma, 0.0, 10.0);
    v("reward", c.reward);
    v("train_fraction", c.train_fraction, 0.0, 1.0);
    v("iterations", c.iterations, 0LL, 1LL << 40);
    v("log_every", c.log_every, 1LL, 1LL << 40);
    v("eval_starts", c.eval_starts, 2, 1 << 24);
    v("alpha_candidates", c.alpha_candidates, 1, 1 << 20);
    v("action_states", c.action_states, 1, 1 << 24);
    v("learners", c.learners);
    v("seed", c.seed);
  }
  void check(const ConfigReader& r) const {
    if (!(train_fraction > 0 && train_fraction < 1)) r.fail("train_fraction", "must be in (0, 1)");
    reward_preset(reward);  // throws naming the known presets
    if (learners.empty()) r.fail("learners", "names no learner");
    for (const auto& [name, hyper] : learners.items()) {
      if (!hyper.is_object()) r.fail("learners", "\"" + name + "\": expected an object of hyper-parameters");
      try {
        find_learner(name);
      } catch (const std::invalid_argument& e) {
        r.fail("learners", e.what());
      }
    }
  }
};

nlohmann::json value_json(const sim::ValueEstimate& v) {
  return {{"mean", v.mean}, {"ci95", 1.96 * v.std_error}, {"mean_length", v.mean_length}};
}

nlohmann::json paired_json(const sim::ValueEstimate& arm, const sim::ValueEstimate& base) {
  return comparison_json(paired_truth(arm, base));
}

}  // namespace

int baselines_command(int argc, char** argv) {
  CLI::App app(kDescription, "mtf baselines");
  std::string config_path, out_dir;
  std::uint64_t seed = 0;
  bool quiet = false;
  app.add_option("--config", config_path, "config (JSON); default: the defaults listed above, every learner at its defaults");
  app.add_option("--out", out_dir, "output folder")->required();
  CLI::Option* seed_option = add_seed(app, "--seed", seed, "the run's seed (overrides the config's)");
  seed_option->default_str("config");
  add_threads(app);
  app.add_flag("--quiet", quiet, "no progress lines");
  if (const int status = parse(app, argc, argv); status >= 0) return status;
  std::string command = "mtf baselines";
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];

  nlohmann::json file = config_path.empty() ? nlohmann::json::object() : load_json_file(config_path);
  const std::string source = config_path.empty() ? "default config" : config_path;
  if (!file.is_object()) throw ConfigError(source + ": expected a JSON object");
  if (seed_option->count() > 0) file["seed"] = seed;
  const sim::SimConfig sim_config = take_simulator_config(file, source);
  const BaselinesConfig config = config_from_json<BaselinesConfig>(file, source);
  if (std::filesystem::exists(out_dir) && !std::filesystem::is_directory(out_dir))
    throw std::runtime_error(out_dir + ": --out names a file that is not a folder (mtf baselines writes several files into --out)");
  std::ostream* progress = quiet ? nullptr : &std::cout;

  // 1. The logs: mixed exploration around the neutral alpha, as the main example's.
  const sim::Simulator simulator(sim_config);
  sim::RolloutOptions rollout;
  rollout.reward = reward_preset(config.reward);
  auto neutral = std::make_shared<ConstantPolicy>(Action{}, "neutral");
  auto noisy = std::make_shared<NoisyPolicy>(neutral, config.noise_sigma);
  auto random = std::make_shared<RandomPolicy>(config.random_sigma);
  const MixedPolicy behaviour({random, noisy});
  sim::DaysOptions days;
  days.days = config.days;
  days.seed = mix_seed(config.seed, "simulated days");
  sim::RolloutOptions logging = rollout;
  logging.record = true;
  logging.policy_seed = mix_seed(config.seed, "logging policy");
  const sim::RolloutResult logged = sim::simulate_days(simulator, behaviour, days, logging);
  const DatasetSplit split = split_by_time(logged.log, rollout.reward, config.train_fraction);
  ReplayBuffer buffer(simulator.state_dim(), DataSettings{}.replay_capacity);
  buffer.add_all(split.train);
  if (progress)
    *progress << "mtf baselines: seed " << config.seed << ", " << logged.log.sessions.size() << " sessions (" << split.train.rows()
              << " training transitions), " << config.iterations << " iterations per learner, " << num_threads()
              << " threads\n";

  // 2. Each learner on the same buffer.
  std::vector<std::string> names;
  QCurves q_curves;
  std::map<std::string, std::shared_ptr<Policy>> learned;
  nlohmann::json training = nlohmann::json::object();
  // Every learner is built (its hyper-parameters checked) before anything is written.
  std::vector<std::pair<std::string, std::unique_ptr<Learner>>> learners;
  for (const auto& [name, given] : config.learners.items()) {
    nlohmann::json hyper = given;
    hyper["state_dim"] = simulator.state_dim();
    hyper["action_dim"] = kActionDim;
    hyper["seed"] = mix_seed(config.seed, "learner " + name);
    learners.emplace_back(name, make_learner(name, hyper, source + ": learners: " + name));
  }
  std::filesystem::create_directories(out_dir);
  for (auto& [name, learner] : learners) {
    const std::string metrics_path = out_dir + "/metrics_" + name + ".jsonl";
    std::filesystem::remove(metrics_path);  // the trainer appends
    TrainOptions options;
    options.iterations = config.iterations;
    options.log_every = config.log_every;
    options.metrics_path = metrics_path;
    options.progress = progress;
    if (progress) *progress << "training " << name << "\n";
    nlohmann::json record = {{"hyperparameters", learner->hyperparameters()}};
    try {
      const TrainReport report = train(*learner, buffer, options);
      record["seconds"] = report.seconds;
      record["diverged"] = false;
      learner->save(out_dir + "/" + name + ".ckpt");
      learned[name] = learner->snapshot(name);
    } catch (const TrainingDiverged& e) {
      record["diverged"] = true;  // kept in the results: a baseline that blows up is a finding, not a skip
      record["error"] = e.what();
      if (progress) *progress << name << ": " << e.what() << "\n";
    }
    record["iterations"] = learner->iteration();
    training[name] = record;
    names.push_back(name);
    read_q_curve(metrics_path, name, q_curves);
  }

  // 3. Figure 6: actions on the test split's states (the first action_states of them), beside the logged.
  const Index n_states = std::min<Index>(config.action_states, split.test.rows());
  std::vector<PolicyActions> actions;
  actions.push_back({"logged (behaviour)", split.test.action.topRows(n_states)});
  Rng serve_rng(mix_seed(config.seed, "figure 6 serving"));
  for (const std::string& name : names) {
    if (!learned.count(name)) continue;
    PolicyActions p{name, MatrixR<float>(n_states, kActionDim)};
    learned[name]->act(split.test.state.data(), int(n_states), p.actions.data(), serve_rng);
    actions.push_back(std::move(p));
  }

  // 4. True values, common random numbers: the same starts and rollout seeds for every policy.
  const auto starts = sim::random_starts(simulator, config.eval_starts, mix_seed(config.seed, "evaluation starts"));
  const std::uint64_t eval_seed = mix_seed(config.seed, "evaluation rollouts");
  if (progress) *progress << "true values from " << config.eval_starts << " starts\n";
  const sim::ValueEstimate v_random = sim::true_value(simulator, *random, starts, eval_seed, rollout);
  const sim::ValueEstimate v_noisy = sim::true_value(simulator, *noisy, starts, eval_seed, rollout);
  const sim::ValueEstimate v_behaviour = sim::mixture_value({&v_random, &v_noisy}, {0.5, 0.5});
  // The best global alpha: searched on separate starts and seeds, then evaluated like the others.
  const auto search_starts = sim::random_starts(simulator, std::max(500, config.eval_starts / 3), mix_seed(config.seed, "alpha search starts"));
  auto candidates = sim::random_action_candidates(config.alpha_candidates, mix_seed(config.seed, "alpha candidates"));
  auto search = sim::evaluate_action_candidates(simulator, candidates, search_starts, mix_seed(config.seed, "alpha search rollouts"), rollout);
  auto local = sim::local_action_candidates(candidates[std::size_t(search.best_value)], config.alpha_candidates, 0.2,
                                            mix_seed(config.seed, "alpha refinement candidates"));
  auto refine = sim::evaluate_action_candidates(simulator, local, search_starts, mix_seed(config.seed, "alpha search rollouts"), rollout);
  ConstantPolicy best_global(local[std::size_t(refine.best_value)], "best global alpha");
  const sim::ValueEstimate v_global = sim::true_value(simulator, best_global, starts, eval_seed, rollout);
  std::map<std::string, sim::ValueEstimate> truth;
  for (const auto& [name, policy] : learned) truth[name] = sim::true_value(simulator, *policy, starts, eval_seed, rollout);

  // 5. values.json and summary.md.
  nlohmann::json values = {{"seed", config.seed}, {"command", command}, {"eval_starts", config.eval_starts},
                           {"behaviour", value_json(v_behaviour)}, {"best_global_alpha", value_json(v_global)},
                           {"logged_edge_share", edge_share(actions.front().actions)}, {"learners", nlohmann::json::object()}};
  values["behaviour"]["per_rollout"] = v_behaviour.per_rollout;
  char line[512];
  std::string md = "| policy | true value (95 % CI) | vs behaviour (paired 95 % CI) | vs BCQ | vs best global α | "
                   "actions with abs ≥ 0.95 | final Q1 mean ± std | train s |\n|---|---|---|---|---|---|---|---|\n";
  auto pct = [&](const nlohmann::json& c) {
    std::snprintf(line, sizeof line, "%+.2f %% [%+.2f, %+.2f]", 100 * c["relative"].get<double>(),
                  100 * c["ci95"][0].get<double>(), 100 * c["ci95"][1].get<double>());
    return std::string(line);
  };
  std::snprintf(line, sizeof line, "| behaviour (logged) | %.4f ± %.4f | — | | | %.1f %% | | |\n", v_behaviour.mean,
                1.96 * v_behaviour.std_error, 100 * edge_share(actions.front().actions));
  md += line;
  std::snprintf(line, sizeof line, "| best global α | %.4f ± %.4f | %s | | — | | | |\n", v_global.mean, 1.96 * v_global.std_error,
                pct(paired_json(v_global, v_behaviour)).c_str());
  md += line;
  for (const std::string& name : names) {
    nlohmann::json j = training[name];
    const auto& curve = q_curves[name];
    if (!curve.empty()) j["final_q1"] = {{"mean", curve.rbegin()->second.first}, {"std", curve.rbegin()->second.second}};
    std::string cells = "| " + name + " | diverged | | | | | | |\n";
    if (truth.count(name)) {
      const sim::ValueEstimate& v = truth[name];
      j["true_value"] = value_json(v);
      j["true_value"]["per_rollout"] = v.per_rollout;
      j["vs_behaviour"] = paired_json(v, v_behaviour);
      j["vs_best_global_alpha"] = paired_json(v, v_global);
      if (truth.count("bcq") && name != "bcq") j["vs_bcq"] = paired_json(v, truth["bcq"]);
      for (const PolicyActions& p : actions)
        if (p.name == name) j["edge_share"] = edge_share(p.actions);
      std::snprintf(line, sizeof line, "| %s | %.4f ± %.4f | %s | %s | %s | %.1f %% | %s | %.0f |\n", name.c_str(), v.mean,
                    1.96 * v.std_error, pct(j["vs_behaviour"]).c_str(), j.contains("vs_bcq") ? pct(j["vs_bcq"]).c_str() : "—",
                    pct(j["vs_best_global_alpha"]).c_str(), 100 * j["edge_share"].get<double>(),
                    j.contains("final_q1") ? (std::to_string(j["final_q1"]["mean"].get<double>()).substr(0, 8) + " ± " +
                                              std::to_string(j["final_q1"]["std"].get<double>()).substr(0, 8)).c_str()
                                           : "—",
                    j["seconds"].get<double>());
      cells = line;
    }
    md += cells;
    values["learners"][name] = j;
  }
  md += "\nGenerated by `" + command + "`. True values: discounted session return (gamma " +
        std::to_string(rollout.gamma).substr(0, 4) + ") from " + std::to_string(config.eval_starts) +
        " simulator starts, the same starts and seeds for every policy; intervals are paired over those rollouts. "
        "\"Actions with abs ≥ 0.95\": share of all 12 action entries on the test states at the edge of the box. "
        "Final Q1: the critic's Q on the last logged minibatch (logged actions).\n";
  write_file_atomically(out_dir + "/values.json", values.dump(1) + "\n");
  write_file_atomically(out_dir + "/summary.md", md);

  // 6. The figures' data and PNGs.
  const std::string fig5 = out_dir + "/fig5_q.tsv", fig6 = out_dir + "/fig6_actions.tsv";
  write_file_atomically(fig6, action_histogram_tsv(actions));
  std::vector<std::string> with_q;  // learners without a critic (behaviour cloning) have no curve
  for (const std::string& n : names)
    if (!q_curves[n].empty()) with_q.push_back(n);
  write_file_atomically(fig5, q_curves_tsv(q_curves, with_q));
  const std::string png5 = render_gnuplot(out_dir + "/fig5_q.gp", out_dir + "/fig5_q.png",
                                          [&](const std::string& png) { return q_figure_script(fig5, with_q, png); });
  const std::string png6 = render_gnuplot(out_dir + "/fig6_actions.gp", out_dir + "/fig6_actions.png",
                                          [&](const std::string& png) { return action_figure_script(fig6, actions, "Figure 6: action distributions on the test states (normalized action, -1..1)", png); });
  std::printf("%s\nwrote %s/values.json, %s/summary.md, %s, %s\n", md.c_str(), out_dir.c_str(), out_dir.c_str(),
              png5.c_str(), png6.c_str());
  return 0;
}

}  // namespace mtf::cli
