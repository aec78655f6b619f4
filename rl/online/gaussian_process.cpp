// rl/online/gaussian_process.cpp — see gaussian_process.hpp.
#include "rl/online/gaussian_process.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace mtf::online {

namespace {
constexpr double kSqrt5 = 2.23606797749978969640;
constexpr double kLog2Pi = 1.83787706640934548356;
}  // namespace

double matern52(double r) { return (1.0 + kSqrt5 * r + 5.0 / 3.0 * r * r) * std::exp(-kSqrt5 * r); }

VectorXd GpHyper::pack() const {
  VectorXd p(log_length.size() + 2);
  p.head(log_length.size()) = log_length;
  p(log_length.size()) = log_signal;
  p(log_length.size() + 1) = log_noise;
  return p;
}

GpHyper GpHyper::unpack(const VectorXd& p, Eigen::Index lengths) {
  GpHyper h;
  h.log_length = p.head(lengths);
  h.log_signal = p(lengths);
  h.log_noise = p(lengths + 1);
  return h;
}

void GpConfig::check(const ConfigReader& r) const {
  if (min_length > max_length) r.fail("max_length", "below min_length");
  if (min_signal > max_signal) r.fail("max_signal", "below min_signal");
  if (min_noise > max_noise) r.fail("max_noise", "below min_noise");
}

GaussianProcess::GaussianProcess(int dim, const GpConfig& config) : dim_(dim), config_(config) {
  if (dim < 1) throw std::invalid_argument("GaussianProcess: dim must be positive");
  hyper_ = default_hyper();
}

GpHyper GaussianProcess::default_hyper() const {
  GpHyper h;
  const double length = std::clamp(0.5 * std::sqrt(double(dim_)), config_.min_length, config_.max_length);
  h.log_length = VectorXd::Constant(config_.ard ? dim_ : 1, std::log(length));
  h.log_signal = std::log(std::clamp(1.0, config_.min_signal, config_.max_signal));
  h.log_noise = std::log(std::clamp(0.1, config_.min_noise, config_.max_noise));
  return h;
}

double GaussianProcess::kernel(const double* a, const double* b, const GpHyper& hyper) const {
  const bool ard = hyper.log_length.size() > 1;
  double r2 = 0;
  for (int d = 0; d < dim_; ++d) {
    const double l = std::exp(hyper.log_length(ard ? d : 0)), diff = (a[d] - b[d]) / l;
    r2 += diff * diff;
  }
  return std::exp(hyper.log_signal) * matern52(std::sqrt(r2));
}

MatrixXd GaussianProcess::gram(const MatrixXd& X, const GpHyper& hyper, bool with_noise) const {
  const Eigen::Index n = X.rows();
  MatrixXd K(n, n);
  // Row-major copies of the points so kernel() reads contiguous memory.
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> P = X;
  for (Eigen::Index i = 0; i < n; ++i) {
    K(i, i) = std::exp(hyper.log_signal);
    for (Eigen::Index j = 0; j < i; ++j) K(i, j) = K(j, i) = kernel(P.row(i).data(), P.row(j).data(), hyper);
  }
  if (with_noise) K.diagonal().array() += std::exp(hyper.log_noise);
  return K;
}

Eigen::LLT<MatrixXd> GaussianProcess::factorize(const MatrixXd& K) const {
  jitter_ = 0;
  Eigen::LLT<MatrixXd> llt(K);
  if (llt.info() == Eigen::Success) return llt;
  const double scale = K.diagonal().mean();
  for (double j = 1e-10; j <= 1e-2 * (1 + 1e-9); j *= 10) {
    MatrixXd Kj = K;
    Kj.diagonal().array() += j * scale;
    llt.compute(Kj);
    if (llt.info() == Eigen::Success) {
      jitter_ = j * scale;
      return llt;
    }
  }
  throw std::runtime_error("GaussianProcess: the kernel matrix is not positive definite even with jitter 1e-2 * mean(diag)");
}

double GaussianProcess::log_marginal_likelihood(const MatrixXd& X, const VectorXd& z, const GpHyper& hyper,
                                                VectorXd* gradient) const {
  const Eigen::Index n = X.rows();
  const Eigen::LLT<MatrixXd> llt = factorize(gram(X, hyper, true));
  const VectorXd alpha = llt.solve(z);
  const MatrixXd L = llt.matrixL();
  const double lml = -0.5 * z.dot(alpha) - L.diagonal().array().log().sum() - 0.5 * double(n) * kLog2Pi;
  if (!gradient) return lml;

  // d lml / d theta_j = ½ tr(W dK/dtheta_j), W = alpha alphaᵀ − K⁻¹ (symmetric).
  const MatrixXd W = alpha * alpha.transpose() - llt.solve(MatrixXd::Identity(n, n));
  const Eigen::Index m = hyper.log_length.size();
  const bool ard = m > 1;
  VectorXd g = VectorXd::Zero(m + 2);
  const double s2 = std::exp(hyper.log_signal);
  VectorXd inv_l2(m);
  for (Eigen::Index d = 0; d < m; ++d) inv_l2(d) = std::exp(-2.0 * hyper.log_length(d));
  for (Eigen::Index i = 0; i < n; ++i) {
    g(m) += 0.5 * W(i, i) * s2;  // dK_ii/dlog s² = s²
    for (Eigen::Index j = 0; j < i; ++j) {
      double r2 = 0;
      for (int d = 0; d < dim_; ++d) {
        const double diff = X(i, d) - X(j, d);
        r2 += diff * diff * inv_l2(ard ? d : 0);
      }
      const double r = std::sqrt(r2), e = std::exp(-kSqrt5 * r);
      // Off-diagonal pairs count twice in the trace (W and dK symmetric).
      g(m) += W(i, j) * s2 * (1.0 + kSqrt5 * r + 5.0 / 3.0 * r2) * e;
      const double common = W(i, j) * s2 * (5.0 / 3.0) * (1.0 + kSqrt5 * r) * e;  // times Δ_d²/ℓ_d²
      if (ard) {
        for (int d = 0; d < dim_; ++d) {
          const double diff = X(i, d) - X(j, d);
          g(d) += common * diff * diff * inv_l2(d);
        }
      } else {
        g(0) += common * r2;
      }
    }
  }
  g(m + 1) = 0.5 * W.trace() * std::exp(hyper.log_noise);  // dK/dlog noise = noise·I
  *gradient = g;
  return lml;
}

void GaussianProcess::bounds(VectorXd& lo, VectorXd& hi) const {
  const Eigen::Index m = config_.ard ? dim_ : 1;
  lo.resize(m + 2);
  hi.resize(m + 2);
  lo.head(m).setConstant(std::log(config_.min_length));
  hi.head(m).setConstant(std::log(config_.max_length));
  lo(m) = std::log(config_.min_signal);
  hi(m) = std::log(config_.max_signal);
  lo(m + 1) = std::log(config_.min_noise);
  hi(m + 1) = std::log(config_.max_noise);
}

double GaussianProcess::ascend(const MatrixXd& X, const VectorXd& z, VectorXd& p) const {
  VectorXd lo, hi;
  bounds(lo, hi);
  const Eigen::Index m = p.size() - 2;
  p = p.cwiseMax(lo).cwiseMin(hi);
  VectorXd g, previous = VectorXd::Zero(p.size()), step = VectorXd::Constant(p.size(), 0.1);
  VectorXd best = p;
  double best_value = -std::numeric_limits<double>::infinity();
  for (int it = 0; it <= config_.iterations; ++it) {
    double value;
    try {
      value = log_marginal_likelihood(X, z, GpHyper::unpack(p, m), &g);
    } catch (const std::runtime_error&) {
      value = -std::numeric_limits<double>::infinity();  // a corner of the box K cannot be factorized at
      g.setZero(p.size());
    }
    if (value > best_value) best_value = value, best = p;
    if (it == config_.iterations) break;
    // iRprop⁻: grow the step while the sign holds, halve it and skip one move when it flips.
    for (Eigen::Index k = 0; k < p.size(); ++k) {
      const double s = g(k) * previous(k);
      if (s > 0) step(k) = std::min(step(k) * 1.2, 1.0);
      else if (s < 0) step(k) = std::max(step(k) * 0.5, 1e-6), g(k) = 0;
      if (g(k) > 0) p(k) += step(k);
      else if (g(k) < 0) p(k) -= step(k);
    }
    p = p.cwiseMax(lo).cwiseMin(hi);
    previous = g;
  }
  p = best;
  return best_value;
}

void GaussianProcess::fit(const MatrixXd& X, const VectorXd& y, Rng& rng) {
  condition(X, y, fitted_ ? hyper_ : default_hyper());  // standardizes; the warm start
  VectorXd lo, hi;
  bounds(lo, hi);
  std::vector<VectorXd> starts = {hyper_.pack(), default_hyper().pack()};
  for (int s = 0; s < config_.restarts; ++s) {
    VectorXd p(lo.size());
    for (Eigen::Index k = 0; k < p.size(); ++k) p(k) = rng.uniform(lo(k), hi(k));
    starts.push_back(p);
  }
  double best_value = -std::numeric_limits<double>::infinity();
  VectorXd best = starts.front();
  for (VectorXd& p : starts) {
    const double v = ascend(X_, z_, p);
    if (v > best_value) best_value = v, best = p;
  }
  if (!std::isfinite(best_value))
    throw std::runtime_error("GaussianProcess::fit: no hyper-parameters give a factorizable kernel matrix");
  condition(X, y, GpHyper::unpack(best, lo.size() - 2));
}

void GaussianProcess::condition(const MatrixXd& X, const VectorXd& y, const GpHyper& hyper) {
  if (X.rows() < 1 || X.cols() != dim_ || y.size() != X.rows())
    throw std::invalid_argument("GaussianProcess: X must be n x dim and y of length n, n >= 1");
  if (hyper.log_length.size() != (config_.ard ? dim_ : 1))
    throw std::invalid_argument("GaussianProcess: hyper-parameters of another length-scale layout");
  X_ = X;
  X_rows_ = X;
  y_mean_ = y.mean();
  const double var = y.size() > 1 ? (y.array() - y_mean_).square().sum() / double(y.size() - 1) : 0.0;
  y_std_ = var > 0 ? std::sqrt(var) : 1.0;  // one point or constant outputs: unit scale
  z_ = (y.array() - y_mean_) / y_std_;
  hyper_ = hyper;
  llt_ = factorize(gram(X_, hyper_, true));
  alpha_ = llt_.solve(z_);
  fitted_lml_ = log_marginal_likelihood(X_, z_, hyper_);
  fitted_ = true;
}

GaussianProcess::Prediction GaussianProcess::predict(const double* x) const {
  if (!fitted_) throw std::logic_error("GaussianProcess::predict before fit or condition");
  const Eigen::Index n = X_.rows();
  VectorXd k(n);
  for (Eigen::Index i = 0; i < n; ++i) k(i) = kernel(x, X_rows_.row(i).data(), hyper_);
  const VectorXd v = llt_.matrixL().solve(k);
  Prediction p;
  p.mean = y_mean_ + y_std_ * k.dot(alpha_);
  p.variance = y_std_ * y_std_ * std::max(0.0, std::exp(hyper_.log_signal) - v.squaredNorm());
  return p;
}

}  // namespace mtf::online
