// tests/nets/perturbation_test.cpp — P(s, a) moves each action by at most rho and stays in [-1, 1];
// its gradients (weights and both inputs) match finite differences in double; forward_repeated equals
// forward on the repeated state.
#include "nets/perturbation.hpp"

#include <catch2/catch.hpp>

#include "engine/gradcheck.hpp"
#include "tests/support/random.hpp"
#include "tests/support/repeated_state.hpp"

using namespace mtf;

TEST_CASE("perturbation is bounded by rho and by the action box", "[nets][perturbation]") {
  Rng rng(4);
  Perturbation<float> p(PerturbationSpec{6, 3, {32, 16}, 0.15}, rng);
  p.params().value(p.params().block("perturbation.l2.bias")).setConstant(50.0f);  // saturate tanh
  Tape<float> t;
  const MatrixR<float> a = test::uniform_matrix<float>(20, 3, rng, -1, 1);
  const MatrixR<float> out = t.value(p.forward(t, t.input(test::normal_matrix<float>(20, 6, rng)), t.input(a)));
  REQUIRE(out.maxCoeff() <= 1.0f);
  REQUIRE(out.minCoeff() >= -1.0f);
  REQUIRE((out - a).cwiseAbs().maxCoeff() <= 0.15f + 1e-6f);
  // saturated upward: every unclamped action moved by rho
  for (Index i = 0; i < a.size(); ++i)
    if (a.data()[i] < 0.8f) REQUIRE_THAT(out.data()[i] - a.data()[i], Catch::Matchers::WithinAbs(0.15, 1e-5));
}

TEST_CASE("perturbation gradients match finite differences", "[nets][perturbation]") {
  Rng rng(5);
  Perturbation<double> p(PerturbationSpec{3, 2, {5, 4}, 0.15}, rng);
  const MatrixR<double> s = test::normal_matrix(4, 3, rng), a = test::uniform_matrix(4, 2, rng, -0.7, 0.7);
  const GradCheckResult r = check_gradients({s, a}, {true, true}, &p.params(),
                                            [&](Tape<double>& t, const std::vector<Var>& in) { return p.forward(t, in[0], in[1]); });
  INFO(r.first_failure);
  REQUIRE(r.ok);
}

TEST_CASE("perturbation forward_repeated equals forward on the repeated state: value and gradients",
          "[nets][perturbation]") {
  Rng rng(8);
  Perturbation<double> p(PerturbationSpec{3, 2, {5, 4}, 0.15}, rng);
  const Index M = 4, n = 3;
  const MatrixR<double> s = test::normal_matrix(M, 3, rng);
  // Actions both inside the box and near its edge, so that the clamp of a + xi is active for some rows.
  MatrixR<double> a = test::uniform_matrix(M * n, 2, rng, -0.7, 0.7);
  a.row(1).setConstant(0.97);
  a.row(7).setConstant(-0.97);
  test::require_repeated_matches(
      p.params(), s, a, n, [&](Tape<double>& t, Var s_rep, Var av) { return p.forward(t, s_rep, av); },
      [&](Tape<double>& t, Var state, Var av, Index reps) { return p.forward_repeated(t, state, av, reps); }, 2, rng);
  const GradCheckResult r = check_gradients(
      {s, test::uniform_matrix(M * n, 2, rng, -0.7, 0.7)}, {true, true}, &p.params(),
      [&](Tape<double>& t, const std::vector<Var>& in) { return p.forward_repeated(t, in[0], in[1], n); });
  INFO(r.first_failure);
  REQUIRE(r.ok);
}
