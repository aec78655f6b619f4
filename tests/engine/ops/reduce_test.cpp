// tests/engine/ops/reduce_test.cpp — sum, mean, row sum, group max and group log-sum-exp.
#include "engine/ops/reduce.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "engine/gradcheck.hpp"
#include "tests/support/random.hpp"
#include "tests/support/require_gradients.hpp"

using namespace mtf;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

using test::require_gradients;

TEST_CASE("sum and mean of all elements", "[ops][reduce]") {
  Rng rng(40);
  const MatrixR<double> x = test::normal_matrix(5, 3, rng);
  Tape<double> t;
  const Var v = t.input(x);
  REQUIRE_THAT(t.scalar(ops::sum(t, v)), WithinAbs(x.sum(), 1e-12));
  REQUIRE_THAT(t.scalar(ops::mean(t, v)), WithinAbs(x.mean(), 1e-12));
  require_gradients({x}, {true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::sum(t, in[0]); });
  require_gradients({x}, {true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::mean(t, in[0]); });
}

TEST_CASE("row_sum", "[ops][reduce]") {
  Rng rng(41);
  const MatrixR<double> x = test::normal_matrix(5, 3, rng);
  Tape<double> t;
  REQUIRE(t.value(ops::row_sum(t, t.input(x))).isApprox(x.rowwise().sum()));
  require_gradients({x}, {true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::row_sum(t, in[0]); });
}

TEST_CASE("group_max takes the max over consecutive groups of rows", "[ops][reduce]") {
  Rng rng(42);
  const MatrixR<double> x = test::normal_matrix(12, 2, rng);  // 3 groups of 4
  Tape<double> t;
  const MatrixR<double> y = t.value(ops::group_max(t, t.input(x), 4));
  REQUIRE(y.rows() == 3);
  for (Index g = 0; g < 3; ++g)
    for (Index d = 0; d < 2; ++d) REQUIRE(y(g, d) == x.block(g * 4, d, 4, 1).maxCoeff());
  // gradient flows to the arg-max only (random normals: no ties)
  require_gradients({x}, {true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::group_max(t, in[0], 4); });
}

TEST_CASE("group_logsumexp is stable and differentiable", "[ops][reduce]") {
  Rng rng(43);
  MatrixR<double> x = test::normal_matrix(10, 3, rng);  // 2 groups of 5
  Tape<double> t;
  const MatrixR<double> y = t.value(ops::group_logsumexp(t, t.input(x), 5));
  for (Index g = 0; g < 2; ++g)
    for (Index d = 0; d < 3; ++d)
      REQUIRE_THAT(y(g, d), WithinRel(std::log(x.block(g * 5, d, 5, 1).array().exp().sum()), 1e-12));
  require_gradients({x}, {true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::group_logsumexp(t, in[0], 5); });
  // no overflow where the naive formula would give inf
  MatrixR<double> big = MatrixR<double>::Constant(2, 1, 1000.0);
  Tape<double> t2;
  REQUIRE_THAT(t2.scalar(ops::group_logsumexp(t2, t2.input(big), 2)), WithinRel(1000.0 + std::log(2.0), 1e-12));
}
