// tests/engine/ops/shape_test.cpp — concat, slice, repeat and reshape: values and gradients.
#include "engine/ops/shape.hpp"

#include <catch2/catch.hpp>

#include "engine/gradcheck.hpp"
#include "engine/ops/elementwise.hpp"
#include "tests/support/random.hpp"
#include "tests/support/require_gradients.hpp"

using namespace mtf;

using test::require_gradients;

TEST_CASE("concat_cols of two and three tensors", "[ops][shape]") {
  Rng rng(30);
  const MatrixR<double> a = test::normal_matrix(4, 2, rng), b = test::normal_matrix(4, 3, rng),
                        c = test::normal_matrix(4, 1, rng);
  Tape<double> t;
  const MatrixR<double> ab = t.value(ops::concat_cols(t, t.input(a), t.input(b)));
  REQUIRE(ab.cols() == 5);
  REQUIRE(ab.leftCols(2) == a);
  REQUIRE(ab.rightCols(3) == b);
  const MatrixR<double> abc = t.value(ops::concat_cols(t, t.input(a), t.input(b), t.input(c)));
  REQUIRE(abc.cols() == 6);
  REQUIRE(abc.col(5) == c.col(0));
  require_gradients({a, b}, {true, true}, [](Tape<double>& t, const std::vector<Var>& in) {
    return ops::concat_cols(t, in[0], in[1]);
  });
  require_gradients({a, b, c}, {true, false, true}, [](Tape<double>& t, const std::vector<Var>& in) {
    return ops::concat_cols(t, in[0], in[1], in[2]);
  });
}

TEST_CASE("slice_cols", "[ops][shape]") {
  Rng rng(31);
  const MatrixR<double> x = test::normal_matrix(3, 7, rng);
  Tape<double> t;
  REQUIRE(t.value(ops::slice_cols(t, t.input(x), 2, 4)) == x.middleCols(2, 4));
  // two overlapping slices of one input: gradients add up
  require_gradients({x}, {true}, [](Tape<double>& t, const std::vector<Var>& in) {
    return ops::add(t, ops::slice_cols(t, in[0], 1, 3), ops::slice_cols(t, in[0], 2, 3));
  });
}

TEST_CASE("repeat_rows repeats each sample consecutively", "[ops][shape]") {
  Rng rng(32);
  const MatrixR<double> x = test::normal_matrix(3, 2, rng);
  Tape<double> t;
  const MatrixR<double> y = t.value(ops::repeat_rows(t, t.input(x), 4));
  REQUIRE(y.rows() == 12);
  for (Index i = 0; i < 3; ++i)
    for (Index j = 0; j < 4; ++j) REQUIRE(y.row(i * 4 + j) == x.row(i));
  require_gradients({x}, {true}, [](Tape<double>& t, const std::vector<Var>& in) { return ops::repeat_rows(t, in[0], 4); });
}

TEST_CASE("reshape keeps the storage order", "[ops][shape]") {
  Rng rng(33);
  const MatrixR<double> x = test::normal_matrix(6, 1, rng);  // interleaved pairs
  Tape<double> t;
  const MatrixR<double> y = t.value(ops::reshape(t, t.input(x), 3, 2));
  REQUIRE(y.rows() == 3);
  REQUIRE(y.cols() == 2);
  for (Index i = 0; i < 3; ++i) {
    REQUIRE(y(i, 0) == x(2 * i, 0));
    REQUIRE(y(i, 1) == x(2 * i + 1, 0));
  }
  // Through a nonlinearity so that the upstream gradient differs per element.
  require_gradients({test::normal_matrix(4, 3, rng)}, {true}, [](Tape<double>& t, const std::vector<Var>& in) {
    return ops::tanh(t, ops::reshape(t, in[0], 2, 6));
  });
}
