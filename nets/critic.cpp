#include "nets/critic.hpp"

#include <stdexcept>

namespace mtf {

MlpSpec critic_head_spec(const CriticSpec& s) {
  if (s.state_dim <= 0 || s.action_dim <= 0 || s.hidden.empty())
    throw std::invalid_argument("CriticSpec: dims must be positive, hidden non-empty");
  std::vector<Index> widths = s.hidden;
  widths.push_back(1);
  return MlpSpec{s.state_dim + s.action_dim, widths, Activation::Relu, Activation::Identity};
}

template <class T>
QNetwork<T>::QNetwork(const CriticSpec& spec, Rng& rng)
    : spec_(spec), mlp_(params_, "q", critic_head_spec(spec)) {
  mlp_.init(params_, rng);
}

template <class T>
Var QNetwork<T>::forward(Tape<T>& tape, Var state, Var action, ParamGrad grad) {
  return mlp_.forward(tape, params_, ops::concat_cols(tape, state, action), grad);
}

template <class T>
Var QNetwork<T>::forward_repeated(Tape<T>& tape, Var state, Var action, Index n, ParamGrad grad) {
  return mlp_.forward_repeated(tape, params_, state, action, n, grad);
}

template <class T>
TwinCritic<T>::TwinCritic(const CriticSpec& spec, Rng& rng)
    : spec_(spec), mlp1_(params_, "q1", critic_head_spec(spec)), mlp2_(params_, "q2", critic_head_spec(spec)) {
  mlp1_.init(params_, rng);
  mlp2_.init(params_, rng);
}

template <class T>
Var TwinCritic<T>::q1(Tape<T>& tape, Var state, Var action, ParamGrad grad) {
  return mlp1_.forward(tape, params_, ops::concat_cols(tape, state, action), grad);
}

template <class T>
Var TwinCritic<T>::q2(Tape<T>& tape, Var state, Var action, ParamGrad grad) {
  return mlp2_.forward(tape, params_, ops::concat_cols(tape, state, action), grad);
}

template <class T>
std::pair<Var, Var> TwinCritic<T>::both(Tape<T>& tape, Var state, Var action, ParamGrad grad) {
  const Var sa = ops::concat_cols(tape, state, action);
  return {mlp1_.forward(tape, params_, sa, grad), mlp2_.forward(tape, params_, sa, grad)};
}

template <class T>
Var TwinCritic<T>::q1_repeated(Tape<T>& tape, Var state, Var action, Index n, ParamGrad grad) {
  return mlp1_.forward_repeated(tape, params_, state, action, n, grad);
}

template <class T>
Var TwinCritic<T>::q2_repeated(Tape<T>& tape, Var state, Var action, Index n, ParamGrad grad) {
  return mlp2_.forward_repeated(tape, params_, state, action, n, grad);
}

template <class T>
std::pair<Var, Var> TwinCritic<T>::both_repeated(Tape<T>& tape, Var state, Var action, Index n,
                                                 ParamGrad grad) {
  return {q1_repeated(tape, state, action, n, grad), q2_repeated(tape, state, action, n, grad)};
}

template class QNetwork<float>;
template class QNetwork<double>;
template class TwinCritic<float>;
template class TwinCritic<double>;

}  // namespace mtf
