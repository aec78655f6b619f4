// rl/sim/fusion.cpp — see fusion.hpp.
#include "rl/sim/fusion.hpp"

#include <algorithm>
#include <cmath>

namespace mtf::sim {

std::array<double, kNumTasks> alpha_from_action(const SimConfig& config, const float* action) {
  std::array<double, kNumTasks> alpha{};
  for (int i = 0; i < kNumTasks; ++i) {
    const double a = std::clamp(static_cast<double>(action[i]), -1.0, 1.0);
    alpha[i] = config.alpha_low[i] + 0.5 * (a + 1.0) * (config.alpha_high[i] - config.alpha_low[i]);
  }
  return alpha;
}

std::array<float, kActionDim> action_from_alpha(const SimConfig& config,
                                                const std::array<double, kNumTasks>& alpha) {
  std::array<float, kActionDim> action{};
  for (int i = 0; i < kNumTasks; ++i) {
    const double width = config.alpha_high[i] - config.alpha_low[i];
    const double a = width > 0 ? 2.0 * (alpha[i] - config.alpha_low[i]) / width - 1.0 : 0.0;
    action[i] = static_cast<float>(std::clamp(a, -1.0, 1.0));
  }
  return action;
}

double fusion_score(const std::array<double, kNumTasks>& alpha, const std::array<double, kNumTasks>& beta,
                    const float* scores) {
  // logf: 600 logs per request are the ranking's whole cost; float precision is ample for a ranking.
  double f = 0.0;
  for (int i = 0; i < kNumTasks; ++i)
    f += alpha[i] * std::log(scores[i] + static_cast<float>(beta[i]));
  return f;
}

void rank_top_l(const std::array<double, kNumTasks>& alpha, const std::array<double, kNumTasks>& beta,
                const float* scores, int n, int l, double* fused, int* out) {
  for (int j = 0; j < n; ++j) fused[j] = fusion_score(alpha, beta, scores + static_cast<long>(j) * kNumTasks);
  // Selection of the l best by repeated linear scans: l is tiny (1 by default), n is ~50.
  for (int r = 0; r < l; ++r) {
    int best = -1;
    for (int j = 0; j < n; ++j) {
      bool taken = false;
      for (int q = 0; q < r; ++q) taken = taken || out[q] == j;
      if (taken) continue;
      if (best < 0 || fused[j] > fused[best]) best = j;
    }
    out[r] = best;
  }
}

}  // namespace mtf::sim
