// tests/install/consumer/decide_alpha.cpp — what an embedding serving binary does with the installed
// library: load a learner's checkpoint, take a serving snapshot, decide the actions for a batch of states
// and turn each into the fusion weights alpha. Prints one line per state.
//   decide_alpha CHECKPOINT [STATES]
#include <cstdio>
#include <cstdlib>

#include "engine/rng.hpp"
#include "rl/registry.hpp"
#include "rl/sim/config.hpp"
#include "rl/sim/fusion.hpp"

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: decide_alpha CHECKPOINT [STATES]\n");
    return 2;
  }
  const int n = argc > 2 ? std::atoi(argv[2]) : 4;
  const std::unique_ptr<mtf::Learner> learner = mtf::load_learner(argv[1]);
  const std::shared_ptr<mtf::Policy> policy = learner->snapshot("served");
  const mtf::Index S = learner->state_dim(), A = learner->action_dim();
  mtf::Rng rng(7);
  mtf::MatrixR<float> states(n, S), actions(n, A);
  for (mtf::Index i = 0; i < states.size(); ++i) states.data()[i] = float(rng.normal());
  policy->act(states.data(), n, actions.data(), rng);
  const mtf::sim::SimConfig fusion;  // the default alpha bounds
  for (int i = 0; i < n; ++i) {
    const auto alpha = mtf::sim::alpha_from_action(fusion, actions.data() + i * A);
    std::printf("state %d: alpha", i);
    for (double a : alpha) std::printf(" %.4f", a);
    std::printf("\n");
  }
  std::printf("decided %d states with a %s policy of state dim %ld\n", n, learner->algorithm().c_str(), long(S));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "decide_alpha: error: %s\n", e.what());
  return 1;
}
