// tests/engine/tape_test.cpp — recording, grad mode, backward over shared subexpressions, and reuse of
// the node array and arena across steps.
#include "engine/tape.hpp"

#include <catch2/catch.hpp>

#include "engine/ops.hpp"
#include "tests/support/alloc_counter.hpp"
#include "tests/support/random.hpp"

using namespace mtf;

TEST_CASE("inputs copy their values and leaves need grad only when asked", "[tape]") {
  Tape<float> t;
  MatrixR<float> x(2, 3);
  x << 1, 2, 3, 4, 5, 6;
  const Var a = t.input(x), b = t.input(x, true);
  REQUIRE(t.value(a) == x);
  REQUIRE_FALSE(t.node(a).needs_grad);
  REQUIRE(t.node(b).needs_grad);
  REQUIRE(t.grad(b).isZero());
  x(0, 0) = 100;  // the tape owns a copy
  REQUIRE(t.value(a)(0, 0) == 1);
}

TEST_CASE("needs_grad propagates from inputs and constants record no backward", "[tape]") {
  Tape<double> t;
  const Var c = t.input(MatrixR<double>::Ones(2, 2));
  const Var v = t.input(MatrixR<double>::Ones(2, 2), true);
  const Var cc = ops::square(t, c);
  const Var cv = ops::mul(t, c, v);
  REQUIRE_FALSE(t.node(cc).needs_grad);
  REQUIRE(t.node(cc).backward == nullptr);
  REQUIRE(t.node(cv).needs_grad);
}

TEST_CASE("backward sums the gradient over every use of a value", "[tape]") {
  // L = mean(x * x + x) => dL/dx = (2x + 1) / N
  Tape<double> t;
  MatrixR<double> x(1, 3);
  x << 1, -2, 0.5;
  const Var v = t.input(x, true);
  const Var loss = ops::mean(t, ops::add(t, ops::mul(t, v, v), v));
  t.backward(loss);
  REQUIRE(t.grad(v).isApprox(((2 * x.array() + 1) / 3.0).matrix()));
}

TEST_CASE("no-grad mode keeps no gradients and restores the mode", "[tape]") {
  Tape<float> t;
  {
    NoGradScope<float> scope(t);
    const Var v = t.input(MatrixR<float>::Ones(2, 2), true);
    REQUIRE_FALSE(t.node(v).needs_grad);
    REQUIRE_FALSE(t.node(ops::tanh(t, v)).needs_grad);
  }
  REQUIRE(t.grad_enabled());
}

TEST_CASE("reset reuses nodes and memory: the second identical step allocates nothing", "[tape][alloc]") {
  Rng rng(80);
  const MatrixR<float> x = test::normal_matrix<float>(64, 16, rng);
  Tape<float> t;
  auto step = [&] {
    t.reset();
    const Var v = t.input(x, true);
    const Var h = ops::tanh(t, ops::concat_cols(t, v, ops::square(t, v)));
    const Var g = ops::group_max(t, ops::repeat_rows(t, h, 4), 4);
    const Var loss = ops::mean(t, ops::relu(t, g));
    t.backward(loss);
    return t.value(v).data();
  };
  const float* first = step();
  test::CountAllocations count;
  for (int i = 0; i < 3; ++i) REQUIRE(step() == first);
  MTF_CHECK_NO_HEAP_ALLOCATIONS(count);
}
