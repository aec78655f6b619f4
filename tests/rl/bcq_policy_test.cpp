// tests/rl/bcq_policy_test.cpp — serving through the policy adapter: the same actions as the learner,
// and alphas that are the simulator's map of those actions, inside the configured bounds.
#include "rl/bcq_policy.hpp"

#include <catch2/catch.hpp>

using namespace mtf;

TEST_CASE("BcqPolicy serves the learner's actions and their fusion weights", "[bcq][serving]") {
  BcqConfig c;
  c.state_dim = 64;
  c.vae_hidden = {32, 32};
  c.actor_hidden = {32, 32};
  c.critic_hidden = {32, 32};
  Bcq learner(c);
  BcqPolicy policy(learner);
  Rng data(1);
  MatrixR<float> states(5, 64);
  for (Index i = 0; i < states.size(); ++i) states.data()[i] = float(data.normal());
  MatrixR<float> direct(5, 12), served(5, 12);
  Eigen::Matrix<double, 5, 12, Eigen::RowMajor> alphas;
  Rng r1(9), r2(9);
  learner.act(states.data(), 5, direct.data(), r1);
  policy.decide(states.data(), 5, served.data(), alphas.data(), r2);
  REQUIRE(direct == served);
  const sim::SimConfig bounds;
  for (int i = 0; i < 5; ++i) {
    const auto expected = sim::alpha_from_action(bounds, served.row(i).data());
    for (int k = 0; k < 12; ++k) {
      REQUIRE(alphas(i, k) == expected[std::size_t(k)]);
      REQUIRE(alphas(i, k) >= bounds.alpha_low[std::size_t(k)]);
      REQUIRE(alphas(i, k) <= bounds.alpha_high[std::size_t(k)]);
    }
  }
}
