// rl/sim/policy.hpp — policies that need the simulator's knowledge: a constant action per user segment.
// The Policy interface and the exploration policies are in rl/data/policy.hpp.
#pragma once
#include <string>
#include <vector>

#include "rl/data/policy.hpp"
#include "rl/sim/config.hpp"

namespace mtf::sim {

/// A constant action per user segment (segment_from_state), e.g. the per-segment best α.
/// `state_dim` is the row stride of the states act() receives.
class SegmentPolicy : public Policy {
 public:
  SegmentPolicy(int state_dim, const std::vector<Action>& per_segment, std::string name = "segment");
  void act(const float* states, int n, float* actions, Rng& rng) override;
  std::string name() const override { return name_; }

 private:
  std::vector<Action> per_segment_;
  std::string name_;
  int state_dim_;
};

}  // namespace mtf::sim
