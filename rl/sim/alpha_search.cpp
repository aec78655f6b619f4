// rl/sim/alpha_search.cpp — see alpha_search.hpp.
#include "rl/sim/alpha_search.hpp"

#include <algorithm>

namespace mtf::sim {

std::vector<Action> random_action_candidates(int n_random, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<Action> out(1 + n_random);
  out[0].fill(0.0f);
  for (int i = 1; i <= n_random; ++i)
    for (float& a : out[i]) a = static_cast<float>(rng.uniform(-1.0, 1.0));
  return out;
}

std::vector<Action> local_action_candidates(const Action& center, int n, double sigma, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<Action> out(1 + n, center);
  for (int i = 1; i <= n; ++i)
    for (float& a : out[i]) a = static_cast<float>(std::clamp(a + sigma * rng.normal(), -1.0, 1.0));
  return out;
}

AlphaSearchResult evaluate_action_candidates(const Simulator& sim, const std::vector<Action>& candidates,
                                             const std::vector<SessionStart>& starts, std::uint64_t seed,
                                             const RolloutOptions& options) {
  AlphaSearchResult r;
  r.candidates = candidates;
  std::array<int, kNumSegments> count{};
  for (const auto& s : starts) count[sim.population().users[s.user].segment] += 1;
  for (const Action& a : candidates) {
    ConstantPolicy policy(a);
    const ValueEstimate v = true_value(sim, policy, starts, seed, options);
    r.value.push_back(v.mean);
    r.instant.push_back(v.mean_first_reward);
    std::array<double, kNumSegments> seg{};
    for (std::size_t j = 0; j < starts.size(); ++j)
      seg[sim.population().users[starts[j].user].segment] += v.per_rollout[j];
    for (int g = 0; g < kNumSegments; ++g) seg[g] = count[g] ? seg[g] / count[g] : 0.0;
    r.segment_value.push_back(seg);
  }
  auto argmax = [](const std::vector<double>& v) {
    return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
  };
  r.best_value = argmax(r.value);
  r.best_instant = argmax(r.instant);
  for (int g = 0; g < kNumSegments; ++g) {
    std::vector<double> col;
    for (const auto& s : r.segment_value) col.push_back(s[g]);
    r.best_segment[g] = argmax(col);
  }
  return r;
}

}  // namespace mtf::sim
