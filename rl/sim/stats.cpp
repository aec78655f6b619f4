// rl/sim/stats.cpp — see stats.hpp.
#include "rl/sim/stats.hpp"

#include <cmath>
#include <stdexcept>

namespace mtf::sim {

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

namespace {
// Continued fraction for I_x(a, b) by the modified Lentz method.
double beta_continued_fraction(double a, double b, double x) {
  const double tiny = 1e-300, eps = 1e-15;
  double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::fabs(d) < tiny) d = tiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 500; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
    d = 1.0 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < eps) break;
  }
  return h;
}
}  // namespace

double incomplete_beta(double a, double b, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  const double front = std::exp(log_front);
  // The continued fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry otherwise.
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_continued_fraction(a, b, x) / a;
  return 1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b;
}

double student_t_cdf(double t, double dof) {
  if (!(dof > 0)) throw std::invalid_argument("student_t_cdf: dof must be > 0");
  const double x = dof / (dof + t * t);
  const double tail = 0.5 * incomplete_beta(0.5 * dof, 0.5, x);  // P(T > |t|)
  return t >= 0 ? 1.0 - tail : tail;
}

double student_t_quantile(double q, double dof) {
  if (!(q > 0 && q < 1)) throw std::invalid_argument("student_t_quantile: q must be in (0, 1)");
  double lo = -1e3, hi = 1e3;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (student_t_cdf(mid, dof) < q ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

PairedComparison compare_paired(const std::vector<double>& arm_num, const std::vector<double>& arm_den,
                                const std::vector<double>& base_num, const std::vector<double>& base_den) {
  const std::size_t n = arm_num.size();
  if (n < 2 || arm_den.size() != n || base_num.size() != n || base_den.size() != n)
    throw std::invalid_argument("compare_paired: need >= 2 paired units with equal-length inputs");
  double an = 0, ad = 0, bn = 0, bd = 0;
  for (std::size_t i = 0; i < n; ++i) an += arm_num[i], ad += arm_den[i], bn += base_num[i], bd += base_den[i];
  PairedComparison c;
  c.n = static_cast<int>(n);
  if (!(ad > 0 && bd > 0)) throw std::invalid_argument("compare_paired: zero denominator");
  c.arm = an / ad;
  c.baseline = bn / bd;
  if (c.baseline == 0) throw std::invalid_argument("compare_paired: baseline metric is 0");
  c.relative = (c.arm - c.baseline) / c.baseline;
  // Delta method for r = A/B − 1 (A, B the two ratio metrics): per unit, the linearized values
  // dA_i = (num_i − A·den_i)/mean(den) (same for B), and z_i = dA_i/B − A·dB_i/B². Pairing enters here:
  // the same unit's arm and baseline values are subtracted before the variance is taken.
  const double mean_ad = ad / n, mean_bd = bd / n;
  const double A = c.arm, B = c.baseline;
  double sum = 0, sum_sq = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double da = (arm_num[i] - A * arm_den[i]) / mean_ad;
    const double db = (base_num[i] - B * base_den[i]) / mean_bd;
    const double z = da / B - A * db / (B * B);
    sum += z;
    sum_sq += z * z;
  }
  const double mean_z = sum / n;
  const double var_z = std::max(0.0, (sum_sq - n * mean_z * mean_z) / (n - 1));
  const double se = std::sqrt(var_z / n);
  const double dof = static_cast<double>(n - 1);
  const double t_crit = student_t_quantile(0.975, dof);
  c.ci_low = c.relative - t_crit * se;
  c.ci_high = c.relative + t_crit * se;
  c.p_value = se > 0 ? 2.0 * (1.0 - student_t_cdf(std::fabs(c.relative) / se, dof)) : (c.relative == 0 ? 1.0 : 0.0);
  return c;
}

}  // namespace mtf::sim
