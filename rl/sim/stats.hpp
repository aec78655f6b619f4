// rl/sim/stats.hpp — the few statistics the A/B report needs, written out (no dependency):
// the standard normal CDF, Student's t CDF (through the regularized incomplete beta function), the
// t quantile (by bisection on the CDF), and a paired comparison of two arms measured on the same units.
#pragma once
#include <vector>

namespace mtf::sim {

double normal_cdf(double x);
/// P(T ≤ t) for Student's t with `dof` > 0 degrees of freedom.
double student_t_cdf(double t, double dof);
/// The q-quantile of Student's t (0 < q < 1).
double student_t_quantile(double q, double dof);
/// Regularized incomplete beta I_x(a, b) (continued fraction, Numerical Recipes §6.4).
double incomplete_beta(double a, double b, double x);

/// Relative difference of a ratio metric Σ num / Σ den between an arm and a baseline measured on the
/// same n paired units (for a plain mean, den = 1 for every unit). The interval and the two-sided
/// p-value use the delta method on per-unit linearized values and Student's t with n − 1 dof.
struct PairedComparison {
  double baseline = 0, arm = 0;  // the two metric values
  double relative = 0;           // (arm − baseline) / baseline
  double ci_low = 0, ci_high = 0;  // 95 % interval of `relative`
  double p_value = 1;
  int n = 0;
};
PairedComparison compare_paired(const std::vector<double>& arm_num, const std::vector<double>& arm_den,
                                const std::vector<double>& base_num, const std::vector<double>& base_den);

}  // namespace mtf::sim
