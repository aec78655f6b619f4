// tests/support/require_gradients.hpp — the op tests' one-line finite-difference assertion.
#pragma once
#include <catch2/catch.hpp>
#include <utility>
#include <vector>

#include "engine/gradcheck.hpp"

namespace mtf::test {

/// Requires engine/gradcheck to pass for build(tape, inputs), checking the inputs marked differentiable.
template <class Build>
void require_gradients(std::vector<MatrixR<double>> inputs, const std::vector<bool>& differentiable, Build build) {
  const GradCheckResult r = check_gradients(std::move(inputs), differentiable, nullptr, build);
  INFO("first failure: " << r.first_failure << "; max abs error " << r.max_abs_error);
  REQUIRE(r.checked > 0);
  REQUIRE(r.ok);
}

}  // namespace mtf::test
