#include "nets/vae.hpp"

#include <stdexcept>

namespace mtf {

namespace {
MlpSpec encoder_spec(const VaeSpec& s) {
  return MlpSpec{s.state_dim + s.action_dim, s.hidden, Activation::Relu, Activation::Relu};
}
MlpSpec decoder_spec(const VaeSpec& s) {
  std::vector<Index> widths = s.hidden;
  widths.push_back(s.action_dim);
  return MlpSpec{s.state_dim + s.latent_dim, widths, Activation::Relu, Activation::Tanh};
}
}  // namespace

template <class T>
ConditionalVae<T>::ConditionalVae(const VaeSpec& spec, Rng& rng) : spec_(spec) {
  if (spec.state_dim <= 0 || spec.action_dim <= 0 || spec.latent_dim <= 0 || spec.hidden.empty())
    throw std::invalid_argument("VaeSpec: state, action and latent dims must be positive, hidden non-empty");
  // Layer order in the buffer follows the PyTorch reference: e1, e2, mean, log_std, d1, d2, d3.
  encoder_ = MlpLayers<T>(params_, "encoder", encoder_spec(spec));
  mean_head_ = Linear<T>(params_, "mean", spec.hidden.back(), spec.latent_dim);
  log_std_head_ = Linear<T>(params_, "log_std", spec.hidden.back(), spec.latent_dim);
  decoder_ = MlpLayers<T>(params_, "decoder", decoder_spec(spec));
  encoder_.init(params_, rng);
  mean_head_.init(params_, rng);
  log_std_head_.init(params_, rng);
  decoder_.init(params_, rng);
}

template <class T>
typename ConditionalVae<T>::Reconstruction ConditionalVae<T>::reconstruct(Tape<T>& tape, Var state,
                                                                          Var action, Var eps) {
  const Var h = encoder_.forward(tape, params_, ops::concat_cols(tape, state, action));
  const Var mean = mean_head_.forward(tape, params_, h);
  const Var log_std =
      ops::clamp(tape, log_std_head_.forward(tape, params_, h), T(kLogStdMin), T(kLogStdMax));
  const Var z = ops::add(tape, mean, ops::mul(tape, ops::exp(tape, log_std), eps));
  return {decode(tape, state, z), mean, log_std};
}

template <class T>
Var ConditionalVae<T>::decode(Tape<T>& tape, Var state, Var z, ParamGrad grad) {
  return decoder_.forward(tape, params_, ops::concat_cols(tape, state, z), grad);
}

template <class T>
Var ConditionalVae<T>::decode_repeated(Tape<T>& tape, Var state, Var z, Index n, ParamGrad grad) {
  return decoder_.forward_repeated(tape, params_, state, z, n, grad);
}

template class ConditionalVae<float>;
template class ConditionalVae<double>;

}  // namespace mtf
