#include "nets/gaussian_actor.hpp"

#include <stdexcept>

namespace mtf {

template <class T>
GaussianActor<T>::GaussianActor(const GaussianActorSpec& spec, Rng& rng) : spec_(spec) {
  if (spec.state_dim <= 0 || spec.action_dim <= 0 || spec.hidden.empty())
    throw std::invalid_argument("GaussianActorSpec: dims must be positive, hidden non-empty");
  std::vector<Index> widths = spec.hidden;
  widths.push_back(2 * spec.action_dim);
  mlp_ = MlpLayers<T>(params_, "gaussian_actor", MlpSpec{spec.state_dim, widths, Activation::Relu, Activation::Identity});
  mlp_.init(params_, rng);
}

template <class T>
typename GaussianActor<T>::Sample GaussianActor<T>::sample(Tape<T>& tape, Var state, Var eps, ParamGrad grad) {
  return squash(tape, mlp_.forward(tape, params_, state, grad), eps);
}

template <class T>
typename GaussianActor<T>::Sample GaussianActor<T>::sample_repeated(Tape<T>& tape, Var state, Var eps, Index n,
                                                                    ParamGrad grad) {
  // Every copy of a state has the same mean and log_std: repeat the head (M, 2A), not the MLP's input.
  return squash(tape, ops::repeat_rows(tape, mlp_.forward(tape, params_, state, grad), n), eps);
}

template <class T>
Var GaussianActor<T>::mean_action(Tape<T>& tape, Var state, ParamGrad grad, const PackedMlp<T>* packed) {
  return ops::tanh(tape, ops::slice_cols(tape, mlp_.forward(tape, params_, state, grad, packed), 0, spec_.action_dim));
}

template <class T>
typename GaussianActor<T>::Sample GaussianActor<T>::squash(Tape<T>& tape, Var head, Var eps) const {
  const Index A = spec_.action_dim;
  const Var mean = ops::slice_cols(tape, head, 0, A);                                                // (B, A)
  const Var log_std = ops::clamp(tape, ops::slice_cols(tape, head, A, A), T(kLogStdMin), T(kLogStdMax));  // (B, A)
  const Var u = ops::add(tape, mean, ops::mul(tape, ops::exp(tape, log_std), eps));                  // (B, A)
  return {ops::tanh(tape, u), ops::tanh_gaussian_log_prob(tape, mean, log_std, eps)};
}

template class GaussianActor<float>;
template class GaussianActor<double>;

}  // namespace mtf
