#include "ope/ranking.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "engine/rng.hpp"

namespace mtf {

std::vector<double> average_ranks(const std::vector<double>& values) {
  const std::size_t n = values.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(n);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j + 1 < n && values[order[j + 1]] == values[order[i]]) ++j;
    const double rank = 0.5 * double(i + j) + 1.0;  // average of 1-based positions i..j
    for (std::size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size() || a.size() < 2) throw std::invalid_argument("spearman: need two equal-length series of >= 2");
  const std::vector<double> ra = average_ranks(a), rb = average_ranks(b);
  const double n = double(a.size());
  const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n, mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
  double cov = 0, va = 0, vb = 0;
  for (std::size_t i = 0; i < ra.size(); ++i) {
    cov += (ra[i] - ma) * (rb[i] - mb);
    va += (ra[i] - ma) * (ra[i] - ma);
    vb += (rb[i] - mb) * (rb[i] - mb);
  }
  if (va == 0 || vb == 0) return 0.0;  // a constant series carries no ranking
  return cov / std::sqrt(va * vb);
}

RankingMetrics ranking_metrics(const std::vector<double>& estimates, const std::vector<double>& truths) {
  if (estimates.size() != truths.size() || truths.size() < 2)
    throw std::invalid_argument("ranking_metrics: need estimates and truths for >= 2 policies");
  const auto [min_it, max_it] = std::minmax_element(truths.begin(), truths.end());
  const double range = *max_it - *min_it;
  if (!(range > 0)) throw std::invalid_argument("ranking_metrics: all true values are equal");
  RankingMetrics m;
  for (std::size_t i = 0; i < truths.size(); ++i) m.normalized_abs_error += std::abs(estimates[i] - truths[i]);
  m.normalized_abs_error /= double(truths.size()) * range;
  m.spearman = spearman(estimates, truths);
  const std::size_t chosen = std::size_t(std::max_element(estimates.begin(), estimates.end()) - estimates.begin());
  m.regret_at_1 = (*max_it - truths[chosen]) / range;
  return m;
}

RankingBootstrap bootstrap_ranking(const std::vector<Eigen::ArrayXd>& per_start_estimates,
                                   const std::vector<Eigen::ArrayXd>& per_start_truths, int resamples,
                                   std::uint64_t seed) {
  const std::size_t p = per_start_truths.size();
  if (p < 2 || per_start_estimates.size() != p) throw std::invalid_argument("bootstrap_ranking: need >= 2 policies");
  const Eigen::Index n = per_start_truths[0].size();
  for (std::size_t i = 0; i < p; ++i)
    if (per_start_truths[i].size() != n || per_start_estimates[i].size() != n)
      throw std::invalid_argument("bootstrap_ranking: every policy needs a value on each of the same starts");
  auto means = [&](const std::vector<Eigen::ArrayXd>& v) {
    std::vector<double> out(p);
    for (std::size_t i = 0; i < p; ++i) out[i] = v[i].mean();
    return out;
  };
  RankingBootstrap b;
  b.point = ranking_metrics(means(per_start_estimates), means(per_start_truths));
  std::vector<double> nae, rho, regret;
  Rng rng(seed);
  std::vector<Eigen::Index> pick(static_cast<std::size_t>(n));
  std::vector<double> est(p), tru(p);
  for (int r = 0; r < resamples; ++r) {
    for (auto& k : pick) k = Eigen::Index(rng.below(std::uint64_t(n)));
    for (std::size_t i = 0; i < p; ++i) {
      double se = 0, st = 0;
      for (Eigen::Index k : pick) se += per_start_estimates[i](k), st += per_start_truths[i](k);
      est[i] = se / double(n);
      tru[i] = st / double(n);
    }
    const RankingMetrics m = ranking_metrics(est, tru);
    nae.push_back(m.normalized_abs_error);
    rho.push_back(m.spearman);
    regret.push_back(m.regret_at_1);
  }
  auto interval = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[std::size_t(std::floor(q * double(v.size() - 1) + 0.5))]; };
    return Interval{at(0.025), at(0.975)};
  };
  b.normalized_abs_error = interval(nae);
  b.spearman = interval(rho);
  b.regret_at_1 = interval(regret);
  return b;
}

}  // namespace mtf
