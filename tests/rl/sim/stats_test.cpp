// Tests for rl/sim/stats.cpp: CDFs against known values and the paired comparison.
#include <catch2/catch.hpp>

#include "engine/rng.hpp"
#include "rl/sim/stats.hpp"

using namespace mtf;
using namespace mtf::sim;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

TEST_CASE("normal and Student t CDFs match tabulated values", "[sim][stats]") {
  REQUIRE_THAT(normal_cdf(0.0), WithinAbs(0.5, 1e-15));
  REQUIRE_THAT(normal_cdf(1.959963984540054), WithinAbs(0.975, 1e-12));
  REQUIRE_THAT(student_t_cdf(0.0, 5), WithinAbs(0.5, 1e-12));
  REQUIRE_THAT(student_t_cdf(2.570581835636314, 5), WithinAbs(0.975, 1e-10));   // t_{0.975, 5}
  REQUIRE_THAT(student_t_cdf(-2.228138851986274, 10), WithinAbs(0.025, 1e-10));  // t_{0.025, 10}
  REQUIRE_THAT(student_t_cdf(1.0, 1), WithinAbs(0.75, 1e-12));                   // Cauchy
  REQUIRE_THAT(student_t_quantile(0.975, 30), WithinRel(2.042272456301238, 1e-9));
  REQUIRE_THAT(student_t_quantile(0.975, 1e6), WithinRel(1.959963984540054, 1e-5));
  REQUIRE_THAT(incomplete_beta(2, 3, 0.4), WithinAbs(0.5248, 1e-12));
}

TEST_CASE("paired comparison: relative difference, interval and p-value", "[sim][stats]") {
  mtf::Rng rng(7);
  const int n = 2000;
  std::vector<double> base(n), arm(n), ones(n, 1.0), same(n);
  for (int i = 0; i < n; ++i) {
    base[i] = 100 + 30 * rng.normal();          // units differ a lot ...
    arm[i] = base[i] * 1.05 + rng.normal();     // ... but the arm is 5 % better on each
    same[i] = base[i] + rng.normal();
  }
  const PairedComparison c = compare_paired(arm, ones, base, ones);
  REQUIRE_THAT(c.relative, WithinAbs(0.05, 0.002));
  REQUIRE(c.ci_low < c.relative);
  REQUIRE(c.ci_high > c.relative);
  REQUIRE(c.ci_high - c.ci_low < 0.01);  // pairing removes the between-unit spread
  REQUIRE(c.p_value < 1e-10);
  const PairedComparison z = compare_paired(same, ones, base, ones);
  REQUIRE(z.ci_low < 0.0);
  REQUIRE(z.ci_high > 0.0);
  REQUIRE(z.p_value > 0.01);
  // A ratio metric: 10 % vs 12 % positive rate.
  std::vector<double> plays(n, 10.0), pos_a(n), pos_b(n);
  for (int i = 0; i < n; ++i) pos_b[i] = rng.uniform() < 0.5 ? 1.0 : 1.0, pos_a[i] = i % 5 == 0 ? 2.0 : 1.0;
  const PairedComparison r = compare_paired(pos_a, plays, pos_b, plays);
  REQUIRE_THAT(r.arm, WithinAbs(0.12, 1e-12));
  REQUIRE_THAT(r.baseline, WithinAbs(0.10, 1e-12));
  REQUIRE_THAT(r.relative, WithinAbs(0.2, 1e-12));
}
