// rl/online/gaussian_process.hpp — Gaussian-process regression for the BO baseline (paper section 4.4:
// "fits the prior distribution of the objective function based on Gaussian Process Regression").
//
// Model: y_i = f(x_i) + e_i, f ~ GP(0, k), e_i ~ N(0, noise), on STANDARDIZED outputs z = (y − mean)/std
// (so a zero prior mean and a signal variance near 1 are sensible whatever the units of y). The kernel is
// Matérn 5/2, with ARD (one length-scale per input dimension, the default) or one shared length-scale:
//   r² = Σ_d (x_d − x'_d)² / ℓ_d²,   k(x, x') = s² (1 + √5 r + 5 r²/3) exp(−√5 r).
// Hyper-parameters θ = (log ℓ, log s², log noise) maximize the log marginal likelihood
//   log p(z | X, θ) = −½ zᵀ K⁻¹ z − ½ log|K| − n/2 log 2π,   K = k(X, X) + noise·I,
// with its analytic gradient ½ tr((ααᵀ − K⁻¹) ∂K/∂θ_j), α = K⁻¹ z, by projected iRprop⁻ (sign-based
// per-coordinate steps, robust to the very different scales of the coordinates) inside a box, from a warm
// start, a default start and `restarts` random starts; the best is kept. For Matérn 5/2,
//   ∂k/∂log ℓ_d = s² (5/3) (1 + √5 r) exp(−√5 r) (x_d − x'_d)² / ℓ_d²   (finite at r = 0).
// K is factorized by Eigen's LLT; when it fails (K numerically not positive definite) jitter is added to
// the diagonal, 1e-10·mean(diag) and ten times more each retry up to 1e-2·mean(diag), then an error.
// Not here: other kernels, input warping, non-Gaussian noise, sparse approximations (n is at most a few
// hundred evaluations: one simulated user group each).
#pragma once
#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "engine/json_config.hpp"
#include "engine/rng.hpp"

namespace mtf::online {

using MatrixXd = Eigen::MatrixXd;
using VectorXd = Eigen::VectorXd;

/// Matérn 5/2 correlation at scaled distance r ≥ 0: (1 + √5 r + 5 r²/3) exp(−√5 r).
double matern52(double r);

/// Kernel hyper-parameters, in logs (the search space of the marginal likelihood).
struct GpHyper {
  VectorXd log_length;        // one per input dimension (ARD) or a single shared one
  double log_signal = 0.0;    // log s²
  double log_noise = -2.0;    // log of the noise variance (standardized units)
  /// Flat form (log_length..., log_signal, log_noise), the optimizer's vector.
  VectorXd pack() const;
  static GpHyper unpack(const VectorXd& p, Eigen::Index lengths);
};

struct GpConfig : JsonConfig<GpConfig> {
  bool ard = true;             // one length-scale per dimension (else one shared)
  double min_length = 0.05, max_length = 20.0;   // inputs live in [−1, 1]^d
  double min_signal = 0.05, max_signal = 20.0;   // s², standardized outputs
  double min_noise = 1e-6, max_noise = 2.0;      // noise variance, standardized outputs
  int restarts = 3;            // random starts of the likelihood search, besides the warm and default starts
  int iterations = 80;         // iRprop⁻ iterations per start

  template <class Self, class Visit>
  static void fields(Self& c, Visit& v) {
    v("ard", c.ard);
    v("min_length", c.min_length, 1e-4, 1e4);
    v("max_length", c.max_length, 1e-4, 1e4);
    v("min_signal", c.min_signal, 1e-8, 1e8);
    v("max_signal", c.max_signal, 1e-8, 1e8);
    v("min_noise", c.min_noise, 1e-12, 1e8);
    v("max_noise", c.max_noise, 1e-12, 1e8);
    v("restarts", c.restarts, 0, 1000);
    v("iterations", c.iterations, 0, 100000);
  }
  void check(const ConfigReader& r) const;
};

class GaussianProcess {
 public:
  explicit GaussianProcess(int dim, const GpConfig& config = {});

  /// Standardizes y, chooses the hyper-parameters by maximum marginal likelihood (multi-start, random
  /// starts from `rng`; the previous fit's hyper-parameters are the warm start) and conditions on the data.
  /// X: n x dim, y: n, n ≥ 1.
  void fit(const MatrixXd& X, const VectorXd& y, Rng& rng);
  /// Standardizes y and conditions on the data with the given hyper-parameters (no search).
  void condition(const MatrixXd& X, const VectorXd& y, const GpHyper& hyper);

  struct Prediction {
    double mean = 0;      // posterior mean of f(x), in the units of y
    double variance = 0;  // posterior variance of f(x) (without the noise), in the units of y squared
  };
  Prediction predict(const double* x) const;

  /// The log marginal likelihood of the standardized outputs z at `hyper` and, when `gradient` is given,
  /// its gradient with respect to hyper.pack(). Throws when K cannot be factorized even with jitter.
  double log_marginal_likelihood(const MatrixXd& X, const VectorXd& z, const GpHyper& hyper,
                                 VectorXd* gradient = nullptr) const;
  /// k(a, b) at `hyper` (raw inputs, standardized units).
  double kernel(const double* a, const double* b, const GpHyper& hyper) const;

  const GpHyper& hyper() const { return hyper_; }
  /// The maximized log marginal likelihood of the current fit (standardized outputs).
  double fitted_log_likelihood() const { return fitted_lml_; }
  double y_mean() const { return y_mean_; }
  double y_std() const { return y_std_; }
  /// The jitter added to K's diagonal by the last factorization (0 when none was needed).
  double last_jitter() const { return jitter_; }
  int dim() const { return dim_; }
  Eigen::Index size() const { return X_.rows(); }
  const MatrixXd& inputs() const { return X_; }
  const GpConfig& config() const { return config_; }
  /// The default starting hyper-parameters (length √dim / 2 for the box [−1, 1]^dim, s² = 1, noise 0.1).
  GpHyper default_hyper() const;

 private:
  /// K = k(X, X), plus the noise variance on the diagonal when `with_noise`.
  MatrixXd gram(const MatrixXd& X, const GpHyper& hyper, bool with_noise) const;
  /// LLT of K with jitter escalation; sets jitter_. Throws std::runtime_error when every jitter fails.
  Eigen::LLT<MatrixXd> factorize(const MatrixXd& K) const;
  /// The box of the packed hyper-parameters.
  void bounds(VectorXd& lo, VectorXd& hi) const;
  /// iRprop⁻ ascent of the marginal likelihood from p (clamped into the box); returns the best value.
  double ascend(const MatrixXd& X, const VectorXd& z, VectorXd& p) const;

  int dim_;
  GpConfig config_;
  GpHyper hyper_;
  bool fitted_ = false;
  MatrixXd X_;
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> X_rows_;  // X_, rows contiguous (predict)
  VectorXd z_;            // standardized outputs
  double y_mean_ = 0, y_std_ = 1;
  Eigen::LLT<MatrixXd> llt_;
  VectorXd alpha_;        // K⁻¹ z
  double fitted_lml_ = 0;
  mutable double jitter_ = 0;
};

}  // namespace mtf::online
