// ope/ranking.hpp — how well an off-policy estimator ranks policies against their true values, with the
// definitions of the Deep OPE benchmark (Fu et al., 2021):
//   normalized absolute error  mean_i |V-hat_i - V_i| / (max_j V_j - min_j V_j)
//   Spearman rank correlation  Pearson correlation of the ranks (ties get their average rank)
//   regret@1                   (max_j V_j - V_{argmax_i V-hat_i}) / (max_j V_j - min_j V_j)
// and percentile bootstrap confidence intervals over initial states (each resample recomputes every
// policy's estimate and true value on the same resampled starts, so the pairing is kept).
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace mtf {

struct RankingMetrics {
  double normalized_abs_error = 0;
  double spearman = 0;
  double regret_at_1 = 0;
};

/// estimates[i], truths[i] for policy i (at least two policies with different true values).
RankingMetrics ranking_metrics(const std::vector<double>& estimates, const std::vector<double>& truths);

/// Ranks with ties averaged (1-based).
std::vector<double> average_ranks(const std::vector<double>& values);
double spearman(const std::vector<double>& a, const std::vector<double>& b);

struct Interval {
  double lo = 0, hi = 0;
};
struct RankingBootstrap {
  RankingMetrics point;
  Interval normalized_abs_error, spearman, regret_at_1;
};

/// per_start_estimates[i] and per_start_truths[i] are policy i's values on each of the n shared starts
/// (column j = start j). `resamples` bootstrap draws of the starts, 95 % percentile intervals.
RankingBootstrap bootstrap_ranking(const std::vector<Eigen::ArrayXd>& per_start_estimates,
                                   const std::vector<Eigen::ArrayXd>& per_start_truths, int resamples,
                                   std::uint64_t seed);

}  // namespace mtf
