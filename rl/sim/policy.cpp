// rl/sim/policy.cpp — see policy.hpp.
#include "rl/sim/policy.hpp"

#include <algorithm>
#include <stdexcept>

#include "rl/sim/simulator.hpp"

namespace mtf::sim {

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

}  // namespace mtf::sim
