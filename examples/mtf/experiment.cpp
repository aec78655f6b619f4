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
#include <deque>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

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

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? kNone : s / double(v.size());
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}


// printf into a string; each argument keeps its type (a bool for %d stays an int, not a double).
template <class... Args>
std::string format(const char* f, Args... args) {
  char line[256];
  std::snprintf(line, sizeof line, f, args...);
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

// The loop variants of Table 1: BatchRL-MTF and its exploration and reward variants (section 4.4.2).
struct LoopVariant {
  std::string name, exploration, reward;
};
const std::vector<LoopVariant>& loop_variants() {
  static const std::vector<LoopVariant> variants = {{"BatchRL-MTF", "mixed", "default"},
                                                    {"BatchRL-MTF-RE", "random", "default"},
                                                    {"BatchRL-MTF-Rtime", "mixed", "Rtime"},
                                                    {"BatchRL-MTF-Rintegrity", "mixed", "Rintegrity"},
                                                    {"BatchRL-MTF-Rinteraction", "mixed", "Rinteraction"}};
  return variants;
}

// Everything the run needs, every sub-config read and checked before anything runs or is written.
struct Table1Plan {
  std::string source;
  sim::SimConfig sim_config;
  Table1Config config;
  std::vector<LoopConfig> loops;  // one per loop_variants()
  online::BoArmConfig bo;
  online::EsArmConfig es;
  double loop_rho = 0, loop_critic_lr = 0;  // the loop's BCQ's (its defaults filled in)
};

nlohmann::json with_dims(nlohmann::json hyper, Index state_dim) {
  hyper["state_dim"] = state_dim;
  hyper["action_dim"] = kActionDim;
  return hyper;
}

Table1Plan read_plan(nlohmann::json file, const std::string& source, bool quick, const std::uint64_t* seed) {
  if (!file.is_object()) throw ConfigError(source + ": expected a JSON object");
  if (quick) {
    // The patch goes over the defaults of the nested objects too, so they are filled in first.
    if (!file.contains("loop")) file["loop"] = default_loop_settings();
    if (!file.contains("baselines")) file["baselines"] = default_baselines();
    file.merge_patch(nlohmann::json::parse(kQuickPatch));
  }
  if (seed) file["seed"] = *seed;
  Table1Plan plan;
  plan.source = source;
  plan.sim_config = take_simulator_config(file, source);
  plan.config = config_from_json<Table1Config>(file, source);
  const Table1Config& c = plan.config;
  for (const LoopVariant& variant : loop_variants()) {
    nlohmann::json j = LoopConfig{}.to_json();
    j.merge_patch(default_loop_settings());
    j.merge_patch(c.loop);
    j["exploration"] = variant.exploration;
    j["reward"] = variant.reward;
    j["eval_starts"] = c.eval_starts;
    j["seed"] = c.seed;  // the same seed: the same users, groups and days for every variant
    plan.loops.push_back(config_from_json<LoopConfig>(j, source + ": loop"));
  }
  if (plan.loops.front().algo != "bcq") throw ConfigError(source + ": loop: field \"algo\": BatchRL-MTF's learner is bcq");
  nlohmann::json bo = c.bo, es = c.es;
  for (nlohmann::json* j : {&bo, &es}) {
    (*j)["seed"] = c.seed;
    (*j)["eval_starts"] = c.eval_starts;
  }
  plan.bo = config_from_json<online::BoArmConfig>(bo, source + ": bo");
  plan.es = config_from_json<online::EsArmConfig>(es, source + ": es");
  // The learners' and estimators' keys are checked by building one of each (the state size is the simulator's).
  const Index S = sim::Simulator(plan.sim_config).state_dim();
  const nlohmann::json loop_bcq = make_learner("bcq", with_dims(plan.loops.front().learner, S), source + ": loop: learner")->hyperparameters();
  plan.loop_rho = loop_bcq.at("rho").get<double>();
  plan.loop_critic_lr = loop_bcq.at("critic_lr").get<double>();
  for (const auto& [name, hyper] : c.baselines.items()) make_learner(name, with_dims(hyper, S), source + ": baselines: " + name);
  for (const char* name : {"cope", "fqe"}) make_estimator(name, c.estimator, S, kActionDim, source + ": estimator");
  return plan;
}

// One run of the experiment, stage by stage (the numbers of the file's header comment).
class Table1Run {
 public:
  Table1Run(const Table1Plan& plan, const sim::Simulator& sim, std::string out_dir, std::ostream* progress)
      : plan_(plan), config_(plan.config), sim_(sim), out_(std::move(out_dir)), progress_(progress) {}

  // 1. BatchRL-MTF and its variants: the online loop, `days` days each.
  void run_loops() {
    Stage stage(*this, "loops");
    for (std::size_t v = 0; v < loop_variants().size(); ++v) {
      const LoopVariant& variant = loop_variants()[v];
      const auto t0 = std::chrono::steady_clock::now();
      auto loop = std::make_unique<OnlineLoop>(sim_, plan_.loops[v]);
      std::string days;
      while (loop->day() < config_.days) {
        const nlohmann::json& day = loop->run_day(nullptr);
        days += day.dump() + "\n";
        say(variant.name + ": day " + std::to_string(loop->day()) + "/" + std::to_string(config_.days) + ", " +
            (day.contains("gate") ? day["gate"].value("decision", "") : std::string()) + ", deployed true value " +
            format("%.4f", day["true_value"]["mean"].get<double>()));
      }
      write_file_atomically(out_ + "/loops/" + variant.name + ".jsonl", days);
      Method m;
      m.name = variant.name;
      m.protocol = "online loop, " + variant.exploration + " exploration, reward " + variant.reward;
      m.policy = loop->deployed();
      m.train_seconds = seconds_since(t0);
      m.details = {{"deployed", loop->deployed()->name()}, {"sessions_served", loop->sessions_served()}};
      methods_.push_back(std::move(m));
      windows_[variant.name] = merged(loop->window());
      if (v == 0) mixed_loop_ = std::move(loop);
    }
    // The offline learners' data and the estimators' (mixed exploration, the default reward).
    window_data_ = build_transitions(window(), reward_preset("default"));
    initial_states_ = session_starts(window(), 5000);
  }

  // 2. BO and ES with the same days of traffic.
  void run_online_baselines() {
    Stage stage(*this, "online_baselines");
    for (const std::string arm : {"BO", "ES"}) {
      const auto t0 = std::chrono::steady_clock::now();
      say(arm + ": " + std::to_string(config_.days) + " days");
      const online::OnlineArmResult r = arm == "BO" ? online::run_bo_arm(sim_, plan_.bo, config_.days, nullptr)
                                                    : online::run_es_arm(sim_, plan_.es, config_.days, nullptr);
      std::string lines;
      for (const nlohmann::json& h : r.history) lines += h.dump() + "\n";
      write_file_atomically(out_ + "/online/" + (arm == "BO" ? "bo" : "es") + ".jsonl", lines);
      Method m;
      m.name = arm;
      m.protocol = arm == "BO" ? "online, GP + UCB over one global alpha" : "online, NES of a network on the instant reward";
      m.policy = r.policy;
      m.train_seconds = seconds_since(t0);
      m.details = r.summary();
      methods_.push_back(std::move(m));
    }
  }

  // 3. TD3, UWAC+TD3, CQL+SAC from scratch on BatchRL-MTF's final window; Figure 5's curves.
  void train_offline_baselines() {
    Stage stage(*this, "offline_baselines");
    say("offline learners on BatchRL-MTF's final window: " + std::to_string(window().sessions.size()) + " sessions, " +
        std::to_string(window_data_.rows()) + " transitions");
    for (const auto& [learner, hyper] : config_.baselines.items()) {
      methods_.push_back(train_offline(learner, hyper, learner_display_name(learner), config_.baseline_iterations, learner));
      q_names_.push_back(methods_.back().name);
    }
    // The paper's row order; BO first, the A/B's baseline arm.
    auto paper_order = [](const Method& m) {
      for (std::size_t k = 0; k < std::size(kPaperTable1); ++k)
        if (m.name == kPaperTable1[k].method) return k;
      return std::size(kPaperTable1);
    };
    std::stable_sort(methods_.begin(), methods_.end(), [&](const Method& a, const Method& b) { return paper_order(a) < paper_order(b); });
  }

  // 4. Figure 8: BCQ from scratch on the same window per rho (at the loop's critic learning rate) and per
  //    critic learning rate (at the loop's rho); a point on both grids is trained once.
  void train_sensitivity() {
    Stage stage(*this, "sensitivity_training");
    std::map<std::pair<double, double>, std::size_t> trained_at;
    auto run_at = [&](double rho, double critic_lr) {
      if (auto it = trained_at.find({rho, critic_lr}); it != trained_at.end()) return it->second;
      nlohmann::json hyper = plan_.loops.front().learner;
      hyper["rho"] = rho;
      hyper["critic_lr"] = critic_lr;
      const std::string point = "rho " + format("%g", rho) + " critic_lr " + format("%g", critic_lr);
      sweep_runs_.push_back(train_offline("bcq", hyper, "BCQ " + point, config_.sweep_iterations,
                                          "bcq_rho_" + format("%g", rho) + "_critic_lr_" + format("%g", critic_lr)));
      return trained_at[{rho, critic_lr}] = sweep_runs_.size() - 1;
    };
    for (double rho : config_.rho_values) sweep_.push_back({"rho", rho, run_at(rho, plan_.loop_critic_lr)});
    for (double lr : config_.critic_lr_values) sweep_.push_back({"critic_lr", lr, run_at(plan_.loop_rho, lr)});
    // Figure 5's BCQ curve: the run at the loop's own settings, when the grids hold it.
    if (auto it = trained_at.find({plan_.loop_rho, plan_.loop_critic_lr}); it != trained_at.end())
      q_names_.push_back(sweep_runs_[it->second].name);
  }

  // Beyond the paper: the best global alpha searched with the mixed loop's sessions (mtf loop --reference).
  void search_reference() {
    if (!config_.global_alpha_reference) return;
    Stage stage(*this, "global_alpha_search");
    say("best global alpha: searching with the loop's " + std::to_string(mixed_loop_->sessions_served()) + " sessions");
    const GlobalAlphaReference ref = search_global_alpha(sim_, *mixed_loop_, mixed_loop_->sessions_served());
    Method m;
    m.name = "best global α (reference)";
    m.protocol = "simulator search of one global alpha with the loop's sessions (not a method of the paper)";
    m.policy = std::make_shared<ConstantPolicy>(ref.action, "best global alpha");
    m.details = {{"action", ref.action}, {"sessions_used", ref.sessions_used}};
    references_.push_back(std::move(m));
  }

  // 5. Every policy's true value (default reward, the same starts and seeds for all) and V-hat.
  void measure_all() {
    Stage stage(*this, "truth_and_v_hat");
    const online::TruthProtocol truth(sim_, config_.eval_starts, config_.seed, "default");
    for (auto* group : {&methods_, &references_, &sweep_runs_})
      for (Method& m : *group) {
        if (!m.policy) continue;
        m.truth = truth(sim_, *m.policy);
        for (const char* estimator : {"cope", "fqe"})
          for (int fit = 0; fit < config_.estimator_fits; ++fit) {
            nlohmann::json settings = config_.estimator;
            settings["seed"] = mix_seed(mix_seed(config_.seed, "estimator"), std::uint64_t(fit));  // the same for every policy
            auto e = make_estimator(estimator, settings, sim_.state_dim(), kActionDim, plan_.source + ": estimator");
            e->fit(window_data_, *m.policy);
            m.v_hat[estimator].push_back(e->estimate_per_state(initial_states_, *m.policy).mean());
          }
        say(m.name + ": true value " + format("%.4f", m.truth.mean) + ", V-hat cope " + format("%.4f", mean_of(m.v_hat["cope"])) +
            ", fqe " + format("%.4f", mean_of(m.v_hat["fqe"])));
      }
  }

  // 6. The online A/B against BO: fresh days after the training days, every arm on the same users, days and seeds.
  void run_ab() {
    Stage stage(*this, "ab_test");
    std::vector<sim::AbArm> arms;
    for (auto* group : {&methods_, &references_})
      for (Method& m : *group) {
        if (!m.policy) continue;
        m.arm = int(arms.size());
        arms.push_back({m.name, m.policy});
      }
    sim::DaysOptions days;
    days.first_day = config_.days;
    days.days = config_.ab_days;
    days.seed = mix_seed(config_.seed, "table1 A/B days");
    sim::RolloutOptions options;
    options.reward = reward_preset("default");
    options.policy_seed = mix_seed(config_.seed, "table1 A/B serving");
    say("online A/B: " + std::to_string(arms.size()) + " arms, " + std::to_string(config_.ab_days) + " days");
    ab_ = sim::run_ab_test(sim_, arms, methods_.front().arm, days, options);  // BO
  }

  // 7. table1.json, table1.md and the figures.
  void write(const std::string& command) {
    nlohmann::json rows = nlohmann::json::array();
    const std::string table = table_markdown(rows);
    nlohmann::json claims = nlohmann::json::array();
    const std::string claims_md = check_claims(claims);
    nlohmann::json sensitivity = nlohmann::json::array();
    write_file_atomically(out_ + "/fig8_sensitivity.tsv", figure8_tsv(sensitivity));
    const std::vector<std::string> pngs = write_figures();
    const double total = seconds_since(start_);
    seconds_["total"] = total;
    const std::string header =
        "# Table 1 on the simulator (seed " + std::to_string(config_.seed) + ")\n\nGenerated by `" + command + "` in " +
        format("%.0f", total) + " s at " + std::to_string(num_threads()) + " thread(s). " + std::to_string(sim_.num_users()) +
        " users; every method spent " + std::to_string(config_.days) + " days of their traffic; the A/B ran " +
        std::to_string(config_.ab_days) + " fresh days (" + std::to_string(ab_.user_days) + " user-days per arm). V̂: mean of " +
        std::to_string(config_.estimator_fits) + " fits on BatchRL-MTF's final window (" + std::to_string(window_data_.rows()) +
        " transitions); true value: discounted session return (default reward) from " + std::to_string(config_.eval_starts) +
        " fixed starts, the same for every policy; intervals paired. The paper's columns are its Table 1 (a real platform, "
        "V̂ on its own reward scale).\n\n";
    const std::string md = header + table + "\n## The paper's claims on the simulator\n\n" + claims_md;
    write_file_atomically(out_ + "/table1.md", md);
    const nlohmann::json out = {{"command", command}, {"seed", config_.seed}, {"config", config_.to_json()},
                                {"simulator", sim::to_json(plan_.sim_config)}, {"threads", num_threads()}, {"rows", rows},
                                {"claims", claims}, {"sensitivity", sensitivity}, {"edge_share", edge_shares_},
                                {"ab", sim::to_json(ab_)}, {"seconds", seconds_}, {"total_seconds", total}};
    write_file_atomically(out_ + "/table1.json", out.dump(1) + "\n");  // last: its presence marks a finished run
    std::printf("%s\nmtf experiment table1: %.0f s; wrote %s/table1.json, %s/table1.md", md.c_str(), total, out_.c_str(),
                out_.c_str());
    for (const std::string& png : pngs) std::printf(", %s", png.c_str());
    std::printf("\n");
  }

  void say(const std::string& line) const {
    if (progress_) *progress_ << "[" << format("%.0f", seconds_since(start_)) << " s] " << line << "\n" << std::flush;
  }

 private:
  // One row of the table.
  struct Method {
    std::string name;
    std::string protocol;            // how it was trained
    std::shared_ptr<Policy> policy;  // null when training diverged
    std::string error;               // why there is no policy
    double train_seconds = 0;
    nlohmann::json details = nlohmann::json::object();
    sim::ValueEstimate truth;
    std::map<std::string, std::vector<double>> v_hat;  // estimator -> one V-hat per fit
    int arm = -1;                                      // its arm in the A/B
  };
  struct SweepPoint {
    std::string parameter;
    double value = 0;
    std::size_t run = 0;  // index into sweep_runs_
  };
  // Times a stage into seconds_[name].
  struct Stage {
    Table1Run& run;
    const char* name;
    std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
    Stage(Table1Run& r, const char* n) : run(r), name(n) {}
    ~Stage() { run.seconds_[name] = seconds_since(t0); }
  };

  const SessionLog& window() const { return windows_.at("BatchRL-MTF"); }

  const Method* find(const std::string& name) const {
    for (const Method& m : methods_)
      if (m.name == name) return &m;
    return nullptr;
  }
  const sim::AbArmReport& arm_of(const Method& m) const { return ab_.arms[std::size_t(m.arm)]; }

  Method train_offline(const std::string& learner, nlohmann::json hyper, const std::string& label, long long iterations,
                       const std::string& metrics_name) {
    hyper = with_dims(std::move(hyper), sim_.state_dim());
    hyper["seed"] = mix_seed(config_.seed, "learner " + label);
    std::unique_ptr<Learner> l = make_learner(learner, hyper, plan_.source + ": " + label);
    if (!buffer_) {
      buffer_ = std::make_unique<ReplayBuffer>(sim_.state_dim(), std::max<long long>(1, window_data_.rows()), kActionDim);
      buffer_->add_all(window_data_);
    }
    const std::string metrics_path = out_ + "/metrics/" + metrics_name + ".jsonl";
    std::filesystem::remove(metrics_path);  // the trainer appends
    TrainOptions options;
    options.iterations = iterations;
    options.log_every = config_.log_every;
    options.metrics_path = metrics_path;
    Method m;
    m.name = label;
    m.protocol = "offline, " + std::to_string(iterations) + " updates on BatchRL-MTF's final window";
    const auto t0 = std::chrono::steady_clock::now();
    try {
      train(*l, *buffer_, options);
      m.policy = l->snapshot(label);
    } catch (const TrainingDiverged& e) {
      m.error = e.what();  // a learner that blows up is a finding: kept in the table
    }
    m.train_seconds = seconds_since(t0);
    m.details = {{"hyperparameters", l->hyperparameters()}, {"iterations", l->iteration()}};
    if (!m.error.empty()) m.details["diverged"] = m.error;
    read_q_curve(metrics_path, label, q_curves_);
    say(label + ": " + (m.error.empty() ? "trained" : "diverged: " + m.error));
    return m;
  }

  std::string table_markdown(nlohmann::json& rows) const {
    const Method& bo = methods_.front();
    std::string md = "| method | V̂ cope (ours) | V̂ fqe | true value ± 95 % | true vs BO | ADTime vs BO | UPIRate vs BO | "
                     "paper V̂ | paper ADTime | paper UPIRate |\n|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto* group : {&methods_, &references_})
      for (const Method& m : *group) {
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
          const sim::AbArmReport& a = arm_of(m);
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
          auto number = [](double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); };
          row["paper"] = {{"v_hat", number(paper->v_hat)}, {"adtime_percent", number(paper->adtime)},
                          {"upirate_percent", number(paper->upirate)}};
          cells += paper_cell(paper->v_hat, false) + " | " + (&m == &bo ? std::string("*") : paper_cell(paper->adtime, true)) +
                   " | " + (&m == &bo ? std::string("*") : paper_cell(paper->upirate, true)) + " |\n";
        } else {
          cells += "| | |\n";
        }
        md += cells;
        rows.push_back(row);
      }
    return md;
  }

  // The paper's claims, one by one, each with the numbers that decide it.
  std::string check_claims(nlohmann::json& claims) const {
    std::string md;
    auto claim = [&](const std::string& text, bool holds, const std::string& evidence) {
      claims.push_back({{"claim", text}, {"confirmed", holds}, {"evidence", evidence}});
      md += "- **" + std::string(holds ? "confirmed" : "not confirmed") + "**: " + text + " — " + evidence + "\n";
    };
    const Method& mtf = *find("BatchRL-MTF");
    const Method& re = *find("BatchRL-MTF-RE");
    {
      int methods = 0, above_ad = 0, above_upi = 0;  // the paper's methods only, not the reference
      for (const Method& m : methods_) {
        if (!m.policy) continue;
        ++methods;
        above_ad += arm_of(m).adtime > arm_of(mtf).adtime;
        above_upi += arm_of(m).upirate > arm_of(mtf).upirate;
      }
      claim("BatchRL-MTF is best on ADTime and UPIRate (section 4.6.1)", above_ad == 0 && above_upi == 0,
            "ADTime rank " + std::to_string(above_ad + 1) + " and UPIRate rank " + std::to_string(above_upi + 1) + " of " +
                std::to_string(methods) + " methods");
    }
    {
      const sim::AbArmReport &m = arm_of(mtf), &r = arm_of(re);
      const sim::PairedComparison t = paired_truth(re.truth, mtf.truth);
      claim("BatchRL-MTF-RE (random exploration only) is worse than mixed exploration (section 4.6.1)",
            r.adtime < m.adtime && r.upirate < m.upirate && t.relative < 0,
            "ADTime " + format("%.2f vs %.2f s", r.adtime, m.adtime) + ", UPIRate " + format("%.4f vs %.4f", r.upirate, m.upirate) +
                ", true value -RE vs mixed " + pct_cell(t));
    }
    {
      std::string evidence;
      bool holds = true;
      for (const char* name : {"TD3", "UWAC+TD3"}) {
        const Method* m = find(name);
        if (!m) continue;
        const double v = m->policy ? mean_of(m->v_hat.at("cope")) : kNone;
        holds = holds && m->policy && v < 0;
        evidence += std::string(evidence.empty() ? "" : "; ") + name + " V̂ cope " + (m->policy ? format("%.4f", v) : "diverged") +
                    (m->policy ? " (true " + format("%.4f", m->truth.mean) + ")" : "");
      }
      claim("the Conservative-OPEstimator gives TD3 and UWAC+TD3 negative V̂ (section 4.5.1)", holds, evidence);
    }
    {
      // The RL models the paper ranked offline and online alike (TD3 aside: it never deployed it).
      std::vector<double> v_hat, adtime, upirate, true_values;
      std::string names;
      for (const char* name : {"UWAC+TD3", "CQL+SAC", "BatchRL-MTF", "BatchRL-MTF-RE"}) {
        const Method* m = find(name);
        if (!m || !m->policy) continue;
        v_hat.push_back(mean_of(m->v_hat.at("cope")));
        adtime.push_back(arm_of(*m).adtime);
        upirate.push_back(arm_of(*m).upirate);
        true_values.push_back(m->truth.mean);
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
      const sim::AbArmReport& e = arm_of(*find("ES"));
      claim("ES improves slightly on BO (section 4.6.1)", e.adtime_vs_baseline.relative > 0 && e.upirate_vs_baseline.relative > 0,
            "ADTime " + pct_cell(e.adtime_vs_baseline) + ", UPIRate " + pct_cell(e.upirate_vs_baseline));
    }
    {
      const Method* best = nullptr;
      for (const char* name : {"BatchRL-MTF-Rtime", "BatchRL-MTF-Rintegrity", "BatchRL-MTF-Rinteraction"}) {
        const Method* m = find(name);
        if (!best || arm_of(*m).adtime > arm_of(*best).adtime) best = m;
      }
      const sim::AbArmReport &a = arm_of(*find("BatchRL-MTF-Rinteraction")), &m = arm_of(mtf);
      claim("BatchRL-MTF-Rinteraction is the best reward variant and beats BatchRL-MTF on ADTime and UPIRate (section 4.6.2)",
            best->name == "BatchRL-MTF-Rinteraction" && a.adtime > m.adtime && a.upirate > m.upirate,
            "best variant on ADTime: " + best->name + "; Rinteraction vs BatchRL-MTF ADTime " +
                format("%.2f vs %.2f s", a.adtime, m.adtime) + ", UPIRate " + format("%.4f vs %.4f", a.upirate, m.upirate));
    }
    return md;
  }

  // Figure 8's table: per grid point the true value and both estimates, the best of each marked.
  std::string figure8_tsv(nlohmann::json& sensitivity) const {
    std::string tsv = "# parameter\tvalue\ttrue_value\ttrue_ci95\tv_hat_cope\tv_hat_fqe\tbest_true\tbest_v_hat\n";
    for (const std::string parameter : {"rho", "critic_lr"}) {
      const Method *best_true = nullptr, *best_v = nullptr;
      for (const SweepPoint& p : sweep_) {
        const Method& r = sweep_runs_[p.run];
        if (p.parameter != parameter || !r.policy) continue;
        if (!best_true || r.truth.mean > best_true->truth.mean) best_true = &r;
        if (!best_v || mean_of(r.v_hat.at("cope")) > mean_of(best_v->v_hat.at("cope"))) best_v = &r;
      }
      for (const SweepPoint& p : sweep_) {
        if (p.parameter != parameter) continue;
        const Method& r = sweep_runs_[p.run];
        nlohmann::json point = {{"parameter", parameter}, {"value", p.value}, {"run", r.name}};
        if (!r.policy) {
          point["diverged"] = r.error;
          tsv += parameter + format("\t%g\tNaN\tNaN\tNaN\tNaN\t0\t0\n", p.value);
        } else {
          point["true_value"] = {{"mean", r.truth.mean}, {"ci95", 1.96 * r.truth.std_error}};
          point["v_hat"] = {{"cope", mean_of(r.v_hat.at("cope"))}, {"fqe", mean_of(r.v_hat.at("fqe"))}};
          point["best_true"] = &r == best_true;
          point["best_v_hat"] = &r == best_v;
          tsv += parameter + format("\t%g\t%.6f\t%.6f", p.value, r.truth.mean, 1.96 * r.truth.std_error) +
                 format("\t%.6f\t%.6f", mean_of(r.v_hat.at("cope")), mean_of(r.v_hat.at("fqe"))) +
                 format("\t%d\t%d\n", int(&r == best_true), int(&r == best_v));
        }
        sensitivity.push_back(point);
      }
    }
    return tsv;
  }

  // Figures 5-8's data, scripts and PNGs (Figure 8's table is written by then). Returns the PNGs (or why not).
  std::vector<std::string> write_figures() {
    const Index n = config_.action_states;
    std::vector<PolicyActions> fig6 = {{"logged (mixed window)", logged_actions(window(), n)}};
    for (const char* name : {"TD3", "UWAC+TD3", "CQL+SAC", "BatchRL-MTF"}) {
      const Method* m = find(name);
      if (m && m->policy) fig6.push_back({name, actions_on(*m->policy, window(), n, mix_seed(config_.seed, "figure 6 serving"))});
    }
    const SessionLog& re_window = windows_.at("BatchRL-MTF-RE");
    std::vector<PolicyActions> fig7 = {
        {"logged (BatchRL-MTF's window)", logged_actions(window(), n)},
        {"BatchRL-MTF", actions_on(*find("BatchRL-MTF")->policy, window(), n, mix_seed(config_.seed, "figure 7 serving"))},
        {"logged (BatchRL-MTF-RE's window)", logged_actions(re_window, n)},
        {"BatchRL-MTF-RE", actions_on(*find("BatchRL-MTF-RE")->policy, re_window, n, mix_seed(config_.seed, "figure 7 serving"))}};
    for (const auto* set : {&fig6, &fig7})
      for (const PolicyActions& p : *set) edge_shares_[p.name] = edge_share(p.actions);
    const std::string fig5 = out_ + "/fig5_q.tsv", fig6_tsv = out_ + "/fig6_actions.tsv", fig7_tsv = out_ + "/fig7_actions.tsv";
    write_file_atomically(fig5, q_curves_tsv(q_curves_, q_names_));
    write_file_atomically(fig6_tsv, action_histogram_tsv(fig6));
    write_file_atomically(fig7_tsv, action_histogram_tsv(fig7));
    return {render_gnuplot(out_ + "/fig5_q.gp", out_ + "/fig5_q.png",
                           [&](const std::string& png) { return q_figure_script(fig5, q_names_, png); }),
            render_gnuplot(out_ + "/fig6_actions.gp", out_ + "/fig6_actions.png",
                           [&](const std::string& png) {
                             return action_figure_script(fig6_tsv, fig6, "Figure 6: actions of the offline learners and "
                                                         "BatchRL-MTF on BatchRL-MTF's window", png);
                           }),
            render_gnuplot(out_ + "/fig7_actions.gp", out_ + "/fig7_actions.png",
                           [&](const std::string& png) {
                             return action_figure_script(fig7_tsv, fig7, "Figure 7: BatchRL-MTF and BatchRL-MTF-RE beside "
                                                         "their own training windows", png);
                           }),
            render_gnuplot(out_ + "/fig8_sensitivity.gp", out_ + "/fig8_sensitivity.png",
                           [&](const std::string& png) { return figure8_script(out_ + "/fig8_sensitivity.tsv", png); })};
  }

  const Table1Plan& plan_;
  const Table1Config& config_;
  const sim::Simulator& sim_;
  const std::string out_;
  std::ostream* progress_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  nlohmann::json seconds_ = nlohmann::json::object();  // per stage

  std::vector<Method> methods_;     // the paper's methods, in its row order once the offline ones are in
  std::vector<Method> references_;  // beyond the paper: the best global alpha
  std::vector<Method> sweep_runs_;  // Figure 8's BCQ runs
  std::vector<SweepPoint> sweep_;
  std::map<std::string, SessionLog> windows_;  // each loop's final training window
  std::unique_ptr<OnlineLoop> mixed_loop_;     // BatchRL-MTF's loop, for the reference's budget
  TransitionBatch window_data_;
  MatrixR<float> initial_states_;
  std::unique_ptr<ReplayBuffer> buffer_;
  QCurves q_curves_;
  std::vector<std::string> q_names_;
  sim::AbReport ab_;
  nlohmann::json edge_shares_ = nlohmann::json::object();
};

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

  const std::string source = config_path.empty() ? "default config" : config_path;
  const Table1Plan plan = read_plan(config_path.empty() ? nlohmann::json::object() : load_json_file(config_path), source, quick,
                                    seed_option->count() > 0 ? &seed : nullptr);
  if (std::filesystem::exists(out_dir) && !std::filesystem::is_directory(out_dir))
    throw std::runtime_error(out_dir + ": --out names a file that is not a folder (mtf experiment writes several files into --out)");
  if (std::filesystem::exists(out_dir + "/table1.json"))
    throw std::runtime_error(out_dir + "/table1.json: an experiment was already run here (another --out, or remove it)");
  for (const char* sub : {"/loops", "/online", "/metrics"}) std::filesystem::create_directories(out_dir + sub);

  const sim::Simulator simulator(plan.sim_config);
  Table1Run run(plan, simulator, out_dir, quiet ? nullptr : &std::cout);
  run.say("mtf experiment table1: seed " + std::to_string(plan.config.seed) + ", " + std::to_string(simulator.num_users()) +
          " users, " + std::to_string(plan.config.days) + " days per method, " + std::to_string(num_threads()) + " thread(s)");
  run.run_loops();
  run.run_online_baselines();
  run.train_offline_baselines();
  run.train_sensitivity();
  run.search_reference();
  run.measure_all();
  run.run_ab();
  run.write(command);
  return 0;
}

}  // namespace mtf::cli
