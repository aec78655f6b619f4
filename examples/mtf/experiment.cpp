// examples/mtf/experiment.cpp — `mtf experiment table1`: the paper's Table 1 and Figures 5–8 regenerated
// on the simulator by one command, with what the paper could not show beside each number: the policy's
// TRUE value.
//
// The protocol (every method gets the same population, the same days of traffic and the same seeds):
//   1. online, `days` days of the whole population each:
//        BatchRL-MTF                 the online loop (rl/loop/online_loop.hpp), mixed exploration
//        BatchRL-MTF-RE              the same loop with random exploration only
//        BatchRL-MTF-R{time,integrity,interaction}  the mixed loop trained on that reward preset
//        BO, ES                      rl/online/online_arms.hpp with the same days of traffic
//   2. offline, on BatchRL-MTF's final training window (its last window_days days of mixed exploration
//      data — "all models are trained by samples from mixed multi-exploration policy", section 4.5.1):
//        TD3, UWAC+TD3, CQL+SAC      trained from scratch, baseline_iterations updates each (Figure 5)
//        BCQ sensitivity             from scratch per perturbation bound rho and critic learning rate
//                                    (Figure 8, appendix B)
//   3. measured for every policy:
//        V-hat                       the Conservative-OPEstimator (cope) and plain FQE, fit on that window
//        true value                  simulator rollouts from fixed starts with fixed seeds (the default reward)
//        online A/B                  ab_days fresh days of the population, every arm on the same users,
//                                    days and seeds: ADTime and UPIRate relative to BO, paired 95 % intervals
// and the paper's claims are checked one by one against those numbers.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>

#include "commands.hpp"
#include "engine/atomic_file.hpp"
#include "engine/threads.hpp"
#include "examples/cli/options.hpp"
#include "figures.hpp"
#include "ope/estimator.hpp"
#include "ope/ranking.hpp"
#include "plot.hpp"
#include "rl/data/dataset.hpp"
#include "rl/data/replay_buffer.hpp"
#include "rl/data/reward.hpp"
#include "rl/online/online_arms.hpp"
#include "rl/registry.hpp"
#include "rl/sim/ab_test.hpp"
#include "rl/sim/stats.hpp"
#include "rl/trainer.hpp"

namespace mtf::cli {

namespace {

const char* kDescription = R"(Regenerates the paper's Table 1 and Figures 5-8 on the simulator, with each policy's TRUE value.

Every method spends the same days of the same population's traffic (seeded alike):
  BatchRL-MTF, -RE, -Rtime, -Rintegrity, -Rinteraction  the online loop (mtf loop) with mixed exploration,
        random exploration only, or the mixed loop trained on that reward preset
  BO, ES                     the online baselines (mtf online)
  TD3, UWAC+TD3, CQL+SAC     trained offline on BatchRL-MTF's final training window (its mixed data)
then each policy gets V-hat from the Conservative-OPEstimator and plain FQE (fit on that window), its true
value (simulator rollouts, default reward, the same starts and seeds for all) and an online A/B over
ab_days fresh days against BO (ADTime, UPIRate: paired 95 % intervals and p-values). Figure 8 retrains
BCQ offline on the same window per perturbation bound rho and critic learning rate.

Writes into --out: table1.json, table1.md (the paper's Table 1 beside ours, and its claims checked),
fig5_q.*, fig6_actions.*, fig7_actions.*, fig8_sensitivity.* (TSV data, gnuplot script, PNG), each
loop's days (loops/NAME.jsonl), the online baselines' histories (online/*.jsonl) and the offline learners'
training metrics (metrics/*.jsonl).

The config file is one JSON object; its keys (all optional): days, ab_days, loop (LoopConfig keys, over
examples/configs/loop.json's), bo, es (BoArmConfig / EsArmConfig keys), baselines (learner name ->
hyper-parameters), baseline_iterations, log_every, estimator (FqeConfig keys for both estimators),
estimator_fits, rho_values, critic_lr_values, sweep_iterations, action_states, eval_starts,
global_alpha_reference, seed, and "simulator" (SimConfig's keys). Unknown keys are errors.
--quick patches tiny sizes over it (a two-day run of a 120-user population with tiny networks: a smoke
test of the whole pipeline whose numbers mean nothing).)";

// The loop's settings of examples/configs/loop.json (issue 18's study), the defaults of "loop" here.
nlohmann::json default_loop_settings() {
  return nlohmann::json::parse(R"json({
    "learner": {"vae_hidden": [128, 128], "actor_hidden": [64, 64], "critic_hidden": [64, 64], "rho": 0.3},
    "iterations_per_day": 5000, "noise_sigma": 0.2, "random_sigma": 1.0,
    "estimator": {"hidden": [64, 64], "steps": 2000}})json");
}

nlohmann::json default_baselines() {
  const nlohmann::json nets = {{"actor_hidden", {64, 64}}, {"critic_hidden", {64, 64}}};  // the loop's BCQ's sizes
  return {{"td3", nets}, {"uwac_td3", nets}, {"cql_sac", nets}};
}

const char* kQuickPatch = R"json({
  "simulator": {"num_users": 120},
  "days": 2, "ab_days": 1,
  "loop": {"learner": {"vae_hidden": [16, 16], "actor_hidden": [16, 16], "critic_hidden": [16, 16], "batch_size": 32},
           "iterations_per_day": 30,
           "estimator": {"hidden": [16, 16], "steps": 20, "batch_size": 32, "initial_states": 50}},
  "bo": {"users_per_evaluation": 30, "initial_points": 3, "random_candidates": 64, "local_starts": 2},
  "es": {"users_per_generation": 40, "hidden": [8]},
  "baselines": {"td3": {"actor_hidden": [16, 16], "critic_hidden": [16, 16], "batch_size": 32},
                "uwac_td3": {"actor_hidden": [16, 16], "critic_hidden": [16, 16], "batch_size": 32},
                "cql_sac": {"actor_hidden": [16, 16], "critic_hidden": [16, 16], "batch_size": 32}},
  "baseline_iterations": 30, "log_every": 10,
  "estimator": {"hidden": [16, 16], "steps": 20, "batch_size": 32},
  "estimator_fits": 1,
  "rho_values": [0.1, 0.3], "critic_lr_values": [2e-4, 1e-3], "sweep_iterations": 30,
  "action_states": 200, "eval_starts": 60
})json";

struct Table1Config : JsonConfig<Table1Config> {
  int days = 14;    // the training budget: days of the whole population's traffic, the same for every method
  int ab_days = 3;  // fresh days of the final A/B
  nlohmann::json loop = default_loop_settings();
  nlohmann::json bo = nlohmann::json::object();
  nlohmann::json es = nlohmann::json::object();
  nlohmann::json baselines = default_baselines();
  long long baseline_iterations = 15000;
  long long log_every = 500;
  // Both estimators' settings (the ope harness's, examples/configs/ope_harness.json); alpha_c is the preset's.
  nlohmann::json estimator = {{"hidden", {64, 64}}, {"batch_size", 256}, {"steps", 1500}, {"lr", 1e-3}, {"target_period", 50}};
  int estimator_fits = 2;  // V-hat = the mean over this many fits with different seeds
  std::vector<double> rho_values = {0.05, 0.1, 0.15, 0.2, 0.3};        // Figure 8(a), the paper's grid
  std::vector<double> critic_lr_values = {5e-5, 1e-4, 2e-4, 5e-4, 1e-3};  // Figure 8(b), around the paper's 2e-4
  long long sweep_iterations = 10000;
  int action_states = 5000;  // states on which Figures 6-7 ask each policy for its action
  int eval_starts = 2000;
  bool global_alpha_reference = true;  // also the best global alpha searched with the loop's sessions
  std::uint64_t seed = 1;

  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) {
    v("days", c.days, 1, 3650);
    v("ab_days", c.ab_days, 1, 3650);
    v("loop", c.loop);
    v("bo", c.bo);
    v("es", c.es);
    v("baselines", c.baselines);
    v("baseline_iterations", c.baseline_iterations, 0LL, 1LL << 40);
    v("log_every", c.log_every, 1LL, 1LL << 40);
    v("estimator", c.estimator);
    v("estimator_fits", c.estimator_fits, 1, 1000);
    v("rho_values", c.rho_values);
    v("critic_lr_values", c.critic_lr_values);
    v("sweep_iterations", c.sweep_iterations, 0LL, 1LL << 40);
    v("action_states", c.action_states, 1, 1 << 24);
    v("eval_starts", c.eval_starts, 2, 1 << 24);
    v("global_alpha_reference", c.global_alpha_reference);
    v("seed", c.seed);
  }
  void check(const ConfigReader& r) const {
    for (const auto& [key, j] : {std::pair<const char*, const nlohmann::json*>{"loop", &loop}, {"bo", &bo}, {"es", &es},
                                 {"baselines", &baselines}, {"estimator", &estimator}})
      if (!j->is_object()) r.fail(key, "expected an object");
    for (const auto& [name, hyper] : baselines.items()) {
      if (!hyper.is_object()) r.fail("baselines", "\"" + name + "\": expected an object of hyper-parameters");
      try {
        find_learner(name);
      } catch (const std::invalid_argument& e) {
        r.fail("baselines", e.what());
      }
    }
    for (double rho : rho_values)
      if (!(rho > 0 && rho <= 2)) r.fail("rho_values", "each must be in (0, 2]");
    for (double lr : critic_lr_values)
      if (!(lr > 0 && lr <= 1)) r.fail("critic_lr_values", "each must be in (0, 1]");
    for (const char* key : {"seed", "eval_starts", "reward", "exploration"})
      if (loop.contains(key)) r.fail("loop", std::string("\"") + key + "\" is set per method by the experiment; remove it");
  }
};

// The paper's Table 1 (section 4.4): V-hat by the Conservative-OPEstimator and online ADTime / UPIRate
// relative to BO, in per cent; NaN where the paper gives none.
struct PaperRow {
  const char* method;
  double v_hat, adtime, upirate;
};
constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
constexpr PaperRow kPaperTable1[] = {
    {"BO", kNone, 0, 0},
    {"ES", kNone, 0.376, 0.402},
    {"TD3", -648.162, kNone, kNone},
    {"UWAC+TD3", -297.053, -0.513, 16.061},
    {"CQL+SAC", 5.194, 2.322, 10.258},
    {"BatchRL-MTF", 4.126, 2.216, 9.118},
    {"BatchRL-MTF-RE", 3.023, 0.862, -1.282},
    {"BatchRL-MTF-Rtime", kNone, 2.254, 8.877},
    {"BatchRL-MTF-Rintegrity", kNone, 1.996, 9.464},
    {"BatchRL-MTF-Rinteraction", kNone, 2.550, 9.651},
};

std::string learner_display_name(const std::string& learner) {
  if (learner == "td3") return "TD3";
  if (learner == "uwac_td3") return "UWAC+TD3";
  if (learner == "cql_sac") return "CQL+SAC";
  return learner;
}

// One row of the table.
struct Method {
  std::string name;
  std::string protocol;             // how it was trained
  std::shared_ptr<Policy> policy;   // null when training diverged
  std::string error;                // why there is no policy
  double train_seconds = 0;
  nlohmann::json details = nlohmann::json::object();
  sim::ValueEstimate truth;
  std::map<std::string, std::vector<double>> v_hat;  // estimator -> one V-hat per fit
};

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? kNone : s / double(v.size());
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

nlohmann::json comparison_json(const sim::PairedComparison& c) {
  return {{"relative", c.relative}, {"ci95", {c.ci_low, c.ci_high}}, {"p_value", c.p_value}};
}

sim::PairedComparison paired_truth(const sim::ValueEstimate& arm, const sim::ValueEstimate& base) {
  const std::vector<double> ones(arm.per_rollout.size(), 1.0);
  return sim::compare_paired(arm.per_rollout, ones, base.per_rollout, ones);
}

std::string format(const char* f, double a, double b = 0, double c = 0, double d = 0) {
  char line[256];
  std::snprintf(line, sizeof line, f, a, b, c, d);
  return line;
}

std::string pct_cell(const sim::PairedComparison& c) {
  const std::string p = c.p_value < 1e-4 ? "p<1e-4" : format("p=%.2g", c.p_value);
  return format("%+.2f %% [%+.2f, %+.2f] ", 100 * c.relative, 100 * c.ci_low, 100 * c.ci_high) + p;
}

std::string paper_cell(double v, bool percent) {
  if (std::isnan(v)) return "–";
  return percent ? format("%+.3f %%", v) : format("%.3f", v);
}

// The session starts of a log (their first states), at most n.
MatrixR<float> session_starts(const SessionLog& log, Index n) {
  const Index rows = std::min<Index>(n, Index(log.sessions.size()));
  MatrixR<float> starts(rows, log.state_dim);
  for (Index i = 0; i < rows; ++i)
    std::copy_n(log.state(log.sessions[std::size_t(i)].begin), log.state_dim, starts.row(i).data());
  return starts;
}

SessionLog merged(const std::deque<SessionLog>& window) {
  SessionLog all = window.front();
  for (std::size_t k = 1; k < window.size(); ++k) all.append(window[k]);
  return all;
}

// The logged actions of the first n rows of a log.
MatrixR<float> logged_actions(const SessionLog& log, Index n) {
  const Index rows = std::min<Index>(n, log.num_steps());
  MatrixR<float> a(rows, kActionDim);
  std::copy_n(log.actions.data(), rows * kActionDim, a.data());
  return a;
}

MatrixR<float> actions_on(Policy& policy, const SessionLog& log, Index n, std::uint64_t seed) {
  const Index rows = std::min<Index>(n, log.num_steps());
  MatrixR<float> a(rows, kActionDim);
  Rng rng(seed);
  policy.act(log.states.data(), int(rows), a.data(), rng);
  return a;
}

// Figure 8: two panels (rho, critic learning rate), true value with its interval and both estimates.
std::string figure8_script(const std::string& tsv, const std::string& png) {
  std::string s = "set terminal pngcairo noenhanced size 1300,520 font ',11'\nset output " + gnuplot_quoted(png) +
                  "\nset multiplot layout 1,2 title " +
                  gnuplot_quoted("Figure 8: BCQ retrained offline on BatchRL-MTF's window; star: best true value, circle: "
                                 "best V-hat (cope)") +
                  "\nset grid\nset key bottom right\nset datafile missing 'NaN'\n";
  const char* panels[2][3] = {{"rho", "perturbation bound rho", ""}, {"critic_lr", "critic learning rate", "set logscale x\n"}};
  for (const auto& p : panels) {
    const std::string sel = std::string("(strcol(1) eq '") + p[0] + "' ? ";
    s += std::string(p[2]) + "set title '" + p[1] + "'\nset xlabel '" + p[1] +
         "'\nset ylabel 'value (discounted session return)'\nplot " + gnuplot_quoted(tsv) + " using " + sel +
         "$2 : NaN):3:4 with yerrorlines lw 2 title 'true value', " + gnuplot_quoted(tsv) + " using " + sel +
         "$2 : NaN):5 with linespoints lw 2 title 'V-hat cope', " + gnuplot_quoted(tsv) + " using " + sel +
         "$2 : NaN):6 with linespoints lw 1 dt 2 title 'V-hat fqe', " + gnuplot_quoted(tsv) + " using " + sel +
         "($7 > 0 ? $2 : NaN) : NaN):3 with points pt 3 ps 3 lc rgb 'red' title 'best true', " + gnuplot_quoted(tsv) +
         " using " + sel + "($8 > 0 ? $2 : NaN) : NaN):5 with points pt 6 ps 3 lc rgb 'black' title 'best V-hat'\n" +
         (p[2][0] ? "unset logscale x\n" : "");
  }
  return s + "unset multiplot\n";
}

// How many of the first `arms` A/B arms (the paper's methods; the reference comes after them) have a
// strictly higher ADTime (or UPIRate) than `arm`.
int arms_above(const sim::AbReport& ab, int arms, int arm, bool upirate) {
  const auto value = [&](int a) { return upirate ? ab.arms[std::size_t(a)].upirate : ab.arms[std::size_t(a)].adtime; };
  int above = 0;
  for (int a = 0; a < arms; ++a) above += value(a) > value(arm);
  return above;
}

}  // namespace

int experiment_command(int argc, char** argv) {
  CLI::App app(kDescription, "mtf experiment");
  std::string which, config_path, out_dir;
  std::uint64_t seed = 0;
  bool quick = false, quiet = false;
  app.add_option("experiment", which, "the experiment: table1")->required()->check(CLI::IsMember({"table1"}));
  app.add_option("--config", config_path, "config (JSON); default: the defaults listed above");
  app.add_option("--out", out_dir, "output folder")->required();
  CLI::Option* seed_option = add_seed(app, "--seed", seed, "the run's seed (overrides the config's)");
  seed_option->default_str("config");
  app.add_flag("--quick", quick, "tiny sizes patched over the config: a smoke test of the pipeline, in seconds");
  add_threads(app);
  app.add_flag("--quiet", quiet, "no progress lines");
  if (const int status = parse(app, argc, argv); status >= 0) return status;
  std::string command = "mtf experiment";
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  const auto t_start = std::chrono::steady_clock::now();

  nlohmann::json file = config_path.empty() ? nlohmann::json::object() : load_json_file(config_path);
  const std::string source = config_path.empty() ? "default config" : config_path;
  if (!file.is_object()) throw ConfigError(source + ": expected a JSON object");
  if (quick) {
    // The patch goes over the defaults of the nested objects too, so they are filled in first.
    if (!file.contains("loop")) file["loop"] = default_loop_settings();
    if (!file.contains("baselines")) file["baselines"] = default_baselines();
    file.merge_patch(nlohmann::json::parse(kQuickPatch));
  }
  if (seed_option->count() > 0) file["seed"] = seed;
  const sim::SimConfig sim_config = take_simulator_config(file, source);
  const Table1Config config = config_from_json<Table1Config>(file, source);
  if (std::filesystem::exists(out_dir) && !std::filesystem::is_directory(out_dir))
    throw std::runtime_error(out_dir + ": --out names a file that is not a folder (mtf experiment writes several files into --out)");
  if (std::filesystem::exists(out_dir + "/table1.json"))
    throw std::runtime_error(out_dir + "/table1.json: an experiment was already run here (another --out, or remove it)");
  const sim::Simulator simulator(sim_config);
  std::ostream* progress = quiet ? nullptr : &std::cout;
  auto say = [&](const std::string& line) {
    if (progress) *progress << "[" << format("%.0f", seconds_since(t_start)) << " s] " << line << "\n" << std::flush;
  };

  // Every sub-config is read (and its errors reported) before anything runs or is written.
  struct LoopVariant {
    std::string name, exploration, reward;
  };
  const std::vector<LoopVariant> variants = {{"BatchRL-MTF", "mixed", "default"},
                                             {"BatchRL-MTF-RE", "random", "default"},
                                             {"BatchRL-MTF-Rtime", "mixed", "Rtime"},
                                             {"BatchRL-MTF-Rintegrity", "mixed", "Rintegrity"},
                                             {"BatchRL-MTF-Rinteraction", "mixed", "Rinteraction"}};
  std::vector<LoopConfig> loop_configs;
  for (const LoopVariant& variant : variants) {
    nlohmann::json j = LoopConfig{}.to_json();
    j.merge_patch(default_loop_settings());
    j.merge_patch(config.loop);
    j["exploration"] = variant.exploration;
    j["reward"] = variant.reward;
    j["eval_starts"] = config.eval_starts;
    j["seed"] = config.seed;  // the same seed: the same users, groups and days for every variant
    loop_configs.push_back(config_from_json<LoopConfig>(j, source + ": loop"));
  }
  nlohmann::json bo_json = config.bo, es_json = config.es;
  for (nlohmann::json* j : {&bo_json, &es_json}) {
    (*j)["seed"] = config.seed;
    (*j)["eval_starts"] = config.eval_starts;
  }
  const auto bo_config = config_from_json<online::BoArmConfig>(bo_json, source + ": bo");
  const auto es_config = config_from_json<online::EsArmConfig>(es_json, source + ": es");
  const nlohmann::json loop_learner = loop_configs.front().learner;
  auto bcq_hyper = [&](double rho, double critic_lr) {
    nlohmann::json h = loop_learner;
    h["state_dim"] = simulator.state_dim();
    h["action_dim"] = kActionDim;
    h["rho"] = rho;
    h["critic_lr"] = critic_lr;
    return h;
  };
  if (loop_configs.front().algo != "bcq") throw ConfigError(source + ": loop: field \"algo\": BatchRL-MTF's learner is bcq");
  // The loop's own rho and critic learning rate (its hyper-parameters with BCQ's defaults filled in).
  const nlohmann::json loop_bcq = make_learner("bcq", [&] {
    nlohmann::json h = loop_learner;
    h["state_dim"] = simulator.state_dim();
    h["action_dim"] = kActionDim;
    return h;
  }(), source + ": loop: learner")->hyperparameters();
  const double loop_rho = loop_bcq.at("rho").get<double>(), loop_critic_lr = loop_bcq.at("critic_lr").get<double>();
  for (const auto& [name, hyper] : config.baselines.items()) {
    nlohmann::json h = hyper;
    h["state_dim"] = simulator.state_dim();
    h["action_dim"] = kActionDim;
    make_learner(name, h, source + ": baselines: " + name);  // checks its keys now
  }
  for (const char* name : {"cope", "fqe"}) make_estimator(name, config.estimator, simulator.state_dim(), kActionDim, source + ": estimator");

  std::filesystem::create_directories(out_dir + "/loops");
  std::filesystem::create_directories(out_dir + "/online");
  std::filesystem::create_directories(out_dir + "/metrics");
  say("mtf experiment table1: seed " + std::to_string(config.seed) + ", " + std::to_string(simulator.num_users()) + " users, " +
      std::to_string(config.days) + " days per method, " + std::to_string(num_threads()) + " threads");
  nlohmann::json stage_seconds = nlohmann::json::object();

  // 1. The loops: BatchRL-MTF and its four variants.
  std::vector<Method> methods;
  std::map<std::string, std::deque<SessionLog>> windows;  // the final training window of each loop
  std::unique_ptr<OnlineLoop> mixed_loop;                  // kept for the global-alpha reference
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t v = 0; v < variants.size(); ++v) {
    const auto t_loop = std::chrono::steady_clock::now();
    auto loop = std::make_unique<OnlineLoop>(simulator, loop_configs[v]);
    std::string days_lines;
    while (loop->day() < config.days) {
      const nlohmann::json& day = loop->run_day(nullptr);
      days_lines += day.dump() + "\n";
      say(variants[v].name + ": day " + std::to_string(loop->day()) + "/" + std::to_string(config.days) + ", " +
          (day.contains("gate") ? day["gate"].value("decision", "") : std::string("")) + ", deployed true value " +
          format("%.4f", day["true_value"]["mean"].get<double>()));
    }
    write_file_atomically(out_dir + "/loops/" + variants[v].name + ".jsonl", days_lines);
    Method m;
    m.name = variants[v].name;
    m.protocol = "online loop, " + variants[v].exploration + " exploration, reward " + variants[v].reward;
    m.policy = loop->deployed();
    m.train_seconds = seconds_since(t_loop);
    m.details = {{"deployed", loop->deployed()->name()}, {"sessions_served", loop->sessions_served()}};
    methods.push_back(std::move(m));
    windows[variants[v].name] = loop->window();
    if (v == 0) mixed_loop = std::move(loop);
  }
  stage_seconds["loops"] = seconds_since(t0);

  // 2. The online baselines with the same days of traffic.
  t0 = std::chrono::steady_clock::now();
  for (const std::string arm : {"BO", "ES"}) {
    const auto t_arm = std::chrono::steady_clock::now();
    say(arm + ": " + std::to_string(config.days) + " days");
    online::OnlineArmResult r = arm == "BO" ? online::run_bo_arm(simulator, bo_config, config.days, nullptr)
                                            : online::run_es_arm(simulator, es_config, config.days, nullptr);
    std::string lines;
    for (const nlohmann::json& h : r.history) lines += h.dump() + "\n";
    write_file_atomically(out_dir + "/online/" + (arm == "BO" ? "bo" : "es") + ".jsonl", lines);
    Method m;
    m.name = arm;
    m.protocol = arm == "BO" ? "online, GP + UCB over one global alpha" : "online, NES of a network on the instant reward";
    m.policy = r.policy;
    m.train_seconds = seconds_since(t_arm);
    m.details = r.summary();
    methods.insert(methods.begin() + (arm == "BO" ? 0 : 1), std::move(m));
  }
  stage_seconds["online_baselines"] = seconds_since(t0);

  // 3. The offline baselines on BatchRL-MTF's final window (mixed exploration data, the default reward).
  t0 = std::chrono::steady_clock::now();
  const SessionLog window = merged(windows.at("BatchRL-MTF"));
  const TransitionBatch window_data = build_transitions(window, reward_preset("default"));
  ReplayBuffer buffer(simulator.state_dim(), std::max<long long>(1, window_data.rows()), kActionDim);
  buffer.add_all(window_data);
  say("offline learners on BatchRL-MTF's final window: " + std::to_string(window.sessions.size()) + " sessions, " +
      std::to_string(window_data.rows()) + " transitions");
  QCurves q_curves;
  std::vector<std::string> q_names;
  auto train_offline = [&](const std::string& learner, nlohmann::json hyper, const std::string& label, long long iterations,
                           const std::string& metrics_name) {
    hyper["state_dim"] = simulator.state_dim();
    hyper["action_dim"] = kActionDim;
    hyper["seed"] = mix_seed(config.seed, "learner " + label);
    std::unique_ptr<Learner> l = make_learner(learner, hyper, source + ": " + label);
    const std::string metrics_path = out_dir + "/metrics/" + metrics_name + ".jsonl";
    std::filesystem::remove(metrics_path);  // the trainer appends
    TrainOptions options;
    options.iterations = iterations;
    options.log_every = config.log_every;
    options.metrics_path = metrics_path;
    Method m;
    m.name = label;
    m.protocol = "offline, " + std::to_string(iterations) + " updates on BatchRL-MTF's final window";
    const auto t_train = std::chrono::steady_clock::now();
    try {
      train(*l, buffer, options);
      m.policy = l->snapshot(label);
    } catch (const TrainingDiverged& e) {
      m.error = e.what();  // a baseline that blows up is a finding: kept in the table
    }
    m.train_seconds = seconds_since(t_train);
    m.details = {{"hyperparameters", l->hyperparameters()}, {"iterations", l->iteration()}};
    if (!m.error.empty()) m.details["diverged"] = m.error;
    read_q_curve(metrics_path, label, q_curves);
    say(label + ": " + (m.error.empty() ? "trained" : "diverged: " + m.error));
    return m;
  };
  for (const auto& [learner, hyper] : config.baselines.items()) {
    Method m = train_offline(learner, hyper, learner_display_name(learner), config.baseline_iterations, learner);
    q_names.push_back(m.name);
    methods.insert(methods.begin() + 2 + (q_names.size() - 1), std::move(m));
  }
  // The paper's row order (BO first: it is the A/B's baseline arm); methods it does not list keep their place after.
  auto paper_order = [](const Method& m) {
    for (std::size_t k = 0; k < std::size(kPaperTable1); ++k)
      if (m.name == kPaperTable1[k].method) return k;
    return std::size(kPaperTable1);
  };
  std::stable_sort(methods.begin(), methods.end(), [&](const Method& a, const Method& b) { return paper_order(a) < paper_order(b); });
  stage_seconds["offline_baselines"] = seconds_since(t0);

  // 4. Figure 8's sensitivity runs: BCQ from scratch on the same window, per rho (at the loop's critic
  //    learning rate) and per critic learning rate (at the loop's rho); a shared point is trained once.
  t0 = std::chrono::steady_clock::now();
  struct SweepPoint {
    std::string parameter;
    double value = 0;
    std::size_t run = 0;  // index into sweep_runs
  };
  std::vector<SweepPoint> sweep;
  std::vector<Method> sweep_runs;
  std::map<std::pair<double, double>, std::size_t> trained_at;
  auto sweep_run = [&](double rho, double critic_lr) {
    const auto key = std::make_pair(rho, critic_lr);
    if (auto it = trained_at.find(key); it != trained_at.end()) return it->second;
    const std::string label = "BCQ rho " + format("%g", rho) + " critic_lr " + format("%g", critic_lr);
    const std::string metrics_name = "bcq_rho_" + format("%g", rho) + "_critic_lr_" + format("%g", critic_lr);
    sweep_runs.push_back(train_offline("bcq", bcq_hyper(rho, critic_lr), label, config.sweep_iterations, metrics_name));
    trained_at[key] = sweep_runs.size() - 1;
    return sweep_runs.size() - 1;
  };
  for (double rho : config.rho_values) sweep.push_back({"rho", rho, sweep_run(rho, loop_critic_lr)});
  for (double lr : config.critic_lr_values) sweep.push_back({"critic_lr", lr, sweep_run(loop_rho, lr)});
  // Figure 5's BCQ curve: the sensitivity run at the loop's own settings, when the grids hold it.
  std::string bcq_curve;
  if (auto it = trained_at.find({loop_rho, loop_critic_lr}); it != trained_at.end()) {
    bcq_curve = sweep_runs[it->second].name;
    q_names.push_back(bcq_curve);
  }
  stage_seconds["sensitivity_training"] = seconds_since(t0);

  // The global-alpha reference: searched with the mixed loop's sessions (what `mtf loop --reference` does).
  t0 = std::chrono::steady_clock::now();
  std::vector<Method> references;
  if (config.global_alpha_reference) {
    say("best global alpha: searching with the loop's " + std::to_string(mixed_loop->sessions_served()) + " sessions");
    const GlobalAlphaReference ref = search_global_alpha(simulator, *mixed_loop, mixed_loop->sessions_served());
    Method m;
    m.name = "best global α (reference)";
    m.protocol = "simulator search of one global alpha with the loop's sessions (not a method of the paper)";
    m.policy = std::make_shared<ConstantPolicy>(ref.action, "best global alpha");
    m.details = {{"action", ref.action}, {"sessions_used", ref.sessions_used}};
    references.push_back(std::move(m));
  }
  stage_seconds["global_alpha_search"] = seconds_since(t0);

  // 5. True values (default reward, the same starts and seeds for every policy) and V-hat.
  t0 = std::chrono::steady_clock::now();
  const online::TruthProtocol truth(simulator, config.eval_starts, config.seed, "default");
  const MatrixR<float> initial = session_starts(window, 5000);
  auto measure = [&](Method& m) {
    if (!m.policy) return;
    m.truth = truth(simulator, *m.policy);
    for (const char* estimator : {"cope", "fqe"})
      for (int fit = 0; fit < config.estimator_fits; ++fit) {
        nlohmann::json settings = config.estimator;
        settings["seed"] = mix_seed(mix_seed(config.seed, "estimator"), std::uint64_t(fit));  // the same for every policy
        auto e = make_estimator(estimator, settings, simulator.state_dim(), kActionDim, source + ": estimator");
        e->fit(window_data, *m.policy);
        m.v_hat[estimator].push_back(e->estimate_per_state(initial, *m.policy).mean());
      }
    say(m.name + ": true value " + format("%.4f", m.truth.mean) + ", V-hat cope " + format("%.4f", mean_of(m.v_hat["cope"])) +
        ", fqe " + format("%.4f", mean_of(m.v_hat["fqe"])));
  };
  for (Method& m : methods) measure(m);
  for (Method& m : references) measure(m);
  for (Method& m : sweep_runs) measure(m);
  stage_seconds["truth_and_v_hat"] = seconds_since(t0);

  // 6. The online A/B against BO: fresh days after the training days, the same users, days and seeds for all.
  t0 = std::chrono::steady_clock::now();
  std::vector<sim::AbArm> arms;
  std::vector<int> arm_of(methods.size() + references.size(), -1);
  for (std::size_t i = 0; i < methods.size() + references.size(); ++i) {
    const Method& m = i < methods.size() ? methods[i] : references[i - methods.size()];
    if (!m.policy) continue;
    arm_of[i] = int(arms.size());
    arms.push_back({m.name, m.policy});
  }
  sim::DaysOptions ab_days;
  ab_days.first_day = config.days;
  ab_days.days = config.ab_days;
  ab_days.seed = mix_seed(config.seed, "table1 A/B days");
  sim::RolloutOptions ab_options;
  ab_options.reward = reward_preset("default");
  ab_options.policy_seed = mix_seed(config.seed, "table1 A/B serving");
  say("online A/B: " + std::to_string(arms.size()) + " arms, " + std::to_string(config.ab_days) + " days");
  const sim::AbReport ab = sim::run_ab_test(simulator, arms, 0, ab_days, ab_options);  // arm 0 is BO
  stage_seconds["ab_test"] = seconds_since(t0);

  // 7. The table, the claims, the figures.
  const Method& bo = methods.front();
  auto method_index = [&](const std::string& name) {
    for (std::size_t i = 0; i < methods.size(); ++i)
      if (methods[i].name == name) return int(i);
    return -1;
  };
  nlohmann::json rows = nlohmann::json::array();
  std::string md = "| method | V̂ cope (ours) | V̂ fqe | true value ± 95 % | true vs BO | ADTime vs BO | UPIRate vs BO | "
                   "paper V̂ | paper ADTime | paper UPIRate |\n|---|---|---|---|---|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < methods.size() + references.size(); ++i) {
    const Method& m = i < methods.size() ? methods[i] : references[i - methods.size()];
    const PaperRow* paper = nullptr;
    for (const PaperRow& p : kPaperTable1)
      if (m.name == p.method) paper = &p;
    nlohmann::json row = {{"method", m.name}, {"protocol", m.protocol}, {"train_seconds", m.train_seconds}, {"details", m.details}};
    std::string cells = "| " + m.name + " | ";
    if (!m.policy) {
      row["error"] = m.error;
      cells += "diverged | | | | | | ";
    } else {
      for (const auto& [estimator, fits] : m.v_hat) row["v_hat"][estimator] = {{"mean", mean_of(fits)}, {"fits", fits}};
      row["true_value"] = {{"mean", m.truth.mean}, {"ci95", 1.96 * m.truth.std_error}, {"mean_length", m.truth.mean_length},
                           {"mean_first_reward", m.truth.mean_first_reward}};
      const sim::AbArmReport& a = ab.arms[std::size_t(arm_of[i])];
      row["ab"] = {{"adtime", a.adtime}, {"upirate", a.upirate}, {"session_return", a.session_return},
                   {"sessions_per_user_day", a.sessions_per_user_day}};
      cells += format("%.4f | %.4f | %.4f ± %.4f | ", mean_of(m.v_hat.at("cope")), mean_of(m.v_hat.at("fqe")), m.truth.mean,
                      1.96 * m.truth.std_error);
      if (&m == &bo) {
        cells += "* | * (" + format("%.1f s", a.adtime) + ") | * (" + format("%.4f", a.upirate) + ") | ";
      } else {
        const sim::PairedComparison t = paired_truth(m.truth, bo.truth);
        row["true_vs_bo"] = comparison_json(t);
        row["ab"]["adtime_vs_bo"] = comparison_json(a.adtime_vs_baseline);
        row["ab"]["upirate_vs_bo"] = comparison_json(a.upirate_vs_baseline);
        row["ab"]["return_vs_bo"] = comparison_json(a.return_vs_baseline);
        cells += pct_cell(t) + " | " + pct_cell(a.adtime_vs_baseline) + " | " + pct_cell(a.upirate_vs_baseline) + " | ";
      }
    }
    if (paper) {
      row["paper"] = {{"v_hat", std::isnan(paper->v_hat) ? nlohmann::json() : nlohmann::json(paper->v_hat)},
                      {"adtime_percent", std::isnan(paper->adtime) ? nlohmann::json() : nlohmann::json(paper->adtime)},
                      {"upirate_percent", std::isnan(paper->upirate) ? nlohmann::json() : nlohmann::json(paper->upirate)}};
      cells += paper_cell(paper->v_hat, false) + " | " + (&m == &bo ? std::string("*") : paper_cell(paper->adtime, true)) + " | " +
               (&m == &bo ? std::string("*") : paper_cell(paper->upirate, true)) + " |\n";
    } else {
      cells += "| | |\n";
    }
    md += cells;
    rows.push_back(row);
  }

  // The paper's claims, one by one.
  nlohmann::json claims = nlohmann::json::array();
  std::string claims_md;
  auto claim = [&](const std::string& text, bool holds, const std::string& evidence) {
    claims.push_back({{"claim", text}, {"confirmed", holds}, {"evidence", evidence}});
    claims_md += "- **" + std::string(holds ? "confirmed" : "not confirmed") + "**: " + text + " — " + evidence + "\n";
  };
  const int mtf = method_index("BatchRL-MTF"), re = method_index("BatchRL-MTF-RE");
  {
    const int arm = arm_of[std::size_t(mtf)];
    int method_arms = 0;
    for (std::size_t i = 0; i < methods.size(); ++i) method_arms += arm_of[i] >= 0;
    const int above_ad = arms_above(ab, method_arms, arm, false), above_upi = arms_above(ab, method_arms, arm, true);
    claim("BatchRL-MTF is best on ADTime and UPIRate (section 4.6.1)", above_ad == 0 && above_upi == 0,
          "ADTime rank " + std::to_string(above_ad + 1) + " and UPIRate rank " + std::to_string(above_upi + 1) + " of " +
              std::to_string(method_arms) + " methods");
  }
  {
    const sim::AbArmReport& m = ab.arms[std::size_t(arm_of[std::size_t(mtf)])];
    const sim::AbArmReport& r = ab.arms[std::size_t(arm_of[std::size_t(re)])];
    const sim::PairedComparison t = paired_truth(methods[std::size_t(re)].truth, methods[std::size_t(mtf)].truth);
    claim("BatchRL-MTF-RE (random exploration only) is worse than mixed exploration (section 4.6.1)",
          r.adtime < m.adtime && r.upirate < m.upirate && t.relative < 0,
          "ADTime " + format("%.2f vs %.2f s", r.adtime, m.adtime) + ", UPIRate " + format("%.4f vs %.4f", r.upirate, m.upirate) +
              ", true value -RE vs mixed " + pct_cell(t));
  }
  {
    std::string evidence;
    bool holds = true;
    for (const char* name : {"TD3", "UWAC+TD3"}) {
      const int i = method_index(name);
      if (i < 0) continue;
      const Method& m = methods[std::size_t(i)];
      const double v = m.policy ? mean_of(m.v_hat.at("cope")) : kNone;
      holds = holds && m.policy && v < 0;
      evidence += std::string(evidence.empty() ? "" : "; ") + name + " V̂ cope " + (m.policy ? format("%.4f", v) : "diverged") +
                  (m.policy ? " (true " + format("%.4f", m.truth.mean) + ")" : "");
    }
    claim("the Conservative-OPEstimator gives TD3 and UWAC+TD3 negative V̂ (section 4.5.1)", holds, evidence);
  }
  {
    // The paper ranks the RL models it evaluated offline and online alike (TD3 aside, never deployed).
    std::vector<double> v_hat, adtime, upirate, true_values;
    std::string names;
    for (const char* name : {"UWAC+TD3", "CQL+SAC", "BatchRL-MTF", "BatchRL-MTF-RE"}) {
      const int i = method_index(name);
      if (i < 0 || !methods[std::size_t(i)].policy) continue;
      const Method& m = methods[std::size_t(i)];
      v_hat.push_back(mean_of(m.v_hat.at("cope")));
      adtime.push_back(ab.arms[std::size_t(arm_of[std::size_t(i)])].adtime);
      upirate.push_back(ab.arms[std::size_t(arm_of[std::size_t(i)])].upirate);
      true_values.push_back(m.truth.mean);
      names += std::string(names.empty() ? "" : ", ") + name;
    }
    const bool enough = v_hat.size() >= 2;
    const double s_ad = enough ? spearman(v_hat, adtime) : kNone, s_upi = enough ? spearman(v_hat, upirate) : kNone;
    const double s_true = enough ? spearman(v_hat, true_values) : kNone;
    claim("the offline ranking (V̂ cope) agrees with the online one (section 4.6.1: \"completely consistent\")",
          enough && s_ad == 1.0 && s_upi == 1.0,
          "Spearman of V̂ cope with ADTime " + format("%.2f", s_ad) + ", with UPIRate " + format("%.2f", s_upi) +
              ", with the true value " + format("%.2f", s_true) + " over " + names);
  }
  {
    const int i = method_index("ES");
    const sim::AbArmReport& e = ab.arms[std::size_t(arm_of[std::size_t(i)])];
    claim("ES improves slightly on BO (section 4.6.1)", e.adtime_vs_baseline.relative > 0 && e.upirate_vs_baseline.relative > 0,
          "ADTime " + pct_cell(e.adtime_vs_baseline) + ", UPIRate " + pct_cell(e.upirate_vs_baseline));
  }
  {
    const int i = method_index("BatchRL-MTF-Rinteraction");
    int best_variant = -1;
    for (const char* name : {"BatchRL-MTF-Rtime", "BatchRL-MTF-Rintegrity", "BatchRL-MTF-Rinteraction"}) {
      const int k = method_index(name);
      if (best_variant < 0 || ab.arms[std::size_t(arm_of[std::size_t(k)])].adtime > ab.arms[std::size_t(arm_of[std::size_t(best_variant)])].adtime)
        best_variant = k;
    }
    const sim::AbArmReport& a = ab.arms[std::size_t(arm_of[std::size_t(i)])];
    const sim::AbArmReport& m = ab.arms[std::size_t(arm_of[std::size_t(mtf)])];
    claim("BatchRL-MTF-Rinteraction is the best reward variant and beats BatchRL-MTF on ADTime and UPIRate (section 4.6.2)",
          best_variant == i && a.adtime > m.adtime && a.upirate > m.upirate,
          "best variant on ADTime: " + methods[std::size_t(best_variant)].name + "; Rinteraction vs BatchRL-MTF ADTime " +
              format("%.2f vs %.2f s", a.adtime, m.adtime) + ", UPIRate " + format("%.4f vs %.4f", a.upirate, m.upirate));
  }

  // Figure 8's table.
  std::string fig8 = "# parameter\tvalue\ttrue_value\ttrue_ci95\tv_hat_cope\tv_hat_fqe\tbest_true\tbest_v_hat\n";
  nlohmann::json sensitivity = nlohmann::json::array();
  for (const std::string parameter : {"rho", "critic_lr"}) {
    int best_true = -1, best_v = -1;
    for (int k = 0; k < int(sweep.size()); ++k) {
      if (sweep[std::size_t(k)].parameter != parameter) continue;
      const Method& r = sweep_runs[sweep[std::size_t(k)].run];
      if (!r.policy) continue;
      if (best_true < 0 || r.truth.mean > sweep_runs[sweep[std::size_t(best_true)].run].truth.mean) best_true = k;
      if (best_v < 0 || mean_of(r.v_hat.at("cope")) > mean_of(sweep_runs[sweep[std::size_t(best_v)].run].v_hat.at("cope"))) best_v = k;
    }
    for (int k = 0; k < int(sweep.size()); ++k) {
      const SweepPoint& p = sweep[std::size_t(k)];
      if (p.parameter != parameter) continue;
      const Method& r = sweep_runs[p.run];
      nlohmann::json point = {{"parameter", parameter}, {"value", p.value}, {"run", r.name}};
      if (!r.policy) {
        point["diverged"] = r.error;
        fig8 += parameter + format("\t%g\tNaN\tNaN\tNaN\tNaN\t0\t0\n", p.value);
      } else {
        point["true_value"] = {{"mean", r.truth.mean}, {"ci95", 1.96 * r.truth.std_error}};
        point["v_hat"] = {{"cope", mean_of(r.v_hat.at("cope"))}, {"fqe", mean_of(r.v_hat.at("fqe"))}};
        point["best_true"] = k == best_true;
        point["best_v_hat"] = k == best_v;
        fig8 += parameter + format("\t%g\t%.6f\t%.6f", p.value, r.truth.mean, 1.96 * r.truth.std_error) +
                format("\t%.6f\t%.6f", mean_of(r.v_hat.at("cope")), mean_of(r.v_hat.at("fqe"))) +
                format("\t%d\t%d\n", k == best_true, k == best_v);
      }
      sensitivity.push_back(point);
    }
  }

  // Figures 6 and 7: actions on the windows' states.
  const Index n_states = config.action_states;
  std::vector<PolicyActions> fig6_policies = {{"logged (mixed window)", logged_actions(window, n_states)}};
  for (const char* name : {"TD3", "UWAC+TD3", "CQL+SAC", "BatchRL-MTF"}) {
    const int i = method_index(name);
    if (i < 0 || !methods[std::size_t(i)].policy) continue;
    fig6_policies.push_back({name, actions_on(*methods[std::size_t(i)].policy, window, n_states, mix_seed(config.seed, "figure 6 serving"))});
  }
  const SessionLog re_window = merged(windows.at("BatchRL-MTF-RE"));
  std::vector<PolicyActions> fig7_policies = {
      {"logged (BatchRL-MTF's window)", logged_actions(window, n_states)},
      {"BatchRL-MTF", actions_on(*methods[std::size_t(mtf)].policy, window, n_states, mix_seed(config.seed, "figure 7 serving"))},
      {"logged (BatchRL-MTF-RE's window)", logged_actions(re_window, n_states)},
      {"BatchRL-MTF-RE", actions_on(*methods[std::size_t(re)].policy, re_window, n_states, mix_seed(config.seed, "figure 7 serving"))}};
  nlohmann::json edge = nlohmann::json::object();
  for (const auto* set : {&fig6_policies, &fig7_policies})
    for (const PolicyActions& p : *set) edge[p.name] = edge_share(p.actions);

  const double total_seconds = seconds_since(t_start);
  nlohmann::json out = {{"command", command}, {"seed", config.seed}, {"config", config.to_json()},
                        {"simulator", sim::to_json(sim_config)}, {"threads", num_threads()}, {"rows", rows},
                        {"claims", claims}, {"sensitivity", sensitivity}, {"edge_share", edge},
                        {"ab", sim::to_json(ab)}, {"seconds", stage_seconds}, {"total_seconds", total_seconds}};
  out["seconds"]["total"] = total_seconds;
  std::string header = "# Table 1 on the simulator (seed " + std::to_string(config.seed) + ")\n\nGenerated by `" + command + "` in " +
                       format("%.0f", total_seconds) + " s at " + std::to_string(num_threads()) + " threads. " +
                       std::to_string(simulator.num_users()) + " users; every method spent " + std::to_string(config.days) +
                       " days of their traffic; the A/B ran " + std::to_string(config.ab_days) + " fresh days (" +
                       std::to_string(ab.user_days) + " user-days per arm). V̂: mean of " + std::to_string(config.estimator_fits) +
                       " fits on BatchRL-MTF's final window (" + std::to_string(window_data.rows()) +
                       " transitions); true value: discounted session return (default reward) from " +
                       std::to_string(config.eval_starts) + " fixed starts, the same for every policy; intervals paired. "
                       "The paper's columns are its Table 1 (a real platform, V̂ on its own reward scale).\n\n";
  write_file_atomically(out_dir + "/table1.md", header + md + "\n## The paper's claims on the simulator\n\n" + claims_md);
  write_file_atomically(out_dir + "/fig8_sensitivity.tsv", fig8);
  write_file_atomically(out_dir + "/fig6_actions.tsv", action_histogram_tsv(fig6_policies));
  write_file_atomically(out_dir + "/fig7_actions.tsv", action_histogram_tsv(fig7_policies));
  write_file_atomically(out_dir + "/fig5_q.tsv", q_curves_tsv(q_curves, q_names));
  const std::string png5 = render_gnuplot(out_dir + "/fig5_q.gp", out_dir + "/fig5_q.png", [&](const std::string& png) {
    return q_figure_script(out_dir + "/fig5_q.tsv", q_names, png);
  });
  const std::string png6 = render_gnuplot(out_dir + "/fig6_actions.gp", out_dir + "/fig6_actions.png", [&](const std::string& png) {
    return action_figure_script(out_dir + "/fig6_actions.tsv", fig6_policies,
                                "Figure 6: actions of the offline learners and BatchRL-MTF on BatchRL-MTF's window", png);
  });
  const std::string png7 = render_gnuplot(out_dir + "/fig7_actions.gp", out_dir + "/fig7_actions.png", [&](const std::string& png) {
    return action_figure_script(out_dir + "/fig7_actions.tsv", fig7_policies,
                                "Figure 7: BatchRL-MTF and BatchRL-MTF-RE beside their own training windows", png);
  });
  const std::string png8 = render_gnuplot(out_dir + "/fig8_sensitivity.gp", out_dir + "/fig8_sensitivity.png",
                                          [&](const std::string& png) { return figure8_script(out_dir + "/fig8_sensitivity.tsv", png); });
  write_file_atomically(out_dir + "/table1.json", out.dump(1) + "\n");  // last: its presence marks a finished run
  std::printf("%s%s\n## The paper's claims on the simulator\n\n%s\nmtf experiment table1: %.0f s; wrote %s/table1.json, "
              "%s/table1.md, %s, %s, %s, %s\n",
              header.c_str(), md.c_str(), claims_md.c_str(), total_seconds, out_dir.c_str(), out_dir.c_str(), png5.c_str(),
              png6.c_str(), png7.c_str(), png8.c_str());
  return 0;
}

}  // namespace mtf::cli
