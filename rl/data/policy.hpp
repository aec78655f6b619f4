// rl/data/policy.hpp — the state → action interface every behaviour, baseline and learned policy uses,
// and the exploration policies of section 3.3 (constant α, random exploration, action noise, mixed).
//
// Batched on purpose: the rollout engine gathers the states of all live sessions and calls act() once
// per step, which is what a neural policy (BCQ serving) wants.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "engine/rng.hpp"
#include "rl/data/schema.hpp"

namespace mtf {

class Policy {
 public:
  virtual ~Policy() = default;
  // states: n x S row-major; actions: n x A row-major, filled in [-1,1]. rng: exploration noise.
  virtual void act(const float* states, int n, float* actions, Rng& rng) = 0;
  virtual std::string name() const = 0;
};

using Action = std::array<float, kActionDim>;

/// One global action (hence one global α) for every state.
class ConstantPolicy : public Policy {
 public:
  explicit ConstantPolicy(const Action& action, std::string name = "constant");
  void act(const float* states, int n, float* actions, Rng& rng) override;
  std::string name() const override { return name_; }
  const Action& action() const { return action_; }

 private:
  Action action_;
  std::string name_;
};

/// Random exploration: a ~ N(0, σ² I) clipped to [−1, 1], no prior knowledge. Default σ = 0.5, which
/// covers the action box (≈ 95 % of draws inside before clipping) without piling mass on its faces.
class RandomPolicy : public Policy {
 public:
  explicit RandomPolicy(double sigma = 0.5);
  void act(const float* states, int n, float* actions, Rng& rng) override;
  std::string name() const override { return "random"; }

 private:
  double sigma_;
};

/// Action-noise exploration (eq. 8): π(s) + ε, ε ~ N(0, σ² I) with σ = 0.1, clipped to [−1, 1].
class NoisyPolicy : public Policy {
 public:
  explicit NoisyPolicy(std::shared_ptr<Policy> base, double sigma = 0.1);
  void act(const float* states, int n, float* actions, Rng& rng) override;
  std::string name() const override { return "noisy(" + base_->name() + ")"; }

 private:
  std::shared_ptr<Policy> base_;
  double sigma_;
};

/// Mixed multi-exploration: sessions alternate between the member policies, so each collects an equal
/// share of the sessions. A Policy sees states, not sessions, so the rollout engine asks
/// `policy_for_session(k)` which member serves the k-th session of a data collection.
class MixedPolicy {
 public:
  explicit MixedPolicy(std::vector<std::shared_ptr<Policy>> members);
  /// The member serving the k-th session (k = session_index): members take turns.
  std::size_t member_for_session(std::int64_t session_index) const;
  Policy& policy_for_session(std::int64_t session_index) const { return *members_[member_for_session(session_index)]; }
  const std::vector<std::shared_ptr<Policy>>& members() const { return members_; }
  std::string name() const;

 private:
  std::vector<std::shared_ptr<Policy>> members_;
};

/// A per-step mixture: each state is served by a member drawn uniformly at random, independently of the
/// others. Logs that alternate members session by session (MixedPolicy) look like this to an estimator
/// that sees states, not sessions: it is their behaviour policy at the level of a step.
class StepMixturePolicy : public Policy {
 public:
  explicit StepMixturePolicy(std::vector<std::shared_ptr<Policy>> members, std::string name = "");
  void act(const float* states, int n, float* actions, Rng& rng) override;
  std::string name() const override { return name_; }

 private:
  std::vector<std::shared_ptr<Policy>> members_;
  std::string name_;
  std::vector<float> scratch_;  // every member's actions, grow-only
};

/// The default behaviour policies by name: "constant" (the neutral action a = 0, or `constant_action`),
/// "random", "noisy" (noise around the constant), "mixed" (random + noisy). Throws on other names.
MixedPolicy make_behaviour_policy(const std::string& name, const Action& constant_action);

}  // namespace mtf
