// nets/gaussian_actor.hpp — SAC's tanh-Gaussian policy (Haarnoja et al. 2018, appendix C), the actor of
// the CQL+SAC baseline (rl/cql_sac.hpp):
//   [mean | log_std] = MLP(s),  MLP = [S -> 400 -> 300 -> 2A] ReLU, identity output, ONE flat buffer
//   log_std clamped to [-20, 2] (the usual SAC bounds: exp(2) keeps the noise within the action box's
//   scale, exp(-20) keeps the density finite)
//   u = mean + exp(log_std) * eps,  eps ~ N(0, 1) given by the caller (reparameterization: noise is an input)
//   a = tanh(u),  log pi(a|s) = sum_j log N(u_j; mean_j, std_j) - log(1 - tanh(u_j)^2)
// The log-density is engine/ops/loss.hpp's tanh_gaussian_log_prob on the CLAMPED log_std (the density of
// the distribution actually sampled, as the PyTorch reference computes it from std = exp(clamped)).
// The parameter layout is PyTorch's parameters() order of Linear(S, 400), Linear(400, 300),
// Linear(300, 2A); the first A output columns are the mean, the last A the log_std (torch.chunk).
#pragma once
#include <vector>

#include "engine/ops.hpp"
#include "nets/mlp.hpp"

namespace mtf {

struct GaussianActorSpec {
  Index state_dim = 0;
  Index action_dim = 0;
  std::vector<Index> hidden = {400, 300};
};

template <class T>
class GaussianActor {
 public:
  static constexpr double kLogStdMin = -20, kLogStdMax = 2;

  /// A reparameterized sample and its log-density.
  struct Sample {
    Var action;    // (B, A) in (-1, 1)
    Var log_prob;  // (B, 1)
  };

  GaussianActor(const GaussianActorSpec& spec, Rng& rng);
  GaussianActor(const GaussianActor&) = delete;
  GaussianActor& operator=(const GaussianActor&) = delete;

  /// a = tanh(mean + std * eps) and log pi(a|s).   state (B, S), eps (B, A) -> Sample of B rows
  Sample sample(Tape<T>& tape, Var state, Var eps, ParamGrad grad = ParamGrad::Accumulate);
  /// n samples per state without repeating the network's work: the head is computed once per state and
  /// repeated (rows i*n + j belong to state i, as torch.repeat_interleave(state, n, 0) would give).
  /// state (M, S), eps (M*n, A) -> Sample of M*n rows
  Sample sample_repeated(Tape<T>& tape, Var state, Var eps, Index n, ParamGrad grad = ParamGrad::Accumulate);
  /// tanh(mean): the deterministic action SAC evaluates with. `packed`: pack(), or nullptr.
  /// state (B, S) -> (B, A)
  Var mean_action(Tape<T>& tape, Var state, ParamGrad grad = ParamGrad::Accumulate,
                  const PackedMlp<T>* packed = nullptr);
  /// The MLP's weights packed once (nets/mlp.hpp) for mean_action: they must then stay unchanged.
  PackedMlp<T> pack() const { return mlp_.pack(params_); }

  Parameters<T>& params() { return params_; }
  const Parameters<T>& params() const { return params_; }
  const GaussianActorSpec& spec() const { return spec_; }

 private:
  /// The sample from the head's output [mean | log_std].   head (B, 2A), eps (B, A) -> Sample
  Sample squash(Tape<T>& tape, Var head, Var eps) const;

  GaussianActorSpec spec_;
  Parameters<T> params_;
  MlpLayers<T> mlp_;
};

extern template class GaussianActor<float>;
extern template class GaussianActor<double>;

}  // namespace mtf
