// ope/bandit.hpp — off-policy evaluation on logged bandit feedback (contexts, actions shown at positions,
// rewards, true logging propensities; rl/data/bandit_log.hpp), the setting of the Open Bandit Dataset.
//
// The target policy is given as its full action distribution per logged row, pi(a | x_i, pos_i), so a
// slate policy is evaluated position by position with the propensity of (item, position), as in the
// Open Bandit paper's standard setup (Saito et al. 2021). With w_i = pi(a_i | x_i, pos_i) / p_i and a
// reward model q(x, a):
//   IPS    V = 1/n sum_i w_i r_i                                  (unbiased when p_i > 0 wherever pi > 0)
//   SNIPS  V = sum_i w_i r_i / sum_i w_i                          (self-normalized: bounded by the rewards)
//   DM     V = 1/n sum_i sum_a pi(a | x_i, pos_i) q(x_i, a)
//   DR     V = DM + 1/n sum_i w_i (r_i - q(x_i, a_i))
// DM's q is the project's FQE (ope/fqe.hpp) with gamma = 0: its target y = r + 0 * Q'(...) = r, so it
// is a regression of the reward on (context, one-hot position; one-hot action) with the same network,
// optimizer and minibatching as the Conservative-OPEstimator. Intervals: the percentile bootstrap over
// rows (seeded) with the reward model held fixed, as obp does; it does not include the model's fitting
// noise.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "engine/rng.hpp"
#include "engine/tensor.hpp"
#include "ope/fqe_config.hpp"
#include "rl/data/bandit_log.hpp"

namespace mtf {

/// A slate policy that ignores the context: P(item a at position k), (n_positions, n_actions), each row
/// summing to 1.
using SlateDistribution = MatrixR<double>;

/// The uniform random policy: 1 / n_actions at every position.
SlateDistribution uniform_slate_distribution(int n_actions, int n_positions);

/// Bernoulli Thompson sampling from Beta(alpha_a, beta_a) per item, re-created as obp's BernoulliTS
/// (compute_batch_action_dist) does: each of `samples` draws samples theta_a ~ Beta(alpha_a, beta_a) for
/// every item and puts the items with the largest theta in positions 0, 1, ...; P(a at k) is the share
/// of draws. Monte Carlo error <= 0.5 / sqrt(samples) per probability. Seeded: same seed, same bits.
SlateDistribution bts_slate_distribution(const std::vector<double>& alpha, const std::vector<double>& beta,
                                         int n_positions, std::int64_t samples, std::uint64_t seed);

/// A Beta(a, b) draw as X / (X + Y), X ~ Gamma(a), Y ~ Gamma(b) (Marsaglia and Tsang); a, b > 0.
double sample_beta(Rng& rng, double a, double b);
double sample_gamma(Rng& rng, double shape);

/// One campaign of obp's prior_bts.yaml: {alpha: [...], beta: [...]}.
struct BetaPrior {
  std::vector<double> alpha, beta;
};
/// Reads `campaign` from a prior_bts.yaml file. Only the file's shape is accepted — top-level
/// "<campaign>:" keys, each with "alpha:" and "beta:" lists of "- <number>" lines (comments and blank
/// lines skipped) — which is all obp writes; anything else is an InputError naming file:line.
BetaPrior read_bts_prior(const std::string& path, const std::string& campaign);
BetaPrior parse_bts_prior(const std::string& text, const std::string& source, const std::string& campaign);

/// pi(. | x_i, pos_i) for every logged row (N, n_actions) of a context-free slate policy.
MatrixR<double> rows_of(const SlateDistribution& by_position, const std::vector<int>& position);

/// The DM's reward model settings: FQE's config with gamma = 0. Smaller than the paper's FQE (its
/// 256-256 network is for a 12-d action and long sessions): Q 64-64, lr 3e-4, 3000 steps of 512.
FqeConfig bandit_reward_model_defaults();

/// q(x_i, a) for every logged row and every action (N, n_actions): FQE with gamma = 0 fit on the log,
/// state = [context, one-hot position], action = one-hot item. config.gamma must be 0. With alpha > 0
/// the Conservative-OPEstimator's penalty is used at gamma = 0 too, with one action per row drawn from
/// `target` (N, n_actions) by the estimator's seed.
MatrixR<double> fit_reward_model(const BanditLog& log, const MatrixR<double>& target, int n_actions,
                                 const FqeConfig& config, std::ostream* progress = nullptr);

struct Interval {
  double value = 0, lo = 0, hi = 0;
  bool contains(double x) const { return lo <= x && x <= hi; }
};

/// The percentile bootstrap of sum_i num_i / sum_i den_i over rows: `resamples` resamples of n rows
/// with replacement (seeded), interval [(1-level)/2, (1+level)/2] quantiles; value is the full-sample
/// ratio. A mean is den = 1. The same seed and n draw the same rows, so estimators are paired.
Interval bootstrap_ratio(const Eigen::VectorXd& num, const Eigen::VectorXd& den, int resamples, double level,
                         std::uint64_t seed);
Interval bootstrap_mean(const Eigen::VectorXd& terms, int resamples, double level, std::uint64_t seed);

struct BanditEstimates {
  Interval ips, snips, dm, dr;
  double max_weight = 0;        // largest w_i
  double mean_weight = 0;       // 1/n sum w_i: 1 in expectation when the propensities are right
  double effective_rows = 0;    // (sum w)^2 / sum w^2: how many rows IPS effectively averages
};

/// The four estimators on `log` for a target with per-row distribution `target` (N, A) and reward
/// model `q` (N, A) (fit_reward_model). Throws std::invalid_argument on mismatched shapes.
BanditEstimates estimate_bandit(const BanditLog& log, const MatrixR<double>& target, const MatrixR<double>& q,
                                int resamples, double level, std::uint64_t seed);

}  // namespace mtf
