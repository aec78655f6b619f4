// tests/nets/critic_test.cpp — Q networks: twin heads are independent networks in one buffer, and
// gradients of both heads match finite differences in double; the *_repeated variants equal the plain
// ones on the repeated state.
#include "nets/critic.hpp"

#include <catch2/catch.hpp>

#include "engine/gradcheck.hpp"
#include "tests/support/random.hpp"
#include "tests/support/repeated_state.hpp"

using namespace mtf;

TEST_CASE("twin critic: two independent heads in one flat buffer", "[nets][critic]") {
  Rng rng(6);
  TwinCritic<float> c(CriticSpec{4, 2, {16, 8}}, rng);
  REQUIRE(c.params().size() == 2 * ((16 * 6 + 16) + (8 * 16 + 8) + (1 * 8 + 1)));
  Tape<float> t;
  const Var s = t.input(test::normal_matrix<float>(5, 4, rng)), a = t.input(test::normal_matrix<float>(5, 2, rng));
  const auto [q1, q2] = c.both(t, s, a);
  REQUIRE(t.cols(q1) == 1);
  REQUIRE_FALSE(t.value(q1).isApprox(t.value(q2)));  // different initial weights
  REQUIRE(t.value(c.q1(t, s, a)) == t.value(q1));
  REQUIRE(t.value(c.q2(t, s, a)) == t.value(q2));
}

TEST_CASE("critic gradients of min(Q1, Q2) match finite differences", "[nets][critic]") {
  Rng rng(7);
  TwinCritic<double> c(CriticSpec{3, 2, {6, 5}}, rng);
  const MatrixR<double> s = test::normal_matrix(4, 3, rng), a = test::normal_matrix(4, 2, rng);
  const GradCheckResult r = check_gradients({s, a}, {true, true}, &c.params(), [&](Tape<double>& t, const std::vector<Var>& in) {
    const auto [q1, q2] = c.both(t, in[0], in[1]);
    return ops::add(t, q1, ops::scale(t, q2, 0.5));
  });
  INFO(r.first_failure);
  REQUIRE(r.ok);
  QNetwork<double> q(CriticSpec{3, 2, {6}}, rng);
  const GradCheckResult rq = check_gradients({s, a}, {true, true}, &q.params(), [&](Tape<double>& t, const std::vector<Var>& in) {
    return q.forward(t, in[0], in[1]);
  });
  REQUIRE(rq.ok);
}

TEST_CASE("critic *_repeated variants equal the plain ones on the repeated state: values and gradients",
          "[nets][critic]") {
  Rng rng(9);
  TwinCritic<double> c(CriticSpec{3, 2, {6, 5}}, rng);
  const Index M = 4, n = 3;
  const MatrixR<double> s = test::normal_matrix(M, 3, rng), a = test::uniform_matrix(M * n, 2, rng, -1, 1);
  SECTION("both") {
    test::require_repeated_matches(
        c.params(), s, a, n,
        [&](Tape<double>& t, Var s_rep, Var av) {
          const auto [q1, q2] = c.both(t, s_rep, av);
          return ops::concat_cols(t, q1, q2);
        },
        [&](Tape<double>& t, Var state, Var av, Index reps) {
          const auto [q1, q2] = c.both_repeated(t, state, av, reps);
          return ops::concat_cols(t, q1, q2);
        },
        2, rng);
  }
  SECTION("q1 and q2") {
    test::require_repeated_matches(
        c.params(), s, a, n, [&](Tape<double>& t, Var s_rep, Var av) { return c.q1(t, s_rep, av); },
        [&](Tape<double>& t, Var state, Var av, Index reps) { return c.q1_repeated(t, state, av, reps); }, 1, rng);
    test::require_repeated_matches(
        c.params(), s, a, n, [&](Tape<double>& t, Var s_rep, Var av) { return c.q2(t, s_rep, av); },
        [&](Tape<double>& t, Var state, Var av, Index reps) { return c.q2_repeated(t, state, av, reps); }, 1, rng);
  }
  SECTION("QNetwork") {
    QNetwork<double> q(CriticSpec{3, 2, {6}}, rng);
    test::require_repeated_matches(
        q.params(), s, a, n, [&](Tape<double>& t, Var s_rep, Var av) { return q.forward(t, s_rep, av); },
        [&](Tape<double>& t, Var state, Var av, Index reps) { return q.forward_repeated(t, state, av, reps); }, 1,
        rng);
  }
}
