// tests/ope/chain_mdp.hpp — the small MDP with a known value on which every estimator is checked.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>

#include "engine/rng.hpp"
#include "rl/data/policy.hpp"
#include "rl/data/transition_batch.hpp"

namespace mtf::test {

// A chain MDP: state s_t = (t / T, 1) for t < T, deterministic s_t -> s_{t+1}, the episode ends after
// T steps; reward r(a) = 1 - a^2 whatever the state. Logged actions a ~ U(-0.5, 0.5). A constant policy
// pi(s) = c therefore has the exact value V(s_0) = (1 - c^2) (1 - gamma^T) / (1 - gamma).
inline constexpr int kHorizon = 10;
inline constexpr double kGamma = 0.95;
inline constexpr double kAlpha = 5e-4;  // the paper's CQL penalty


inline TransitionBatch chain_data(int episodes, Rng& rng) {
  const Index n = Index(episodes) * kHorizon;
  TransitionBatch data(n, 2, 1);
  for (int e = 0; e < episodes; ++e)
    for (int t = 0; t < kHorizon; ++t) {
      const Index i = Index(e) * kHorizon + t;
      const float a = float(rng.uniform(-0.5, 0.5));
      data.state.row(i) << float(t) / kHorizon, 1.0f;
      data.next_state.row(i) << float(t + 1) / kHorizon, 1.0f;
      data.action(i, 0) = a;
      data.reward(i, 0) = 1.0f - a * a;
      data.not_done(i, 0) = t == kHorizon - 1 ? 0.0f : 1.0f;
    }
  return data;
}

// pi(s) = a for the chain's one-dimensional action.
struct Constant1D : Policy {
  float a;
  explicit Constant1D(float v) : a(v) {}
  void act(const float*, int n, float* out, Rng&) override { std::fill(out, out + n, a); }
  std::string name() const override { return "constant"; }
};

inline double exact_value(double c) { return (1 - c * c) * (1 - std::pow(kGamma, kHorizon)) / (1 - kGamma); }

}  // namespace mtf::test
