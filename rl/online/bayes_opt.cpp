// rl/online/bayes_opt.cpp — see bayes_opt.hpp.
#include "rl/online/bayes_opt.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace mtf::online {

void BayesOptConfig::check(const ConfigReader& r) const {
  gp.check(r);
  if (min_step > initial_step) r.fail("min_step", "above initial_step");
}

BayesOpt::BayesOpt(int dim, const BayesOptConfig& config, std::uint64_t seed)
    : dim_(dim), config_(config), rng_(mix_seed(seed, "bayes opt")), gp_(dim, config.gp) {}

void BayesOpt::tell(const VectorXd& x, double y) {
  if (x.size() != dim_) throw std::invalid_argument("BayesOpt::tell: the point has the wrong dimension");
  if (!std::isfinite(y)) throw std::invalid_argument("BayesOpt::tell: the value is not finite");
  xs_.push_back(x);
  ys_.push_back(y);
}

void BayesOpt::refit() {
  if (fitted_on_ == observations()) return;
  MatrixXd X(observations(), dim_);
  VectorXd y(observations());
  for (Eigen::Index i = 0; i < observations(); ++i) X.row(i) = xs_[std::size_t(i)].transpose(), y(i) = ys_[std::size_t(i)];
  gp_.fit(X, y, rng_);
  fitted_on_ = observations();
}

double BayesOpt::ucb(const double* x) const {
  const GaussianProcess::Prediction p = gp_.predict(x);
  return p.mean + config_.kappa * std::sqrt(p.variance);
}

double BayesOpt::climb(VectorXd& x) const {
  double value = ucb(x.data());
  VectorXd trial = x;
  for (double step = config_.initial_step; step >= config_.min_step;) {
    double best = value;
    Eigen::Index best_d = -1;
    double best_to = 0;
    for (Eigen::Index d = 0; d < dim_; ++d)
      for (double sign : {-1.0, 1.0}) {
        const double to = std::clamp(x(d) + sign * step, -1.0, 1.0);
        if (to == x(d)) continue;
        trial(d) = to;
        const double v = ucb(trial.data());
        trial(d) = x(d);
        if (v > best) best = v, best_d = d, best_to = to;
      }
    if (best_d < 0) {
      step *= 0.5;
      continue;
    }
    x(best_d) = trial(best_d) = best_to;
    value = best;
  }
  return value;
}

VectorXd BayesOpt::ask() {
  last_ask_ = AskInfo{};
  if (observations() < config_.initial_points) {
    VectorXd x = VectorXd::Zero(dim_);  // the centre first: the neutral action
    if (observations() > 0)
      for (Eigen::Index d = 0; d < dim_; ++d) x(d) = rng_.uniform(-1.0, 1.0);
    return x;
  }
  refit();
  // Score random candidates and the observed points; refine the best few.
  std::vector<VectorXd> points = xs_;
  for (int c = 0; c < config_.random_candidates; ++c) {
    VectorXd x(dim_);
    for (Eigen::Index d = 0; d < dim_; ++d) x(d) = rng_.uniform(-1.0, 1.0);
    points.push_back(std::move(x));
  }
  std::vector<double> score(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) score[i] = ucb(points[i].data());
  std::vector<std::size_t> order(points.size());
  std::iota(order.begin(), order.end(), std::size_t(0));
  const std::size_t starts = std::min<std::size_t>(std::size_t(std::max(config_.local_starts, 1)), points.size());
  // Ties broken by index, so the order (and the asked point) is a pure function of the scores.
  std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(starts), order.end(),
                    [&](std::size_t a, std::size_t b) { return score[a] != score[b] ? score[a] > score[b] : a < b; });
  VectorXd best = points[order[0]];
  double best_value = score[order[0]];
  for (std::size_t s = 0; s < starts && config_.local_starts > 0; ++s) {
    VectorXd x = points[order[s]];
    const double v = climb(x);
    if (v > best_value) best_value = v, best = x;
  }
  const GaussianProcess::Prediction p = gp_.predict(best.data());
  last_ask_ = {false, best_value, p.mean, std::sqrt(p.variance)};
  return best;
}

VectorXd BayesOpt::recommend() {
  if (observations() == 0) throw std::logic_error("BayesOpt::recommend before any tell");
  refit();
  std::size_t best = 0;
  double best_mean = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < xs_.size(); ++i) {
    const double m = gp_.predict(xs_[i].data()).mean;
    if (m > best_mean) best_mean = m, best = i;
  }
  return xs_[best];
}

}  // namespace mtf::online
