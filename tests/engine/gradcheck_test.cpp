// tests/engine/gradcheck_test.cpp — the checker itself: it passes correct ops and catches the two bugs
// it exists for, a wrong derivative and a backward that overwrites instead of accumulating.
#include "engine/gradcheck.hpp"

#include <catch2/catch.hpp>

#include "engine/ops/elementwise.hpp"
#include "tests/support/random.hpp"

using namespace mtf;

namespace {
// y = x^2 with a deliberately wrong derivative: 3x instead of 2x.
struct WrongSquare {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    n.value.flat() = t.node(n.in[0]).value.flat().square();
  }
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    x.grad.flat() += T(3) * x.value.flat() * n.grad.flat();
  }
};
// y = x^2 with the right derivative, but ASSIGNED to the input gradient instead of added.
struct OverwritingSquare {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    n.value.flat() = t.node(n.in[0]).value.flat().square();
  }
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    x.grad.flat() = T(2) * x.value.flat() * n.grad.flat();
  }
};
template <class Op>
GradCheckResult check_unary_op() {
  Rng rng(1);
  return check_gradients({test::normal_matrix(4, 3, rng)}, {true}, nullptr,
                         [](Tape<double>& t, const std::vector<Var>& in) {
                           return t.template record<Op>(t.rows(in[0]), t.cols(in[0]), {in[0]});
                         });
}
}  // namespace

TEST_CASE("gradcheck passes a correct op", "[gradcheck]") {
  const auto r = check_unary_op<ops::Square>();
  INFO(r.first_failure);
  REQUIRE(r.ok);
  REQUIRE(r.checked == 12);
  REQUIRE(r.max_abs_error < 1e-8);
}

TEST_CASE("gradcheck catches a wrong derivative", "[gradcheck]") {
  const auto r = check_unary_op<WrongSquare>();
  REQUIRE_FALSE(r.ok);
  REQUIRE(r.failures > 0);
  REQUIRE(r.first_failure.find("input 0") != std::string::npos);
}

TEST_CASE("gradcheck catches a backward that overwrites instead of accumulating", "[gradcheck]") {
  const auto r = check_unary_op<OverwritingSquare>();
  REQUIRE_FALSE(r.ok);
  REQUIRE(r.failures > 0);
}

TEST_CASE("gradcheck fails only when both tolerances are exceeded", "[gradcheck]") {
  // A wrong derivative whose error is tiny in absolute terms passes with a loose atol...
  Rng rng(2);
  MatrixR<double> x = test::normal_matrix(3, 3, rng, 1e-9);
  GradCheckOptions loose;
  loose.atol = 1e-6;
  auto build = [](Tape<double>& t, const std::vector<Var>& in) {
    return t.template record<WrongSquare>(3, 3, {in[0]});
  };
  REQUIRE(check_gradients({x}, {true}, nullptr, build, loose).ok);
  // ...and fails once the absolute tolerance is tight too.
  GradCheckOptions tight;
  tight.atol = 1e-15;
  REQUIRE_FALSE(check_gradients({x}, {true}, nullptr, build, tight).ok);
}
