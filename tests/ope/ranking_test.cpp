// tests/ope/ranking_test.cpp — the Deep OPE ranking metrics on hand-computed cases, and the bootstrap.
#include "ope/ranking.hpp"

#include <catch2/catch.hpp>

#include "engine/rng.hpp"

using namespace mtf;
using Catch::Matchers::WithinAbs;

TEST_CASE("average ranks handle ties", "[ranking]") {
  REQUIRE(average_ranks({10, 30, 20, 30}) == std::vector<double>{1, 3.5, 2, 3.5});
}

TEST_CASE("Spearman: perfect, reversed, and a hand-computed case", "[ranking]") {
  REQUIRE_THAT(spearman({1, 2, 3, 4}, {10, 20, 30, 40}), WithinAbs(1.0, 1e-12));
  REQUIRE_THAT(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), WithinAbs(-1.0, 1e-12));
  // ranks (1,2,3,4) vs (2,1,4,3): d^2 = 4 -> 1 - 6*4/(4*15) = 0.6
  REQUIRE_THAT(spearman({1, 2, 3, 4}, {2, 1, 4, 3}), WithinAbs(0.6, 1e-12));
}

TEST_CASE("normalized absolute error and regret@1", "[ranking]") {
  // truths 0, 1, 2 (range 2); estimates 0.5, 3, 1: errors .5, 2, 1 -> mean 3.5/3, / 2
  const RankingMetrics m = ranking_metrics({0.5, 3, 1}, {0, 1, 2});
  REQUIRE_THAT(m.normalized_abs_error, WithinAbs(3.5 / 3 / 2, 1e-12));
  // the estimator picks policy 1 (true 1) while the best is 2: regret (2 - 1) / 2
  REQUIRE_THAT(m.regret_at_1, WithinAbs(0.5, 1e-12));
  REQUIRE_THAT(ranking_metrics({0, 1, 2}, {0, 1, 2}).regret_at_1, WithinAbs(0.0, 1e-12));
  REQUIRE_THROWS(ranking_metrics({1, 2}, {3, 3}));
}

TEST_CASE("bootstrap intervals contain the point estimate and shrink with agreement", "[ranking]") {
  Rng rng(1);
  const int n = 400;
  std::vector<Eigen::ArrayXd> truth(4), good(4), noisy(4);
  for (int i = 0; i < 4; ++i) {
    truth[i] = Eigen::ArrayXd(n);
    good[i] = Eigen::ArrayXd(n);
    noisy[i] = Eigen::ArrayXd(n);
    for (int k = 0; k < n; ++k) {
      truth[i](k) = i + rng.normal();
      good[i](k) = truth[i](k) + 0.1 * rng.normal();
      noisy[i](k) = truth[i](k) + 8.0 * rng.normal();
    }
  }
  const RankingBootstrap g = bootstrap_ranking(good, truth, 300, 7);
  const RankingBootstrap b = bootstrap_ranking(noisy, truth, 300, 7);
  REQUIRE(g.spearman.lo <= g.point.spearman);
  REQUIRE(g.point.spearman <= g.spearman.hi);
  REQUIRE(g.point.spearman == 1.0);
  REQUIRE(g.normalized_abs_error.hi < b.normalized_abs_error.lo);
  REQUIRE(b.spearman.hi - b.spearman.lo > g.spearman.hi - g.spearman.lo);
}
