// rl/sim/alpha_search.hpp — searching constant fusion weights against the simulator's ground truth.
//
// Used to find the best single global α (the BO baseline's target), the best α per user segment, and
// the α that maximizes the instant (first-step) reward. Every candidate is evaluated with the same
// starts and the same rollout seeds (common random numbers), so the comparison between candidates is
// paired. Selection on one set of seeds and a fresh evaluation on another avoids the winner's curse.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "rl/sim/policy.hpp"
#include "rl/sim/population.hpp"
#include "rl/sim/rollout.hpp"

namespace mtf::sim {

/// The neutral action followed by `n_random` actions uniform in [−1, 1]^12 (a pure function of seed).
std::vector<Action> random_action_candidates(int n_random, std::uint64_t seed);

/// Candidates around `center`: `n` points center + N(0, σ²) clipped to the box (center first).
std::vector<Action> local_action_candidates(const Action& center, int n, double sigma, std::uint64_t seed);

struct AlphaSearchResult {
  std::vector<Action> candidates;
  std::vector<double> value;    // mean discounted session return over all starts
  std::vector<double> instant;  // mean first-step reward
  std::vector<std::array<double, kNumSegments>> segment_value;  // mean return per start segment
  int best_value = 0;           // argmax value
  int best_instant = 0;         // argmax instant reward
  std::array<int, kNumSegments> best_segment{};  // argmax per segment
};

/// Evaluates every candidate as a ConstantPolicy from `starts` with rollout seeds from `seed`.
AlphaSearchResult evaluate_action_candidates(const Simulator& sim, const std::vector<Action>& candidates,
                                             const std::vector<SessionStart>& starts, std::uint64_t seed,
                                             const RolloutOptions& options);

}  // namespace mtf::sim
