// tests/rl/online/gaussian_process_test.cpp — the GP of the BO baseline (rl/online/gaussian_process.cpp):
// the Matérn 5/2 value by hand, the posterior against a two-point closed form, the marginal likelihood
// against a dense LU computation, its analytic gradient against central differences (ARD and shared
// length-scale), jitter on a singular kernel matrix, and a fit that finds the noise level and the
// irrelevant dimensions of a known function.
#include "rl/online/gaussian_process.hpp"

#include <Eigen/LU>
#include <catch2/catch.hpp>
#include <cmath>

using namespace mtf;
using namespace mtf::online;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

namespace {

GpHyper hyper_of(const std::vector<double>& lengths, double signal, double noise) {
  GpHyper h;
  h.log_length.resize(Eigen::Index(lengths.size()));
  for (std::size_t d = 0; d < lengths.size(); ++d) h.log_length(Eigen::Index(d)) = std::log(lengths[d]);
  h.log_signal = std::log(signal);
  h.log_noise = std::log(noise);
  return h;
}

// Matérn 5/2 written out again, independently of the library's helper.
double matern_by_hand(double distance, double length, double signal) {
  const double r = distance / length;
  return signal * (1 + std::sqrt(5.0) * r + 5.0 * r * r / 3.0) * std::exp(-std::sqrt(5.0) * r);
}

MatrixXd random_points(Eigen::Index n, int dim, Rng& rng) {
  MatrixXd X(n, dim);
  for (Eigen::Index i = 0; i < n; ++i)
    for (int d = 0; d < dim; ++d) X(i, d) = rng.uniform(-1, 1);
  return X;
}

}  // namespace

TEST_CASE("matern52 at hand-computed points", "[online][gp]") {
  CHECK(matern52(0.0) == 1.0);
  CHECK_THAT(matern52(0.5), WithinRel(0.8286491424181253, 1e-14));  // (1 + √5/2 + 5/12) e^{−√5/2}
  CHECK_THAT(matern52(1.3), WithinRel(0.36741204119148096, 1e-14));
}

TEST_CASE("the posterior of two points matches the closed form", "[online][gp]") {
  GpConfig config;
  config.ard = false;
  GaussianProcess gp(1, config);
  MatrixXd X(2, 1);
  X << 0.0, 0.5;
  VectorXd y(2);
  y << 3.0, 1.0;  // mean 2, sample std √2: z = (1/√2, −1/√2)
  const double signal = 1.3, length = 0.7, noise = 0.05;
  gp.condition(X, y, hyper_of({length}, signal, noise));
  CHECK_THAT(gp.y_mean(), WithinRel(2.0, 1e-15));
  CHECK_THAT(gp.y_std(), WithinRel(std::sqrt(2.0), 1e-15));

  // K = [[a, b], [b, a]], a = s² + noise, b = k(0, 0.5); K⁻¹ = [[a, −b], [−b, a]] / (a² − b²).
  const double a = signal + noise, b = matern_by_hand(0.5, length, signal), det = a * a - b * b;
  const double z0 = 1 / std::sqrt(2.0), z1 = -z0;
  for (double x : {-0.4, 0.0, 0.2, 0.5, 1.0}) {
    const double k0 = matern_by_hand(std::abs(x - 0.0), length, signal), k1 = matern_by_hand(std::abs(x - 0.5), length, signal);
    const double mean_z = (k0 * (a * z0 - b * z1) + k1 * (-b * z0 + a * z1)) / det;
    const double quad = (k0 * (a * k0 - b * k1) + k1 * (-b * k0 + a * k1)) / det;
    const GaussianProcess::Prediction p = gp.predict(&x);
    CHECK_THAT(p.mean, WithinRel(2.0 + std::sqrt(2.0) * mean_z, 1e-12));
    CHECK_THAT(p.variance, WithinRel(2.0 * (signal - quad), 1e-10));
  }
  // A far point reverts to the prior: the mean of y and the prior variance s² (in y's units).
  const double far = 50.0;
  CHECK_THAT(gp.predict(&far).mean, WithinAbs(2.0, 1e-12));
  CHECK_THAT(gp.predict(&far).variance, WithinRel(2.0 * signal, 1e-12));
}

TEST_CASE("the log marginal likelihood matches a dense LU computation", "[online][gp]") {
  Rng rng(3);
  const int dim = 3;
  const Eigen::Index n = 9;
  const MatrixXd X = random_points(n, dim, rng);
  VectorXd z(n);
  for (Eigen::Index i = 0; i < n; ++i) z(i) = std::sin(2 * X(i, 0)) + 0.3 * X(i, 1) + 0.1 * rng.normal();
  const GpHyper h = hyper_of({0.6, 1.7, 0.9}, 0.8, 0.03);
  GaussianProcess gp(dim);
  MatrixXd K(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) {
      double r2 = 0;
      const double l[3] = {0.6, 1.7, 0.9};
      for (int d = 0; d < dim; ++d) r2 += std::pow((X(i, d) - X(j, d)) / l[d], 2);
      K(i, j) = matern_by_hand(std::sqrt(r2), 1.0, 0.8) + (i == j ? 0.03 : 0.0);
    }
  const Eigen::FullPivLU<MatrixXd> lu(K);
  const double expected = -0.5 * z.dot(lu.solve(z)) - 0.5 * std::log(lu.determinant()) - 0.5 * double(n) * std::log(2 * M_PI);
  CHECK_THAT(gp.log_marginal_likelihood(X, z, h), WithinRel(expected, 1e-10));
}

TEST_CASE("the marginal likelihood's analytic gradient matches central differences", "[online][gp]") {
  Rng rng(11);
  const int dim = 4;
  const MatrixXd X = random_points(12, dim, rng);
  VectorXd z(12);
  for (Eigen::Index i = 0; i < 12; ++i) z(i) = X(i, 0) * X(i, 1) - std::cos(3 * X(i, 2)) + 0.2 * rng.normal();
  for (bool ard : {true, false}) {
    GpConfig config;
    config.ard = ard;
    GaussianProcess gp(dim, config);
    const GpHyper h = ard ? hyper_of({0.5, 1.1, 0.8, 2.0}, 1.4, 0.07) : hyper_of({0.9}, 0.7, 0.2);
    VectorXd g;
    gp.log_marginal_likelihood(X, z, h, &g);
    const VectorXd p = h.pack();
    REQUIRE(g.size() == p.size());
    const double eps = 1e-5;
    for (Eigen::Index k = 0; k < p.size(); ++k) {
      VectorXd up = p, down = p;
      up(k) += eps;
      down(k) -= eps;
      const Eigen::Index m = h.log_length.size();
      const double fd = (gp.log_marginal_likelihood(X, z, GpHyper::unpack(up, m)) -
                         gp.log_marginal_likelihood(X, z, GpHyper::unpack(down, m))) / (2 * eps);
      INFO("ard " << ard << ", coordinate " << k);
      CHECK_THAT(g(k), WithinAbs(fd, 1e-6 + 1e-6 * std::abs(fd)));
    }
  }
}

TEST_CASE("a singular kernel matrix gets jitter instead of failing", "[online][gp]") {
  GaussianProcess gp(2);
  MatrixXd X(3, 2);
  X << 0.1, 0.2, 0.1, 0.2, 0.1, 0.2;  // the same point three times, no noise: K has rank one
  VectorXd y(3);
  y << 1.0, 1.5, 0.5;
  gp.condition(X, y, hyper_of({0.5, 0.5}, 1.0, 1e-30));
  CHECK(gp.last_jitter() > 0);
  const double x[2] = {0.1, 0.2};
  const GaussianProcess::Prediction p = gp.predict(x);
  CHECK(std::isfinite(p.mean));
  CHECK_THAT(p.mean, WithinAbs(1.0, 1e-3));  // the average of the three values
}

TEST_CASE("fit finds the noise level and the irrelevant dimensions of a known function", "[online][gp]") {
  Rng rng(5);
  const int dim = 3;
  const Eigen::Index n = 60;
  const MatrixXd X = random_points(n, dim, rng);
  const double noise_sd = 0.1;
  VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) y(i) = std::sin(3 * X(i, 0)) + noise_sd * rng.normal();  // only dimension 0 matters
  GaussianProcess gp(dim);
  Rng fit_rng(7);
  gp.fit(X, y, fit_rng);
  // The likelihood rose from the default start.
  const VectorXd z = (y.array() - gp.y_mean()) / gp.y_std();
  CHECK(gp.fitted_log_likelihood() > gp.log_marginal_likelihood(X, z, gp.default_hyper()));
  // The noise variance, in y's units, within a factor 2.5 of the truth (0.01).
  const double noise = std::exp(gp.hyper().log_noise) * gp.y_std() * gp.y_std();
  CHECK(noise > noise_sd * noise_sd / 2.5);
  CHECK(noise < noise_sd * noise_sd * 2.5);
  // ARD: the irrelevant dimensions get far longer length-scales.
  CHECK(gp.hyper().log_length(1) > gp.hyper().log_length(0) + std::log(3.0));
  CHECK(gp.hyper().log_length(2) > gp.hyper().log_length(0) + std::log(3.0));
  // The posterior mean follows the function inside the data.
  for (double x0 : {-0.7, -0.2, 0.3, 0.8}) {
    const double x[3] = {x0, 0.5, -0.5};
    CHECK_THAT(gp.predict(x).mean, WithinAbs(std::sin(3 * x0), 0.12));
  }
}
