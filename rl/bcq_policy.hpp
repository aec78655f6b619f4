// rl/bcq_policy.hpp — a trained BCQ learner as a serving policy (eq. 4): for each state, n perturbed
// VAE proposals and the argmax of Q1. It plugs into the simulator's Policy interface, and decide() also
// returns the fusion weights alpha each action maps to (the simulator's documented per-dimension affine
// map, rl/sim/fusion.hpp), which is what a ranker consumes. The learner is borrowed, not owned.
#pragma once
#include <string>

#include "rl/bcq.hpp"
#include "rl/sim/fusion.hpp"
#include "rl/sim/policy.hpp"

namespace mtf {

class BcqPolicy : public sim::Policy {
 public:
  explicit BcqPolicy(Bcq& learner, std::string name = "bcq", sim::SimConfig fusion = {})
      : learner_(learner), name_(std::move(name)), fusion_(std::move(fusion)) {}

  void act(const float* states, int n, float* actions, Rng& rng) override {
    learner_.act(states, n, actions, rng);
  }
  std::string name() const override { return name_; }

  /// actions (n, A) in [-1, 1] and alphas (n, k) = the fusion weights of eq. 1 they map to.
  void decide(const float* states, int n, float* actions, double* alphas, Rng& rng) {
    learner_.act(states, n, actions, rng);
    const Index A = learner_.config().action_dim;
    for (int i = 0; i < n; ++i) {
      const auto alpha = sim::alpha_from_action(fusion_, actions + i * A);
      std::copy(alpha.begin(), alpha.end(), alphas + std::size_t(i) * alpha.size());
    }
  }

 private:
  Bcq& learner_;
  std::string name_;
  sim::SimConfig fusion_;  // alpha bounds of the action map
};

}  // namespace mtf
