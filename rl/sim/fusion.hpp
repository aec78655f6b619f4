// rl/sim/fusion.hpp — the ranking stage: action → fusion weights α, paper eq. 1, top-l selection.
//
//   α_i = lo_i + (clip(a_i, −1, 1) + 1) / 2 · (hi_i − lo_i)          (per-dimension affine map)
//   f(o | α) = Σ_i α_i log(o_i + β_i)                                (eq. 1)
// The l candidates with the highest f are shown, best first (ties go to the lower index).
#pragma once
#include <array>

#include "rl/sim/config.hpp"

namespace mtf::sim {

/// α from an action in [−1, 1]^12 (values outside are clipped).
std::array<double, kNumTasks> alpha_from_action(const SimConfig& config, const float* action);
/// The action whose image is α (inverse of alpha_from_action; α outside the bounds is clipped).
std::array<float, kActionDim> action_from_alpha(const SimConfig& config,
                                                const std::array<double, kNumTasks>& alpha);

/// Fusion score f(o|α) for one candidate's predicted scores o (k values).
double fusion_score(const std::array<double, kNumTasks>& alpha, const std::array<double, kNumTasks>& beta,
                    const float* scores);

/// Indices of the top-l of n candidates by fusion score; `scores` is n x k row-major; out has l slots.
/// `fused` is scratch of n doubles (caller-owned so that this allocates nothing).
void rank_top_l(const std::array<double, kNumTasks>& alpha, const std::array<double, kNumTasks>& beta,
                const float* scores, int n, int l, double* fused, int* out);

}  // namespace mtf::sim
