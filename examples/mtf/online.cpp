// examples/mtf/online.cpp — `mtf online`: the BO and ES baselines spending the online loop's budget in the
// simulator (rl/online/online_arms.hpp).
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "engine/atomic_file.hpp"
#include "examples/cli/options.hpp"
#include "rl/online/online_arms.hpp"
#include "rl/sim/stats.hpp"

namespace mtf::cli {

namespace {

const char* kDescription = R"(Runs an online baseline of the paper's comparison (section 4.4) in the simulator with the online
loop's budget: --days days of every user of the population (days x num_users user-days), cut into user
groups.
  bo  Bayesian optimization of ONE global action: a GP (Matern 5/2, ARD, hyper-parameters by marginal
      likelihood) and UCB; each evaluation is one simulated day of one group served by the asked action,
      its value the group's mean discounted session return (or ADTime: "objective"). The final policy is the
      evaluated action with the highest posterior mean.
  es  Natural evolution strategies of a small network state -> action on the INSTANT reward: each
      generation is one day of one group, its users dealt to antithetic perturbations; fitness = the mean
      first-step reward of their sessions. The final policy is the search distribution's mean.

The config file is one JSON object: rl/online/online_arms.hpp's BoArmConfig keys (users_per_evaluation,
objective, reward, kappa, initial_points, random_candidates, local_starts, initial_step, min_step, ard,
min_length, max_length, min_signal, max_signal, min_noise, max_noise, restarts, iterations, truth_every,
eval_starts, seed) or EsArmConfig keys (hidden, output_init_scale, users_per_generation, fitness, reward,
pairs, sigma, lr, optimizer, shaping, truth_every, eval_starts, seed), and "simulator" (SimConfig's keys).
Unknown keys are errors.

Writes into --out: history.jsonl (one JSON object per evaluation or generation) and summary.json (the
budget, the final policy and its TRUE value on the loop's evaluation starts and seeds for this seed — paired
with `mtf loop` runs of the same seed, reward and eval_starts; with --reference also the best global alpha
searched with the same number of sessions, and the paired difference).)";

template <class Config>
std::pair<sim::SimConfig, Config> read_online_config(const std::string& path, const std::uint64_t* seed) {
  nlohmann::json file = path.empty() ? nlohmann::json::object() : load_json_file(path);
  const std::string source = path.empty() ? "default config" : path;
  if (!file.is_object()) throw ConfigError(source + ": expected a JSON object");
  if (seed) file["seed"] = *seed;
  const sim::SimConfig sim_config = take_simulator_config(file, source);
  return {sim_config, config_from_json<Config>(file, source)};
}

}  // namespace

int online_command(int argc, char** argv) {
  CLI::App app(kDescription, "mtf online");
  std::string method, config_path, out_dir;
  long long days = 14;
  std::uint64_t seed = 0;
  bool quiet = false, reference = false;
  app.add_option("--method", method, "bo | es")->required()->check(CLI::IsMember({"bo", "es"}));
  app.add_option("--config", config_path, "the method's config (JSON); default: its defaults on the default simulator");
  app.add_option("--out", out_dir, "output folder (history.jsonl, summary.json)")->required();
  add_integer(app, "--days", days, 1LL, 3650LL, "days of the loop's traffic to spend");
  CLI::Option* seed_option = add_seed(app, "--seed", seed, "the run's seed (overrides the config's)");
  seed_option->default_str("config");
  app.add_flag("--reference", reference,
               "at the end, search the best single global alpha with the same number of sessions (mtf loop's "
               "--reference) and compare the final policy with it, paired on the same starts and seeds");
  add_threads(app);
  app.add_flag("--quiet", quiet, "no progress lines");
  if (const int status = parse(app, argc, argv); status >= 0) return status;

  if (std::filesystem::exists(out_dir) && !std::filesystem::is_directory(out_dir))
    throw std::runtime_error(out_dir + ": --out names a file that is not a folder (mtf online writes several files into --out)");
  const std::uint64_t* seed_override = seed_option->count() > 0 ? &seed : nullptr;
  sim::SimConfig sim_config;
  online::OnlineArmResult result;
  std::uint64_t run_seed = 0;
  std::string reward;
  int eval_starts = 0;
  std::ostream* progress = quiet ? nullptr : &std::cout;
  if (method == "bo") {
    const auto [s, config] = read_online_config<online::BoArmConfig>(config_path, seed_override);
    sim_config = s;
    const sim::Simulator simulator(sim_config);
    result = online::run_bo_arm(simulator, config, int(days), progress);
    run_seed = config.seed, reward = config.reward, eval_starts = config.eval_starts;
  } else {
    const auto [s, config] = read_online_config<online::EsArmConfig>(config_path, seed_override);
    sim_config = s;
    const sim::Simulator simulator(sim_config);
    result = online::run_es_arm(simulator, config, int(days), progress);
    run_seed = config.seed, reward = config.reward, eval_starts = config.eval_starts;
  }
  std::filesystem::create_directories(out_dir);
  std::string lines;
  for (const nlohmann::json& h : result.history) lines += h.dump() + "\n";
  write_file_atomically(out_dir + "/history.jsonl", lines);
  nlohmann::json summary = result.summary();
  summary["true_value"]["per_rollout"] = result.truth.per_rollout;

  std::string reference_line;
  if (reference) {
    // The loop's reference, on the loop's own evaluation protocol for this seed (the same starts and seeds).
    const sim::Simulator simulator(sim_config);
    LoopConfig loop_config;
    loop_config.seed = run_seed;
    loop_config.reward = reward;
    loop_config.eval_starts = eval_starts;
    const OnlineLoop loop(simulator, loop_config);
    const GlobalAlphaReference ref = search_global_alpha(simulator, loop, result.sessions);
    const std::vector<double> ones(result.truth.per_rollout.size(), 1.0);
    const sim::PairedComparison cmp = sim::compare_paired(result.truth.per_rollout, ones, ref.truth.per_rollout, ones);
    summary["global_alpha"] = {{"action", ref.action},
                               {"true_value", {{"mean", ref.truth.mean}, {"ci95", 1.96 * ref.truth.std_error}}},
                               {"sessions_used", ref.sessions_used}, {"starts_per_candidate", ref.starts_per_candidate}};
    summary["vs_global_alpha"] = {{"relative", cmp.relative}, {"ci95", {cmp.ci_low, cmp.ci_high}}, {"p_value", cmp.p_value}};
    char line[512];
    std::snprintf(line, sizeof line,
                  "mtf online: vs the best global alpha searched with the same %lld sessions: %.4f vs %.4f, %+.2f %% "
                  "[%+.2f, %+.2f], paired p = %.3g\n",
                  result.sessions, result.truth.mean, ref.truth.mean, 100 * cmp.relative, 100 * cmp.ci_low,
                  100 * cmp.ci_high, cmp.p_value);
    reference_line = line;
  }
  write_file_atomically(out_dir + "/summary.json", summary.dump(2) + "\n");
  std::printf("mtf online: %s, %d days, %lld user-days, %lld sessions, %zu %s: true value %.4f ± %.4f "
              "(initial %.4f), instant reward %.4f (initial %.4f); wrote %s/history.jsonl, %s/summary.json\n%s",
              method.c_str(), result.days, result.user_days, result.sessions, result.history.size(),
              method == "bo" ? "evaluations" : "generations", result.truth.mean, 1.96 * result.truth.std_error,
              result.initial_truth.mean, result.truth.mean_first_reward, result.initial_truth.mean_first_reward,
              out_dir.c_str(), out_dir.c_str(), reference_line.c_str());
  return 0;
}

}  // namespace mtf::cli
