// rl/online/bayes_opt.hpp — Bayesian optimization with a GP and UCB over the box [−1, 1]^dim: the
// benchmark of the paper's Table 1 ("samples the optimal weight with upper confidence bound").
//
// Ask/tell, so the caller decides what an evaluation is (online_arms.hpp: one simulated day of a user
// group served by the asked global action; the tests: a known function):
//   ask():  the first `initial_points` asks are a design (the box's centre — the neutral action — then
//           uniform random points); afterwards the GP is refit on every observation (hyper-parameters by
//           marginal likelihood, gaussian_process.hpp) and the next point maximizes
//             UCB(x) = μ(x) + κ σ(x)
//           by multi-start local search: `random_candidates` uniform points and every observed point are
//           scored, the best `local_starts` of them are refined by compass search (each coordinate ± a
//           step, the best improving move taken, the step halved when none improves, down to min_step),
//           inside the box. Derivative-free on purpose: UCB is cheap to evaluate (O(n·dim + n²)) and
//           compass search needs no gradient of σ.
//   tell(x, y): records an observation (maximization).
//   recommend(): the observed point with the highest posterior mean — not the highest noisy value, which
//           a lucky evaluation inflates.
// Every random draw comes from the seed, so the same tells give the same asks.
#pragma once
#include <vector>

#include "engine/json_config.hpp"
#include "engine/rng.hpp"
#include "rl/online/gaussian_process.hpp"

namespace mtf::online {

struct BayesOptConfig : JsonConfig<BayesOptConfig> {
  double kappa = 2.0;          // UCB's exploration weight
  int initial_points = 10;     // the design before the GP chooses (centre first, then uniform)
  int random_candidates = 2000;
  int local_starts = 5;
  double initial_step = 0.25;  // compass search, in units of the box [−1, 1]
  double min_step = 1e-3;
  GpConfig gp;                 // the GP's keys sit beside these (flat)

  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) {
    v("kappa", c.kappa, 0.0, 100.0);
    v("initial_points", c.initial_points, 1, 100000);
    v("random_candidates", c.random_candidates, 1, 10000000);
    v("local_starts", c.local_starts, 0, 1000);
    v("initial_step", c.initial_step, 1e-6, 2.0);
    v("min_step", c.min_step, 1e-9, 2.0);
    GpConfig::fields(c.gp, v);
  }
  void check(const ConfigReader& r) const;
};

/// What ask() based its choice on (for the history).
struct AskInfo {
  bool from_design = true;
  double ucb = 0, mean = 0, sd = 0;  // at the asked point (model-based asks only)
};

class BayesOpt {
 public:
  /// All random draws (the design, the candidates, the likelihood's restarts) come from `seed`.
  BayesOpt(int dim, const BayesOptConfig& config, std::uint64_t seed);

  /// The next point to evaluate, in [−1, 1]^dim.
  VectorXd ask();
  /// Records f(x) = y.
  void tell(const VectorXd& x, double y);

  /// The observed point with the highest posterior mean (refits the GP when it is stale).
  VectorXd recommend();
  /// μ + κσ at x under the current fit.
  double ucb(const double* x) const;

  const AskInfo& last_ask() const { return last_ask_; }
  const GaussianProcess& gp() const { return gp_; }
  Eigen::Index observations() const { return Eigen::Index(ys_.size()); }
  const std::vector<VectorXd>& xs() const { return xs_; }
  const std::vector<double>& ys() const { return ys_; }

 private:
  void refit();
  /// Compass search of UCB from x (in place) inside the box; returns UCB at the end point.
  double climb(VectorXd& x) const;

  int dim_;
  BayesOptConfig config_;
  Rng rng_;
  GaussianProcess gp_;
  std::vector<VectorXd> xs_;
  std::vector<double> ys_;
  Eigen::Index fitted_on_ = 0;  // observations behind the current GP fit
  AskInfo last_ask_;
};

}  // namespace mtf::online
