#include "nets/perturbation.hpp"

#include <stdexcept>

namespace mtf {

template <class T>
Perturbation<T>::Perturbation(const PerturbationSpec& spec, Rng& rng) : spec_(spec) {
  if (spec.state_dim <= 0 || spec.action_dim <= 0 || spec.hidden.empty())
    throw std::invalid_argument("PerturbationSpec: dims must be positive, hidden non-empty");
  std::vector<Index> widths = spec.hidden;
  widths.push_back(spec.action_dim);
  mlp_ = MlpLayers<T>(params_, "perturbation",
                      MlpSpec{spec.state_dim + spec.action_dim, widths, Activation::Relu, Activation::Tanh});
  mlp_.init(params_, rng);
}

template <class T>
Var Perturbation<T>::forward(Tape<T>& tape, Var state, Var action, ParamGrad grad) {
  return perturb(tape, action, mlp_.forward(tape, params_, ops::concat_cols(tape, state, action), grad));
}

template <class T>
Var Perturbation<T>::forward_repeated(Tape<T>& tape, Var state, Var action, Index n, ParamGrad grad,
                                      const PackedMlp<T>* packed) {
  return perturb(tape, action, mlp_.forward_repeated(tape, params_, state, action, n, grad, packed));
}

template <class T>
Var Perturbation<T>::perturb(Tape<T>& tape, Var action, Var squashed) const {
  const Var xi = ops::scale(tape, squashed, T(spec_.rho));
  return ops::clamp(tape, ops::add(tape, action, xi), T(-1), T(1));
}

template class Perturbation<float>;
template class Perturbation<double>;

}  // namespace mtf
