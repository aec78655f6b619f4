// examples/ope_harness.cpp — which off-policy estimator can a user trust to pick a policy? (issue 17)
//
// On logs of the mixed-exploration behaviour, a set of policies whose true values span a wide range
// (exploration policies, global alphas from the best to the instant-greedy one, BCQ at several stages,
// the other learners, out-of-distribution extremes) is estimated offline by every estimator of the
// harness config (ope/estimator.hpp: fqe, cope at its alpha_c and a sweep, cql_h, bounded_fqe,
// model_based), each fit with several seeds on each data size (the TEST split — the last 10 % of sessions
// in time order, as the paper fits — and the whole log). The truth comes from rollouts of the same
// initial states in the simulator, repeated until each policy's 95 % interval is narrow against the
// spread of the true values (the run states whether it is). For every (data, estimator, fit seed):
// normalized absolute error, Spearman rank correlation and regret@1 (Deep OPE definitions) with 95 %
// bootstrap intervals over initial states; then mean, spread and worst case over the fit seeds.
// Writes <out>/ope_harness.json and <out>/ope_harness.md; everything printed is measured in this run.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>

#include "engine/atomic_file.hpp"
#include "engine/threads.hpp"
#include "examples/cli/options.hpp"
#include "ope/estimator.hpp"
#include "ope/ranking.hpp"
#include "rl/data/dataset.hpp"
#include "rl/registry.hpp"
#include "rl/sim/alpha_search.hpp"
#include "rl/sim/rollout.hpp"
#include "rl/trainer.hpp"

using namespace mtf;

namespace {

const char* kDescription = R"(Compares off-policy estimators against the simulator's true values of many policies: every
estimator of the harness config, each fit with --fit-seeds seeds on each data size (the test split and
the whole log). Writes DIR/ope_harness.json and DIR/ope_harness.md.)";

// The harness's default estimators and policy learners (examples/configs/ope_harness.json holds the same).
const char* kDefaultConfig = R"json({
  "estimator_defaults": {"hidden": [64, 64], "batch_size": 256, "steps": 1500, "lr": 1e-3, "target_period": 50},
  "estimators": [
    {"name": "fqe", "estimator": "fqe"},
    {"name": "cope (paper, alpha_c 5e-4)", "estimator": "cope"},
    {"name": "cql_h alpha_c 5e-4", "estimator": "cql_h"},
    {"name": "bounded_fqe", "estimator": "bounded_fqe"},
    {"name": "model_based", "estimator": "model_based", "settings": {"hidden": [128, 128], "steps": 3000, "lr": 1e-3}},
    {"name": "model_based K5 pessimism 1", "estimator": "model_based",
     "settings": {"hidden": [128, 128], "steps": 3000, "lr": 1e-3, "ensemble": 5, "pessimism": 1}}
  ],
  "learner_hidden": 64,
  "bcq_stages": [300, 1500, 5000],
  "learners": {"bc": 2000, "td3": 3000, "cql_sac": 3000}
}
)json";

struct EstimatorEntry {
  std::string label, estimator;
  nlohmann::json settings;
};

struct HarnessConfig {
  std::vector<EstimatorEntry> estimators;
  int learner_hidden = 64;
  std::vector<long long> bcq_stages;
  std::vector<std::pair<std::string, long long>> learners;  // registry name, iterations
};

HarnessConfig read_harness_config(const nlohmann::json& j, const std::string& source) {
  // "estimators" is an array of objects, which the strict reader does not take: read it aside.
  nlohmann::json rest = j;
  nlohmann::json estimators = nlohmann::json::array();
  if (rest.is_object() && rest.contains("estimators")) {
    estimators = rest["estimators"];
    rest.erase("estimators");
  }
  ConfigReader r(rest, source);
  nlohmann::json defaults = nlohmann::json::object(), learners = nlohmann::json::object();
  HarnessConfig c;
  std::vector<long long> stages;
  r.get("estimator_defaults", defaults);
  r.get("learner_hidden", c.learner_hidden, 1, 4096);
  r.get("bcq_stages", stages);
  r.get("learners", learners);
  r.finish();
  if (!defaults.is_object()) r.fail("estimator_defaults", "expected an object");
  if (!estimators.is_array() || estimators.empty()) r.fail("estimators", "expected a non-empty array of objects");
  for (const nlohmann::json& e : estimators) {
    const std::string where = source + ": estimators[" + std::to_string(c.estimators.size()) + "]";
    ConfigReader er(e, where);
    EstimatorEntry entry;
    nlohmann::json settings = nlohmann::json::object();
    er.get("name", entry.label);
    er.get("estimator", entry.estimator);
    er.get("settings", settings);
    er.finish();
    if (entry.label.empty()) er.fail("name", "must not be empty");
    if (!settings.is_object()) er.fail("settings", "expected an object");
    // The defaults apply to the FQE family; model_based takes only its own settings.
    entry.settings = entry.estimator == "model_based" ? nlohmann::json::object() : defaults;
    entry.settings.update(settings);
    make_estimator(entry.estimator, entry.settings, 4, 2, where);  // checks the name and every key now
    c.estimators.push_back(entry);
  }
  c.bcq_stages = stages;
  if (c.bcq_stages.empty() || c.bcq_stages.front() < 1 || std::adjacent_find(c.bcq_stages.begin(), c.bcq_stages.end(),
      [](long long a, long long b) { return a >= b; }) != c.bcq_stages.end())
    r.fail("bcq_stages", "expected increasing positive iteration counts");
  if (!learners.is_object()) r.fail("learners", "expected an object of learner name -> iterations");
  for (const auto& [name, iterations] : learners.items()) {
    find_learner(name);
    if (!iterations.is_number_integer() || iterations.get<long long>() < 1)
      r.fail("learners", "\"" + name + "\": expected a positive integer number of iterations");
    c.learners.emplace_back(name, iterations.get<long long>());
  }
  return c;
}

struct Options {
  int users = 2000, days = 4, initial_states = 1000, repetitions = 16, bootstrap = 500, fit_seeds = 3;
  int alpha_candidates = 48;
  std::string population = "parametric", kuairand_dir = "data/kuairand", data = "test,all", config_path;
  std::string only_estimators;
  std::uint64_t seed = 1;
  std::string out = "ope_out";
};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// A policy of the harness and where it comes from.
struct Entry {
  std::string name, kind;
  std::shared_ptr<Policy> policy;
};

struct Summary {  // one metric over the fit seeds
  double mean = 0, sd = 0, min = 0, max = 0;
};
Summary summarize(const std::vector<double>& v) {
  Summary s;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  for (double x : v) s.sd += (x - s.mean) * (x - s.mean);
  s.sd = v.size() > 1 ? std::sqrt(s.sd / double(v.size() - 1)) : 0.0;
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  return s;
}

}  // namespace

int main(int argc, char** argv) try {
  Options o;
  std::string command = "ope_harness";
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  CLI::App app(kDescription, "ope_harness");
  app.add_option("--out", o.out, "output folder")->default_str("ope_out");
  app.add_option("--config", o.config_path, "harness config (JSON: estimators, policy learners); default: built in, "
                                            "as examples/configs/ope_harness.json");
  app.add_option("--population", o.population, "parametric | kuairand (users and videos from KuaiRand-Pure; --users of "
                                               "its 27,285 users are logged, a seeded sample)")
      ->default_str("parametric");
  app.add_option("--kuairand-dir", o.kuairand_dir, "folder of the KuaiRand-Pure CSVs")->default_str("data/kuairand");
  app.add_option("--data", o.data, "data sizes the estimators fit on: test (last 10 % of sessions), all (the whole log)")
      ->default_str("test,all");
  app.add_option("--estimators", o.only_estimators, "only these labels of the config (comma-separated)");
  cli::add_integer(app, "--users", o.users, 10, 1 << 24, "simulated users");
  cli::add_integer(app, "--days", o.days, 1, 100000, "days of logs");
  cli::add_integer(app, "--initial-states", o.initial_states, 10, 1 << 24, "test initial states estimated and rolled out");
  cli::add_integer(app, "--repetitions", o.repetitions, 1, 1 << 16, "rollouts per initial state for the truth");
  cli::add_integer(app, "--fit-seeds", o.fit_seeds, 1, 1000, "fits of every estimator, each with its own seed");
  cli::add_integer(app, "--alpha-candidates", o.alpha_candidates, 4, 1 << 20, "global actions searched");
  cli::add_integer(app, "--bootstrap", o.bootstrap, 10, 1 << 24, "bootstrap resamples");
  cli::add_seed(app, "--seed", o.seed, "seed of the whole run");
  cli::add_threads(app);
  if (const int status = cli::parse(app, argc, argv); status >= 0) return status;
  if (std::filesystem::exists(o.out) && !std::filesystem::is_directory(o.out))
    throw cli::UsageError("--out " + o.out + " exists and is not a folder (the harness writes ope_harness.json and "
                          "ope_harness.md into it)");
  const auto started = std::chrono::steady_clock::now();
  // A config file's top-level keys replace the built-in ones; the keys it omits keep theirs.
  nlohmann::json config_json = nlohmann::json::parse(kDefaultConfig);
  if (!o.config_path.empty()) {
    const nlohmann::json given = load_json_file(o.config_path);
    if (!given.is_object()) throw ConfigError(o.config_path + ": expected a JSON object");
    config_json.update(given);
  }
  const HarnessConfig config =
      read_harness_config(config_json, o.config_path.empty() ? "built-in harness config" : o.config_path);
  std::vector<EstimatorEntry> estimators;
  const std::vector<std::string> wanted = split_list(o.only_estimators);
  for (const EstimatorEntry& e : config.estimators)
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), e.label) != wanted.end()) estimators.push_back(e);
  if (estimators.empty()) throw cli::UsageError("--estimators: none of \"" + o.only_estimators + "\" is in the config");
  const std::vector<std::string> data_sizes = split_list(o.data);
  for (const std::string& d : data_sizes)
    if (d != "test" && d != "all") throw cli::UsageError("--data: expected test and/or all, got \"" + d + "\"");
  if (data_sizes.empty()) throw cli::UsageError("--data: expected test and/or all");

  sim::SimConfig sim_config;
  sim_config.num_users = o.users;
  if (o.population == "kuairand") {
    sim_config.population = sim::PopulationSource::kKuaiRand;
    sim_config.kuairand_dir = o.kuairand_dir;
  } else if (o.population != "parametric") {
    throw cli::UsageError("--population: expected parametric or kuairand, got \"" + o.population + "\"");
  }
  sim_config.validate();
  const sim::Simulator simulator(sim_config);
  sim::RolloutOptions rollout;
  const int S = simulator.state_dim(), A = kActionDim;

  // 1. Logs from the mixed-exploration behaviour, split in time order.
  auto neutral = std::make_shared<ConstantPolicy>(Action{}, "neutral");
  auto noisy = std::make_shared<NoisyPolicy>(neutral, 0.1);
  auto random = std::make_shared<RandomPolicy>(0.5);
  sim::DaysOptions days;
  days.days = o.days;
  if (o.users < simulator.num_users()) {  // KuaiRand's population is all its users: log a seeded sample of --users
    std::vector<int> ids(std::size_t(simulator.num_users()));
    std::iota(ids.begin(), ids.end(), 0);
    Rng pick(mix_seed(o.seed, "logged users"));
    for (std::size_t i = ids.size() - 1; i > 0; --i) std::swap(ids[i], ids[std::size_t(pick.below(i + 1))]);
    ids.resize(std::size_t(o.users));
    std::sort(ids.begin(), ids.end());
    days.users = ids;
  }
  days.seed = mix_seed(o.seed, "simulated days");
  sim::RolloutOptions logging = rollout;
  logging.record = true;
  logging.policy_seed = mix_seed(o.seed, "logging policy");
  const sim::RolloutResult logged = sim::simulate_days(simulator, MixedPolicy({random, noisy}), days, logging);
  const DatasetSplit split = split_by_time(logged.log, rollout.reward, 0.9);
  TransitionBatch all_data(split.train.rows() + split.test.rows(), S, A);
  for (auto [field, from_train, from_test] :
       {std::tuple{&all_data.state, &split.train.state, &split.test.state},
        std::tuple{&all_data.action, &split.train.action, &split.test.action},
        std::tuple{&all_data.reward, &split.train.reward, &split.test.reward},
        std::tuple{&all_data.next_state, &split.train.next_state, &split.test.next_state},
        std::tuple{&all_data.not_done, &split.train.not_done, &split.test.not_done}}) {
    field->topRows(from_train->rows()) = *from_train;
    field->bottomRows(from_test->rows()) = *from_test;
  }
  const int n0 = std::min<int>(o.initial_states, int(split.test_initial_states.rows()));
  std::printf("population %s: %zu sessions logged; train %zu sessions (%lld transitions), test %zu sessions (%lld "
              "transitions); %d test initial states\n",
              o.population.c_str(), logged.log.sessions.size(), split.train_sessions, (long long)split.train.rows(),
              split.test_sessions, (long long)split.test.rows(), n0);
  const MatrixR<float> initial = split.test_initial_states.topRows(n0);
  std::vector<sim::SessionStart> starts;
  for (int j = 0; j < n0; ++j)
    starts.push_back(simulator.start_from_state(split.test_initial_users[std::size_t(j)],
                                                split.test_initial_days[std::size_t(j)], initial.row(j).data()));

  // 2. The policies.
  std::vector<Entry> policies;
  policies.push_back({"behaviour (per-step mixture)", "exploration",
                      std::make_shared<StepMixturePolicy>(std::vector<std::shared_ptr<Policy>>{random, noisy}, "behaviour")});
  policies.push_back({"random exploration (sigma 0.5)", "exploration", random});
  policies.push_back({"action noise around neutral (sigma 0.1)", "exploration", noisy});
  policies.push_back({"neutral alpha", "global alpha", neutral});
  const auto search_starts = sim::random_starts(simulator, 600, mix_seed(o.seed, "alpha search starts"));
  const auto candidates = sim::random_action_candidates(o.alpha_candidates, mix_seed(o.seed, "alpha candidates"));
  const auto search = sim::evaluate_action_candidates(simulator, candidates, search_starts,
                                                      mix_seed(o.seed, "alpha search rollouts"), rollout);
  std::vector<int> order(candidates.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return search.value[std::size_t(a)] > search.value[std::size_t(b)]; });
  const Action best = candidates[std::size_t(order.front())];
  policies.push_back({"best global alpha", "global alpha", std::make_shared<ConstantPolicy>(best, "best global alpha")});
  for (auto [label, q] : {std::pair{"global alpha, 75th percentile", 0.25}, std::pair{"global alpha, median", 0.5},
                          std::pair{"global alpha, 25th percentile", 0.75}}) {
    const int at = order[std::size_t(q * double(order.size() - 1))];
    policies.push_back({label, "global alpha", std::make_shared<ConstantPolicy>(candidates[std::size_t(at)], label)});
  }
  policies.push_back({"instant-reward-greedy alpha", "global alpha",
                      std::make_shared<ConstantPolicy>(candidates[std::size_t(search.best_instant)], "instant-greedy")});
  policies.push_back({"action noise around the best global alpha", "exploration",
                      std::make_shared<NoisyPolicy>(policies[4].policy, 0.1)});

  ReplayBuffer buffer(S, DataSettings{}.replay_capacity);
  buffer.add_all(split.train);
  const std::vector<Index> hidden = {config.learner_hidden, config.learner_hidden};
  auto learner_config = [&](const std::string& name) {
    nlohmann::json h = {{"state_dim", S}, {"action_dim", A}, {"seed", mix_seed(o.seed, "learner " + name)}};
    if (name == "bc") h["hidden"] = hidden;
    else {
      h["actor_hidden"] = hidden;
      h["critic_hidden"] = hidden;
    }
    if (name == "bcq") h["vae_hidden"] = hidden;
    return h;
  };
  {
    const std::unique_ptr<Learner> bcq = make_learner("bcq", learner_config("bcq"), "harness: bcq");
    TrainOptions train;
    train.log_every = 100000;
    for (long long stage : config.bcq_stages) {
      train.iterations = stage - bcq->iteration();
      mtf::train(*bcq, buffer, train);
      const std::string name = "BCQ after " + std::to_string(stage) + " iterations";
      policies.push_back({name, "learner", bcq->snapshot(name)});
    }
  }
  for (const auto& [name, iterations] : config.learners) {
    const std::unique_ptr<Learner> learner = make_learner(name, learner_config(name), "harness: " + name);
    TrainOptions train;
    train.iterations = iterations;
    train.log_every = 100000;
    const std::string label = name + " after " + std::to_string(iterations) + " iterations";
    try {
      mtf::train(*learner, buffer, train);
      policies.push_back({label, "learner", learner->snapshot(label)});
    } catch (const TrainingDiverged& e) {
      std::printf("%s diverged (%s): left out\n", label.c_str(), e.what());
    }
  }
  Action plus, minus;
  plus.fill(1.0f);
  minus.fill(-1.0f);
  policies.push_back({"extreme OOD (a = +1)", "out of distribution", std::make_shared<ConstantPolicy>(plus, "a = +1")});
  policies.push_back({"extreme OOD (a = -1)", "out of distribution", std::make_shared<ConstantPolicy>(minus, "a = -1")});
  const double setup_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  // 3. The truth: the same starts and rollout seeds for every policy (common random numbers).
  const std::size_t P = policies.size();
  std::vector<Eigen::ArrayXd> truth(P);
  std::vector<double> truth_half_width(P);
  for (std::size_t p = 0; p < P; ++p) {
    const sim::ValueEstimate v = sim::true_value(simulator, *policies[p].policy, starts,
                                                 mix_seed(o.seed, "evaluation rollouts"), rollout, o.repetitions);
    Eigen::ArrayXd per_start = Eigen::ArrayXd::Zero(n0);
    for (int j = 0; j < n0; ++j)
      for (int r = 0; r < o.repetitions; ++r) per_start(j) += v.per_rollout[std::size_t(j * o.repetitions + r)];
    truth[p] = per_start / double(o.repetitions);
    truth_half_width[p] = 1.96 * v.std_error;
    std::printf("true value %-44s %8.4f ± %.4f\n", policies[p].name.c_str(), truth[p].mean(), truth_half_width[p]);
  }
  std::vector<double> true_means(P);
  for (std::size_t p = 0; p < P; ++p) true_means[p] = truth[p].mean();
  const double spread = *std::max_element(true_means.begin(), true_means.end()) -
                        *std::min_element(true_means.begin(), true_means.end());
  const double widest = *std::max_element(truth_half_width.begin(), truth_half_width.end());
  std::printf("spread of the true values %.4f; widest 95 %% half-width %.4f = %.3f of the spread (goal <= 0.1: %s)\n",
              spread, widest, widest / spread, widest <= 0.1 * spread ? "met" : "NOT met");
  const double truth_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() - setup_seconds;

  // 4. Every estimator, fit seed and data size.
  nlohmann::json results = nlohmann::json::array();
  std::map<std::pair<std::string, std::string>, std::vector<RankingBootstrap>> by_estimator;  // (data, label)
  std::map<std::pair<std::string, std::string>, std::vector<std::vector<double>>> estimates_by;
  std::map<std::pair<std::string, std::string>, double> seconds_by;
  for (const std::string& data_name : data_sizes) {
    const TransitionBatch& data = data_name == "test" ? split.test : all_data;
    for (const EstimatorEntry& e : estimators) {
      for (int k = 0; k < o.fit_seeds; ++k) {
        const auto t0 = std::chrono::steady_clock::now();
        nlohmann::json settings = e.settings;
        settings["seed"] = mix_seed(o.seed, "estimator fit " + std::to_string(k));
        const auto estimator = make_estimator(e.estimator, settings, S, A, e.label);
        std::vector<Eigen::ArrayXd> per_state(P);
        std::vector<double> estimates(P);
        for (std::size_t p = 0; p < P; ++p) {
          try {
            estimator->fit(data, *policies[p].policy);
            per_state[p] = estimator->estimate_per_state(initial, *policies[p].policy);
          } catch (const std::runtime_error& err) {  // a diverged fit is a finding: its estimate is -inf
            std::printf("  %s, %s, fit %d: %s\n", e.label.c_str(), policies[p].name.c_str(), k + 1, err.what());
            per_state[p] = Eigen::ArrayXd::Constant(n0, -std::numeric_limits<double>::infinity());
          }
          estimates[p] = per_state[p].mean();
        }
        const RankingBootstrap b = bootstrap_ranking(per_state, truth, o.bootstrap,
                                                     mix_seed(o.seed, "bootstrap " + std::to_string(k)));
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        seconds_by[{data_name, e.label}] += secs;
        by_estimator[{data_name, e.label}].push_back(b);
        estimates_by[{data_name, e.label}].push_back(estimates);
        results.push_back({{"data", data_name}, {"estimator", e.label}, {"fit", k + 1}, {"estimates", estimates},
                           {"normalized_abs_error", {b.point.normalized_abs_error, b.normalized_abs_error.lo, b.normalized_abs_error.hi}},
                           {"spearman", {b.point.spearman, b.spearman.lo, b.spearman.hi}},
                           {"regret_at_1", {b.point.regret_at_1, b.regret_at_1.lo, b.regret_at_1.hi}},
                           {"seconds", secs}});
        std::printf("%-5s %-28s fit %d: NAE %7.3f  Spearman %6.3f  regret@1 %.3f  (%.0f s)\n", data_name.c_str(),
                    e.label.c_str(), k + 1, b.point.normalized_abs_error, b.point.spearman, b.point.regret_at_1, secs);
        std::fflush(stdout);
      }
    }
  }
  const double total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  // 5. Report.
  std::string md = "Generated by `" + command + "` (" + std::to_string(num_threads()) + " threads, " +
                   std::to_string(int(total_seconds)) + " s: set-up " + std::to_string(int(setup_seconds)) +
                   " s, truth " + std::to_string(int(truth_seconds)) + " s). Population " + o.population + "; " +
                   std::to_string(logged.log.sessions.size()) + " logged sessions; test split " +
                   std::to_string(split.test.rows()) + " transitions, whole log " + std::to_string(all_data.rows()) +
                   "; " + std::to_string(n0) + " initial states × " + std::to_string(o.repetitions) +
                   " rollouts for the truth.\n\n";
  char line[1024];
  md += "| policy | kind | true value ± 95 % |";
  for (const std::string& d : data_sizes)
    for (const EstimatorEntry& e : estimators) md += " " + e.label + " (" + d + ") |";
  md += "\n|---|---|---|";
  for (std::size_t i = 0; i < data_sizes.size() * estimators.size(); ++i) md += "---|";
  md += "\n";
  nlohmann::json policy_rows = nlohmann::json::array();
  for (std::size_t p = 0; p < P; ++p) {
    std::snprintf(line, sizeof line, "| %s | %s | %.4f ± %.4f |", policies[p].name.c_str(), policies[p].kind.c_str(),
                  true_means[p], truth_half_width[p]);
    md += line;
    for (const std::string& d : data_sizes)
      for (const EstimatorEntry& e : estimators) {
        std::vector<double> v;
        for (const auto& fit : estimates_by[{d, e.label}]) v.push_back(fit[p]);
        const Summary s = summarize(v);
        std::snprintf(line, sizeof line, " %.3f ± %.3f |", s.mean, s.sd);
        md += line;
      }
    md += "\n";
    policy_rows.push_back({{"policy", policies[p].name}, {"kind", policies[p].kind}, {"true_value", true_means[p]},
                           {"true_half_width_95", truth_half_width[p]}});
  }
  md += "\n(estimates: mean ± standard deviation over " + std::to_string(o.fit_seeds) + " fit seeds)\n\n";
  md += "| data | estimator | NAE mean ± sd | Spearman mean ± sd [min] | regret@1 mean ± sd [max] | bootstrap 95 % (fit 1): "
        "NAE; Spearman; regret@1 | s per fit |\n|---|---|---|---|---|---|---|\n";
  nlohmann::json summary = nlohmann::json::array();
  for (const std::string& d : data_sizes)
    for (const EstimatorEntry& e : estimators) {
      const auto& fits = by_estimator[{d, e.label}];
      std::vector<double> nae, rho, regret;
      for (const RankingBootstrap& b : fits) {
        nae.push_back(b.point.normalized_abs_error);
        rho.push_back(b.point.spearman);
        regret.push_back(b.point.regret_at_1);
      }
      const Summary a = summarize(nae), r = summarize(rho), g = summarize(regret);
      const RankingBootstrap& f = fits.front();
      std::snprintf(line, sizeof line,
                    "| %s | %s | %.3f ± %.3f | %.3f ± %.3f [%.3f] | %.3f ± %.3f [%.3f] | [%.3f, %.3f]; [%.3f, %.3f]; "
                    "[%.3f, %.3f] | %.0f |\n",
                    d.c_str(), e.label.c_str(), a.mean, a.sd, r.mean, r.sd, r.min, g.mean, g.sd, g.max,
                    f.normalized_abs_error.lo, f.normalized_abs_error.hi, f.spearman.lo, f.spearman.hi,
                    f.regret_at_1.lo, f.regret_at_1.hi, seconds_by[{d, e.label}] / double(fits.size()) / double(P));
      md += line;
      const bool goal = r.min >= 0.9 && g.max <= 0.05;
      summary.push_back({{"data", d}, {"estimator", e.label}, {"nae", {a.mean, a.sd}},
                         {"spearman", {r.mean, r.sd, r.min}}, {"regret_at_1", {g.mean, g.sd, g.max}},
                         {"goal_met_every_fit", goal}});
    }
  md += "\nGoal (issue 17): Spearman ≥ 0.9 and regret@1 ≤ 0.05 on every fit seed. Met by:";
  bool any = false;
  for (const auto& s : summary)
    if (s["goal_met_every_fit"].get<bool>()) {
      md += " " + s["estimator"].get<std::string>() + " (" + s["data"].get<std::string>() + ");";
      any = true;
    }
  if (!any) md += " none.";
  md += "\n";
  std::filesystem::create_directories(o.out);
  const nlohmann::json report = {
      {"command", command},
      {"population", o.population},
      {"threads", num_threads()},
      {"seconds", {{"total", total_seconds}, {"setup", setup_seconds}, {"truth", truth_seconds}}},
      {"settings", {{"users", o.users}, {"days", o.days}, {"initial_states", n0}, {"repetitions", o.repetitions},
                    {"fit_seeds", o.fit_seeds}, {"bootstrap", o.bootstrap}, {"seed", o.seed}}},
      {"data", {{"test_transitions", split.test.rows()}, {"all_transitions", all_data.rows()}}},
      {"truth", {{"spread", spread}, {"widest_half_width_95", widest}, {"precise_enough", widest <= 0.1 * spread}}},
      {"policies", policy_rows},
      {"fits", results},
      {"summary", summary},
      {"note", "metric arrays in fits are [point, 2.5 %, 97.5 %] (percentile bootstrap over initial states); "
               "summary arrays are [mean, sd, worst] over fit seeds"}};
  write_file_atomically(o.out + "/ope_harness.json", report.dump(2) + "\n");
  write_file_atomically(o.out + "/ope_harness.md", md);
  std::printf("\n%s\nwrote %s/ope_harness.json and %s/ope_harness.md\n", md.c_str(), o.out.c_str(), o.out.c_str());
  return 0;
} catch (const cli::UsageError& e) {
  std::fprintf(stderr, "ope_harness: %s\n", e.what());
  return 2;
} catch (const std::exception& e) {
  std::fprintf(stderr, "ope_harness: error: %s\n", e.what());
  return 1;
}
