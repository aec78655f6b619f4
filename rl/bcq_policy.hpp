// rl/bcq_policy.hpp — a trained BCQ learner as a simulator policy (serving, eq. 4): for each state,
// n perturbed VAE proposals and the argmax of Q1. The learner is borrowed, not owned.
#pragma once
#include <string>

#include "rl/bcq.hpp"
#include "rl/sim/policy.hpp"

namespace mtf {

class BcqPolicy : public sim::Policy {
 public:
  explicit BcqPolicy(Bcq& learner, std::string name = "bcq") : learner_(learner), name_(std::move(name)) {}
  void act(const float* states, int n, float* actions, Rng& rng) override {
    learner_.act(states, n, actions, rng);
  }
  std::string name() const override { return name_; }

 private:
  Bcq& learner_;
  std::string name_;
};

}  // namespace mtf
