// bench/synthetic_buffer.hpp — the benchmarks' stand-in for a replay buffer, as the PyTorch peer builds
// it: N transitions with normal states, uniform actions in [-1, 1], normal rewards and 10 % terminals;
// sample() copies a uniform minibatch into a preallocated batch (so the timed loop includes sampling).
#pragma once
#include "engine/rng.hpp"
#include "rl/data/transition_batch.hpp"

namespace mtf::bench {

struct SyntheticBuffer {
  TransitionBatch all;
  SyntheticBuffer(Index size, Index state_dim, Index action_dim, Rng& rng) : all(size, state_dim, action_dim) {
    for (Index i = 0; i < all.state.size(); ++i) all.state.data()[i] = float(rng.normal());
    for (Index i = 0; i < all.next_state.size(); ++i) all.next_state.data()[i] = float(rng.normal());
    for (Index i = 0; i < all.action.size(); ++i) all.action.data()[i] = float(rng.uniform(-1, 1));
    for (Index i = 0; i < size; ++i) {
      all.reward(i, 0) = float(rng.normal());
      all.not_done(i, 0) = rng.bernoulli(0.9) ? 1.0f : 0.0f;
    }
  }
  void sample(TransitionBatch& out, Rng& rng) const {
    for (Index i = 0; i < out.rows(); ++i) {
      const Index r = Index(rng.below(std::uint64_t(all.rows())));
      out.state.row(i) = all.state.row(r);
      out.action.row(i) = all.action.row(r);
      out.reward(i, 0) = all.reward(r, 0);
      out.next_state.row(i) = all.next_state.row(r);
      out.not_done(i, 0) = all.not_done(r, 0);
    }
  }
};

}  // namespace mtf::bench
