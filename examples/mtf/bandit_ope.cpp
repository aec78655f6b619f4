// examples/mtf/bandit_ope.cpp — `mtf bandit-ope`: a slate policy's click rate estimated from another
// policy's logged bandit feedback (IPS, SNIPS, DM = FQE at gamma 0, DR; ope/bandit.hpp), beside the
// target's on-policy click rate in its own logs when those are given. Made for the Open Bandit Dataset
// (docs/open-bandit.md); any CSV log with true propensities works through a column mapping.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "examples/cli/options.hpp"
#include "ope/bandit.hpp"

namespace mtf::cli {

namespace {

const char* kDescription = R"(Estimates the value (mean reward per impression) of a target slate policy from logs collected by
another policy, with the logs' true propensities: IPS, self-normalized IPS, the direct method (DM: the
project's FQE with gamma = 0, a reward model Q(context + position, one-hot item)) and doubly robust (DR).
A slate is evaluated position by position: pi(item | position) over the propensity of (item, position).
Targets: random (uniform over items at every position) and bts (Bernoulli Thompson sampling re-created
from --prior's Beta(alpha, beta) per item for --campaign, as obp does: P(item at position) by Monte Carlo,
the items with the largest sampled Beta values filling positions 1, 2, ...).
The reward model is the mean of --models fits with different seeds: one fit's last Adam iterate moves
its predictions by as much as the click rate itself on these sparse clicks; the DM and DR values of
each fit are printed as a range. Intervals: percentile bootstrap over rows (seeded), with the (mean)
reward model held fixed, so they do not include the fits' spread. With --truth-logs
(the target's own logs), its on-policy mean reward and interval are printed beside the estimates.)";

struct Row {
  const char* name;
  Interval interval;
};

nlohmann::json interval_json(const Interval& i, const Interval* truth) {
  nlohmann::json j = {{"value", i.value}, {"lo", i.lo}, {"hi", i.hi}};
  if (truth) j["covers_truth"] = i.contains(truth->value);
  return j;
}

}  // namespace

int bandit_ope_command(int argc, char** argv) {
  CLI::App app(kDescription, "mtf bandit-ope");
  std::string logs_path, mapping_path, target, prior_path, campaign, truth_path, config_path;
  long long bts_samples = 100000, steps = -1;
  int resamples = 2000, models = 5;
  double level = 0.95;
  std::uint64_t seed = 0;
  bool json = false, quiet = false;
  app.add_option("--logs", logs_path, "logged bandit feedback (CSV with a header), read strictly")->required();
  app.add_option("--mapping", mapping_path, "column mapping (JSON; see rl/data/bandit_log.hpp and "
                                            "examples/configs/obd_mapping.json)")->required();
  app.add_option("--target", target, "random | bts")->required();
  app.add_option("--prior", prior_path, "obp's prior_bts.yaml: Beta priors per campaign (required by --target bts; "
                                        "when given, its item count is the number of actions)");
  app.add_option("--campaign", campaign, "campaign of --prior (men, women, all)");
  app.add_option("--truth-logs", truth_path, "the target policy's own logs (same mapping): its on-policy value");
  app.add_option("--config", config_path, "reward model config (FQE's keys, ope/fqe_config.hpp; gamma must be 0); "
                                          "default Q 64-64, m 512, K 3000, lr 3e-4, gamma 0, alpha_c 0");
  add_integer(app, "--steps", steps, 0LL, 1LL << 40, "override the reward model's gradient steps")->default_str("config");
  add_integer(app, "--bts-samples", bts_samples, 1LL, 1LL << 40, "Monte Carlo draws of the BTS slate distribution");
  add_integer(app, "--models", models, 1, 1000, "reward model fits averaged (seeds derived from the model seed)");
  add_integer(app, "--bootstrap", resamples, 2, 1 << 24, "bootstrap resamples");
  add_real(app, "--level", level, 0.5, 0.999, "interval level")->default_str("0.95");
  CLI::Option* seed_option = add_seed(app, "--seed", seed, "run seed (BTS draws, bootstrap; the reward model's "
                                                           "seed when given)");
  add_threads(app);
  app.add_flag("--json", json, "print the result as one JSON object");
  app.add_flag("--quiet", quiet, "no progress lines");
  if (const int status = parse(app, argc, argv); status >= 0) return status;

  if (target != "random" && target != "bts") throw UsageError("--target: unknown policy \"" + target + "\" (random or bts)");
  if (target == "bts" && prior_path.empty()) throw UsageError("--target bts needs --prior (obp's prior_bts.yaml)");
  if (!prior_path.empty() && campaign.empty()) throw UsageError("--prior needs --campaign (men, women or all)");
  FqeConfig config = bandit_reward_model_defaults();
  if (!config_path.empty()) config = FqeConfig::load(config_path);
  if (steps >= 0) config.steps = steps;
  if (seed_option->count() > 0) config.seed = seed;
  if (config.gamma != 0)
    throw UsageError("--config: gamma " + std::to_string(config.gamma) + ": the direct method is FQE with gamma = 0");

  const BanditMapping mapping = BanditMapping::load(mapping_path);
  const BanditLog log = read_bandit_log(logs_path, mapping);
  BetaPrior prior;
  if (!prior_path.empty()) prior = read_bts_prior(prior_path, campaign);
  const int n_actions = prior_path.empty() ? log.n_actions : int(prior.alpha.size());
  if (log.n_actions > n_actions)
    throw std::runtime_error(logs_path + ": item id " + std::to_string(log.n_actions - 1) + " but " + prior_path +
                             " has " + std::to_string(n_actions) + " items for campaign \"" + campaign + "\"");
  if (log.n_positions > n_actions)
    throw std::runtime_error(logs_path + ": " + std::to_string(log.n_positions) + " positions but only " +
                             std::to_string(n_actions) + " items");

  const SlateDistribution slate =
      target == "random" ? uniform_slate_distribution(n_actions, log.n_positions)
                         : bts_slate_distribution(prior.alpha, prior.beta, log.n_positions, bts_samples,
                                                  mix_seed(seed, "bts slate distribution"));
  const MatrixR<double> pi = rows_of(slate, log.position);
  // K fits from seeds mix_seed(model seed, k); each fit's DM and DR (point values) give their spread.
  MatrixR<double> q = MatrixR<double>::Zero(log.rows(), n_actions);
  double dm_min = 1e300, dm_max = -1e300, dr_min = 1e300, dr_max = -1e300;
  const std::uint64_t model_seed = config.seed;
  for (int k = 0; k < models; ++k) {
    config.seed = mix_seed(model_seed, std::uint64_t(k));
    const MatrixR<double> qk = fit_reward_model(log, pi, n_actions, config, quiet || json ? nullptr : &std::cerr);
    const BanditEstimates ek = estimate_bandit(log, pi, qk, 2, level, 0);
    dm_min = std::min(dm_min, ek.dm.value);
    dm_max = std::max(dm_max, ek.dm.value);
    dr_min = std::min(dr_min, ek.dr.value);
    dr_max = std::max(dr_max, ek.dr.value);
    q += qk / double(models);
  }
  config.seed = model_seed;
  const BanditEstimates e = estimate_bandit(log, pi, q, resamples, level, mix_seed(seed, "bootstrap"));

  Interval truth;
  Index truth_rows = 0;
  if (!truth_path.empty()) {
    const BanditLog own = read_bandit_log(truth_path, mapping);
    truth = bootstrap_mean(own.reward, resamples, level, mix_seed(seed, "truth bootstrap"));
    truth_rows = own.rows();
  }
  const Interval* truth_ptr = truth_path.empty() ? nullptr : &truth;
  const Row rows[] = {{"IPS", e.ips}, {"SNIPS", e.snips}, {"DM", e.dm}, {"DR", e.dr}};
  const std::string target_name =
      target == "random" ? "random (uniform over " + std::to_string(n_actions) + " items)"
                         : "bts (Beta prior \"" + campaign + "\", " + std::to_string(bts_samples) + " draws)";
  if (json) {
    nlohmann::json j = {{"logs", logs_path},
                        {"target", target},
                        {"campaign", campaign},
                        {"rows", log.rows()},
                        {"clicks", log.reward.sum()},
                        {"logged_value", log.reward.mean()},
                        {"actions", n_actions},
                        {"positions", log.n_positions},
                        {"context_width", log.context.cols()},
                        {"max_weight", e.max_weight},
                        {"mean_weight", e.mean_weight},
                        {"models", models},
                        {"dm_range_over_fits", {dm_min, dm_max}},
                        {"dr_range_over_fits", {dr_min, dr_max}},
                        {"effective_rows", e.effective_rows},
                        {"level", level},
                        {"bootstrap", resamples},
                        {"reward_model", config.to_json()}};
    for (const Row& r : rows) j["estimates"][r.name] = interval_json(r.interval, truth_ptr);
    if (truth_ptr) j["truth"] = {{"logs", truth_path}, {"rows", truth_rows}, {"value", truth.value},
                                 {"lo", truth.lo}, {"hi", truth.hi}};
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("target %s, estimated from %s: %lld rows, %.0f clicks (logged value %.5f), %d items, %d positions\n",
              target_name.c_str(), logs_path.c_str(), (long long)log.rows(), log.reward.sum(), log.reward.mean(),
              n_actions, log.n_positions);
  std::printf("importance weights: max %.2f, mean %.3f, effective rows %.0f\n", e.max_weight, e.mean_weight,
              e.effective_rows);
  std::printf("reward model: mean of %d FQE fits at gamma 0 (Q %s, K %lld, lr %g); one fit's DM in [%.5f, %.5f], "
              "DR in [%.5f, %.5f]\n", models, nlohmann::json(config.hidden).dump().c_str(), config.steps, config.lr,
              dm_min, dm_max, dr_min, dr_max);
  std::printf("%-6s %9s   %.0f %% interval (bootstrap, %d resamples)%s\n", "", "value", 100 * level, resamples,
              truth_ptr ? "   covers truth" : "");
  for (const Row& r : rows)
    std::printf("%-6s %9.5f   [%.5f, %.5f]%s\n", r.name, r.interval.value, r.interval.lo, r.interval.hi,
                truth_ptr ? (r.interval.contains(truth.value) ? "   yes" : "   no") : "");
  if (truth_ptr)
    std::printf("%-6s %9.5f   [%.5f, %.5f]   on-policy in %s (%lld rows)\n", "truth", truth.value, truth.lo,
                truth.hi, truth_path.c_str(), (long long)truth_rows);
  return 0;
}

}  // namespace mtf::cli
