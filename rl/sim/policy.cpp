// rl/sim/policy.cpp — see policy.hpp.
#include "rl/sim/policy.hpp"

#include <algorithm>
#include <stdexcept>

#include "rl/sim/simulator.hpp"

namespace mtf::sim {

namespace {
float clip(double a) { return static_cast<float>(std::clamp(a, -1.0, 1.0)); }
}  // namespace

ConstantPolicy::ConstantPolicy(const Action& action, std::string name) : action_(action), name_(std::move(name)) {
  for (float& a : action_) a = clip(a);
}

void ConstantPolicy::act(const float*, int n, float* actions, Rng&) {
  for (int i = 0; i < n; ++i) std::copy(action_.begin(), action_.end(), actions + static_cast<long>(i) * kActionDim);
}

RandomPolicy::RandomPolicy(double sigma) : sigma_(sigma) {
  if (!(sigma > 0)) throw std::invalid_argument("RandomPolicy: sigma must be > 0");
}

void RandomPolicy::act(const float*, int n, float* actions, Rng& rng) {
  for (long i = 0; i < static_cast<long>(n) * kActionDim; ++i) actions[i] = clip(sigma_ * rng.normal());
}

NoisyPolicy::NoisyPolicy(std::shared_ptr<Policy> base, double sigma) : base_(std::move(base)), sigma_(sigma) {
  if (!base_) throw std::invalid_argument("NoisyPolicy: null base policy");
  if (!(sigma >= 0)) throw std::invalid_argument("NoisyPolicy: sigma must be >= 0");
}

void NoisyPolicy::act(const float* states, int n, float* actions, Rng& rng) {
  base_->act(states, n, actions, rng);
  for (long i = 0; i < static_cast<long>(n) * kActionDim; ++i) actions[i] = clip(actions[i] + sigma_ * rng.normal());
}

SegmentPolicy::SegmentPolicy(int state_dim, const std::vector<Action>& per_segment, std::string name)
    : per_segment_(per_segment), name_(std::move(name)), state_dim_(state_dim) {
  if (state_dim < kNaturalStateDim) throw std::invalid_argument("SegmentPolicy: state_dim too small");
  if (static_cast<int>(per_segment_.size()) != kNumSegments)
    throw std::invalid_argument("SegmentPolicy: expected one action per segment");
}

void SegmentPolicy::act(const float* states, int n, float* actions, Rng&) {
  for (int i = 0; i < n; ++i) {
    const int seg = segment_from_state(states + static_cast<long>(i) * state_dim_);
    std::copy(per_segment_[seg].begin(), per_segment_[seg].end(), actions + static_cast<long>(i) * kActionDim);
  }
}

MixedPolicy::MixedPolicy(std::vector<std::shared_ptr<Policy>> members) : members_(std::move(members)) {
  if (members_.empty()) throw std::invalid_argument("MixedPolicy: no members");
}

Policy& MixedPolicy::policy_for_session(std::int64_t session_index) const {
  return *members_[static_cast<std::size_t>(session_index % static_cast<std::int64_t>(members_.size()))];
}

std::string MixedPolicy::name() const {
  if (members_.size() == 1) return members_[0]->name();
  std::string s = "mixed(";
  for (std::size_t i = 0; i < members_.size(); ++i) s += (i ? "," : "") + members_[i]->name();
  return s + ")";
}

MixedPolicy make_behaviour_policy(const std::string& name, const Action& constant_action) {
  auto constant = std::make_shared<ConstantPolicy>(constant_action, "constant");
  if (name == "constant") return MixedPolicy({constant});
  if (name == "random") return MixedPolicy({std::make_shared<RandomPolicy>()});
  if (name == "noisy") return MixedPolicy({std::make_shared<NoisyPolicy>(constant)});
  if (name == "mixed")
    return MixedPolicy({std::make_shared<RandomPolicy>(), std::make_shared<NoisyPolicy>(constant)});
  throw std::invalid_argument("unknown policy \"" + name + "\" (expected constant, random, noisy or mixed)");
}

}  // namespace mtf::sim
