// nets/perturbation.hpp — BCQ's perturbation network P(s, a, rho) (paper eq. 4–5; SPEC section 3):
//   xi = rho * tanh(MLP([s, a])),   MLP = [S+A -> 400 -> 300 -> A] ReLU
//   output = clamp(a + xi, -1, 1)
// so the policy may move a VAE-proposed action by at most rho per dimension and never leave the box.
#pragma once
#include <vector>

#include "engine/ops.hpp"
#include "nets/mlp.hpp"

namespace mtf {

struct PerturbationSpec {
  Index state_dim = 0;
  Index action_dim = 0;
  std::vector<Index> hidden = {400, 300};
  double rho = 0.15;  // perturbation bound (paper: 0.15)
};

template <class T>
class Perturbation {
 public:
  Perturbation(const PerturbationSpec& spec, Rng& rng);
  Perturbation(const Perturbation&) = delete;
  Perturbation& operator=(const Perturbation&) = delete;

  /// state (B, S), action (B, A) -> perturbed action (B, A) in [-1, 1]
  Var forward(Tape<T>& tape, Var state, Var action, ParamGrad grad = ParamGrad::Accumulate);
  /// forward(repeat_rows(state, n), action) without repeating the state: n actions per state, row i*n + j
  /// belonging to state i; the MLP's first layer computes the state's part once per state.
  /// `packed`: pack_repeated(), or nullptr.
  /// state (M, S), action (M*n, A) -> perturbed action (M*n, A) in [-1, 1]
  Var forward_repeated(Tape<T>& tape, Var state, Var action, Index n, ParamGrad grad = ParamGrad::Accumulate,
                       const PackedMlp<T>* packed = nullptr);
  /// The MLP's weights packed once for forward_repeated (nets/mlp.hpp): they must then stay unchanged.
  PackedMlp<T> pack_repeated() const { return mlp_.pack(params_, spec_.state_dim); }

  Parameters<T>& params() { return params_; }
  const Parameters<T>& params() const { return params_; }
  const PerturbationSpec& spec() const { return spec_; }

 private:
  /// clamp(a + rho * squashed, -1, 1).   action, squashed (B, A) -> (B, A)
  Var perturb(Tape<T>& tape, Var action, Var squashed) const;

  PerturbationSpec spec_;
  Parameters<T> params_;
  MlpLayers<T> mlp_;
};

extern template class Perturbation<float>;
extern template class Perturbation<double>;

}  // namespace mtf
