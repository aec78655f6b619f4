// rl/data/transition_batch.hpp — the one type for transitions (s, a, r, s', not_done), one per row: a
// dataset's split, a replay buffer's minibatch and a learner's input alike.
//
// Row-major float matrices (engine/tensor.hpp's MatrixR), one transition per row, so a minibatch feeds
// the networks without copies. not_done = 1 - done: 0 on the last step of a session, where s' is any
// finite value (it is multiplied by 0).
#pragma once
#include "engine/tensor.hpp"

namespace mtf {

struct TransitionBatch {
  MatrixR<float> state;       // (N, S)
  MatrixR<float> action;      // (N, A), in [-1, 1]
  MatrixR<float> reward;      // (N, 1)
  MatrixR<float> next_state;  // (N, S)
  MatrixR<float> not_done;    // (N, 1), 0 at the last step of a session
  TransitionBatch() = default;
  TransitionBatch(Index rows, Index state_dim, Index action_dim)
      : state(rows, state_dim), action(rows, action_dim), reward(rows, 1),
        next_state(rows, state_dim), not_done(rows, 1) {}
  Index rows() const { return state.rows(); }
  Index state_dim() const { return state.cols(); }
  Index action_dim() const { return action.cols(); }
};

}  // namespace mtf
