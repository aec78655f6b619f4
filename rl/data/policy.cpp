// rl/data/policy.cpp — see policy.hpp.
#include "rl/data/policy.hpp"

#include <algorithm>
#include <stdexcept>


namespace mtf {

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

MixedPolicy::MixedPolicy(std::vector<std::shared_ptr<Policy>> members) : members_(std::move(members)) {
  if (members_.empty()) throw std::invalid_argument("MixedPolicy: no members");
}

std::size_t MixedPolicy::member_for_session(std::int64_t session_index) const {
  const auto n = static_cast<std::int64_t>(members_.size());
  return static_cast<std::size_t>(((session_index % n) + n) % n);
}

std::string MixedPolicy::name() const {
  if (members_.size() == 1) return members_[0]->name();
  std::string s = "mixed(";
  for (std::size_t i = 0; i < members_.size(); ++i) s += (i ? "," : "") + members_[i]->name();
  return s + ")";
}

StepMixturePolicy::StepMixturePolicy(std::vector<std::shared_ptr<Policy>> members, std::string name)
    : members_(std::move(members)), name_(std::move(name)) {
  if (members_.empty()) throw std::invalid_argument("StepMixturePolicy: no members");
  for (const auto& m : members_)
    if (!m) throw std::invalid_argument("StepMixturePolicy: null member");
  if (name_.empty()) {
    name_ = "step-mixture(";
    for (std::size_t i = 0; i < members_.size(); ++i) name_ += (i ? "," : "") + members_[i]->name();
    name_ += ")";
  }
}

void StepMixturePolicy::act(const float* states, int n, float* actions, Rng& rng) {
  const std::size_t k = members_.size(), row = kActionDim, block = std::size_t(n) * row;
  if (scratch_.size() < k * block) scratch_.resize(k * block);
  for (std::size_t m = 0; m < k; ++m) members_[m]->act(states, n, scratch_.data() + m * block, rng);
  for (std::size_t i = 0; i < std::size_t(n); ++i) {
    const std::size_t m = std::size_t(rng.below(k));
    std::copy_n(scratch_.data() + m * block + i * row, row, actions + i * row);
  }
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

}  // namespace mtf
