// nets/critic.hpp — Q networks.
//
// QNetwork: Q(s, a) = MLP([s, a]) -> (B, 1), ReLU hidden (FQE's critic, 256-256 by default).
// TwinCritic: BCQ's clipped double-Q pair Q1, Q2 (paper eq. 6–7), each [S+A -> 400 -> 300 -> 1], in ONE
// flat buffer so one Adam and one soft update cover both.
#pragma once
#include <cstring>
#include <vector>

#include "engine/ops.hpp"
#include "nets/mlp.hpp"

namespace mtf {

struct CriticSpec {
  Index state_dim = 0;
  Index action_dim = 0;
  std::vector<Index> hidden = {400, 300};
};

/// One Q head: [S+A -> hidden... -> 1], ReLU hidden, identity output (the critics here and in
/// nets/dropout_critic.hpp). Throws std::invalid_argument for non-positive dims or no hidden layer.
MlpSpec critic_head_spec(const CriticSpec& spec);

/// BCQ's choice among candidates (Algorithm 1's serving, eq. 5): for each of `rows` states, the candidate
/// with the highest Q of its n (row i*n + j of q (rows n, 1) and candidates (rows n, A)) is copied to
/// out (rows, A); ties keep the first. Used by the learner and by the exported policy alike.
template <class QValues, class Candidates>
void copy_best_candidates(const QValues& q, const Candidates& candidates, Index rows, Index n, float* out) {
  const Index A = candidates.cols();
  for (Index i = 0; i < rows; ++i) {
    Index best = 0;
    for (Index j = 1; j < n; ++j)
      if (q(i * n + j, 0) > q(i * n + best, 0)) best = j;
    std::memcpy(out + i * A, candidates.row(i * n + best).data(), sizeof(float) * std::size_t(A));
  }
}

template <class T>
class QNetwork {
 public:
  QNetwork(const CriticSpec& spec, Rng& rng);
  QNetwork(const QNetwork&) = delete;
  QNetwork& operator=(const QNetwork&) = delete;
  /// state (B, S), action (B, A) -> (B, 1)
  Var forward(Tape<T>& tape, Var state, Var action, ParamGrad grad = ParamGrad::Accumulate);
  /// forward(repeat_rows(state, n), action) without repeating the state (row i*n + j of action belongs
  /// to state i).   state (M, S), action (M*n, A) -> (M*n, 1)
  Var forward_repeated(Tape<T>& tape, Var state, Var action, Index n, ParamGrad grad = ParamGrad::Accumulate);
  Parameters<T>& params() { return params_; }
  const Parameters<T>& params() const { return params_; }
  const CriticSpec& spec() const { return spec_; }

 private:
  CriticSpec spec_;
  Parameters<T> params_;
  MlpLayers<T> mlp_;
};

template <class T>
class TwinCritic {
 public:
  TwinCritic(const CriticSpec& spec, Rng& rng);
  TwinCritic(const TwinCritic&) = delete;
  TwinCritic& operator=(const TwinCritic&) = delete;

  /// state (B, S), action (B, A) -> Q1 (B, 1)
  Var q1(Tape<T>& tape, Var state, Var action, ParamGrad grad = ParamGrad::Accumulate);
  /// -> Q2 (B, 1)
  Var q2(Tape<T>& tape, Var state, Var action, ParamGrad grad = ParamGrad::Accumulate);
  /// Both heads on the same (s, a); the concatenation is recorded once.
  std::pair<Var, Var> both(Tape<T>& tape, Var state, Var action, ParamGrad grad = ParamGrad::Accumulate);

  /// The same on repeat_rows(state, n) without repeating the state: n actions per state, row i*n + j of
  /// action belonging to state i; each head's first layer computes the state's part once per state.
  /// state (M, S), action (M*n, A) -> (M*n, 1)
  Var q1_repeated(Tape<T>& tape, Var state, Var action, Index n, ParamGrad grad = ParamGrad::Accumulate);
  Var q2_repeated(Tape<T>& tape, Var state, Var action, Index n, ParamGrad grad = ParamGrad::Accumulate);
  std::pair<Var, Var> both_repeated(Tape<T>& tape, Var state, Var action, Index n,
                                    ParamGrad grad = ParamGrad::Accumulate);

  Parameters<T>& params() { return params_; }
  const Parameters<T>& params() const { return params_; }
  const CriticSpec& spec() const { return spec_; }

 private:
  CriticSpec spec_;
  Parameters<T> params_;
  MlpLayers<T> mlp1_, mlp2_;
};

extern template class QNetwork<float>;
extern template class QNetwork<double>;
extern template class TwinCritic<float>;
extern template class TwinCritic<double>;

}  // namespace mtf
