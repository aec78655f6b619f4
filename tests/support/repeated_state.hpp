// tests/support/repeated_state.hpp — the nets tests' check that a network's *_repeated variant (state
// once per group, engine/ops/linear.hpp linear_repeated in its first layer) equals the plain variant on
// repeat_rows(state, n): value, state and per-sample input gradients, and every parameter gradient,
// under one random upstream gradient, in double.
#pragma once
#include <catch2/catch.hpp>
#include <vector>

#include "engine/ops/shape.hpp"
#include "engine/parameters.hpp"
#include "tests/support/random.hpp"

namespace mtf::test {

struct RepeatedRun {
  MatrixR<double> y, d_state, d_rest;
  std::vector<double> d_params;
};

/// build(tape, state, rest) -> Var on a fresh tape, with both inputs differentiable; parameter gradients
/// are zeroed first. Walks back from the output with `upstream`.
template <class Build>
RepeatedRun run_with_upstream(Parameters<double>& params, const MatrixR<double>& state,
                              const MatrixR<double>& rest, const MatrixR<double>& upstream, Build build) {
  params.zero_grad();
  Tape<double> t;
  const Var s = t.input(state, true), r = t.input(rest, true);
  const Var y = build(t, s, r);
  REQUIRE(t.rows(y) == upstream.rows());
  REQUIRE(t.cols(y) == upstream.cols());
  t.grad(y) = upstream;
  t.backward_from(y);
  RepeatedRun run;
  run.y = t.value(y);
  run.d_state = t.grad(s);
  run.d_rest = t.grad(r);
  run.d_params.assign(params.grads(), params.grads() + params.size());
  return run;
}

/// plain(tape, state_repeated (M n, S), rest (M n, R)) and repeated(tape, state (M, S), rest, n) must agree
/// to `tol` in the value and every gradient (the state gradient of the plain run flows through
/// repeat_rows).
template <class Plain, class Repeated>
void require_repeated_matches(Parameters<double>& params, const MatrixR<double>& state,
                              const MatrixR<double>& rest, Index n, Plain plain, Repeated repeated,
                              Index out_cols, Rng& rng, double tol = 1e-12) {
  REQUIRE(rest.rows() == state.rows() * n);
  const MatrixR<double> upstream = normal_matrix(rest.rows(), out_cols, rng);
  const RepeatedRun want = run_with_upstream(params, state, rest, upstream, [&](Tape<double>& t, Var s, Var r) {
    return plain(t, ops::repeat_rows(t, s, n), r);
  });
  const RepeatedRun got = run_with_upstream(params, state, rest, upstream, [&](Tape<double>& t, Var s, Var r) {
    return repeated(t, s, r, n);
  });
  REQUIRE((got.y - want.y).cwiseAbs().maxCoeff() <= tol);
  REQUIRE((got.d_state - want.d_state).cwiseAbs().maxCoeff() <= tol);
  REQUIRE((got.d_rest - want.d_rest).cwiseAbs().maxCoeff() <= tol);
  double max_param_error = 0, max_param_grad = 0;
  for (std::size_t k = 0; k < want.d_params.size(); ++k) {
    max_param_error = std::max(max_param_error, std::abs(got.d_params[k] - want.d_params[k]));
    max_param_grad = std::max(max_param_grad, std::abs(want.d_params[k]));
  }
  INFO("largest parameter gradient " << max_param_grad);
  REQUIRE(max_param_grad > 0);  // the comparison is not vacuous
  REQUIRE(max_param_error <= tol);
}

}  // namespace mtf::test
