// tests/install/consumer/decide_alpha.cpp — what an embedding serving binary does with the installed
// library: load an exported policy (`mtf export`), decide the actions and the fusion weights alpha for a
// batch of states. Prints one line per state.
//   decide_alpha POLICY [STATES]
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "serving/served_policy.hpp"

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: decide_alpha POLICY [STATES]\n");
    return 2;
  }
  const int n = argc > 2 ? std::atoi(argv[2]) : 4;
  const mtf::ServedPolicy policy = mtf::ServedPolicy::load(argv[1]);
  const int S = policy.state_dim(), A = policy.action_dim();
  std::vector<float> states(std::size_t(n) * S), actions(std::size_t(n) * A), alphas(actions.size());
  for (std::size_t i = 0; i < states.size(); ++i) states[i] = float(int(i * 37 % 101) - 50) / 25.0f;
  mtf::ServedPolicy::Scratch scratch(7);  // this thread's: tape and the seed of BCQ's latent samples
  policy.decide(states.data(), n, actions.data(), alphas.data(), scratch);
  for (int i = 0; i < n; ++i) {
    std::printf("state %d: alpha", i);
    for (int j = 0; j < A; ++j) std::printf(" %.4f", alphas[std::size_t(i * A + j)]);
    std::printf("\n");
  }
  std::printf("decided %d states with a %s policy of state dim %d\n", n, policy.algorithm().c_str(), S);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "decide_alpha: error: %s\n", e.what());
  return 1;
}
