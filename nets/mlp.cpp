#include "nets/mlp.hpp"

#include <cassert>
#include <stdexcept>

namespace mtf {

Activation parse_activation(const std::string& name) {
  if (name == "identity") return Activation::Identity;
  if (name == "relu") return Activation::Relu;
  if (name == "tanh") return Activation::Tanh;
  if (name == "sigmoid") return Activation::Sigmoid;
  throw std::invalid_argument("unknown activation \"" + name +
                              "\" (expected identity, relu, tanh or sigmoid)");
}

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::Identity: return "identity";
    case Activation::Relu: return "relu";
    case Activation::Tanh: return "tanh";
    case Activation::Sigmoid: return "sigmoid";
  }
  return "?";
}

template <class T>
MlpLayers<T>::MlpLayers(Parameters<T>& params, const std::string& name, const MlpSpec& spec)
    : spec_(spec) {
  if (spec.in <= 0 || spec.widths.empty())
    throw std::invalid_argument("MlpSpec for \"" + name + "\": need in > 0 and at least one width");
  Index in = spec.in;
  for (std::size_t i = 0; i < spec.widths.size(); ++i) {
    if (spec.widths[i] <= 0)
      throw std::invalid_argument("MlpSpec for \"" + name + "\": width " + std::to_string(i) +
                                  " must be positive");
    layers_.emplace_back(params, name + ".l" + std::to_string(i), in, spec.widths[i]);
    in = spec.widths[i];
  }
}

template <class T>
Var MlpLayers<T>::forward(Tape<T>& tape, Parameters<T>& params, Var x, ParamGrad grad,
                          const PackedMlp<T>* packed) const {
  assert(!packed || (packed->layers.size() == layers_.size() && packed->layers[0].state_width == 0));
  const Var h = layers_[0].forward(tape, params, x, grad, fused(0), packed_layer(packed, 0));
  return after_first(tape, params, activate(tape, h, 0), grad, packed);
}

template <class T>
Var MlpLayers<T>::forward_repeated(Tape<T>& tape, Parameters<T>& params, Var state, Var rest, Index n,
                                   ParamGrad grad, const PackedMlp<T>* packed) const {
  assert(!packed || packed->layers.size() == layers_.size());
  const Var x = layers_[0].forward_repeated(tape, params, state, rest, n, grad, fused(0), packed_layer(packed, 0));
  return after_first(tape, params, activate(tape, x, 0), grad, packed);
}

template <class T>
Var MlpLayers<T>::after_first(Tape<T>& tape, Parameters<T>& params, Var x, ParamGrad grad,
                              const PackedMlp<T>* packed) const {
  for (std::size_t i = 1; i < layers_.size(); ++i)
    x = activate(tape, layers_[i].forward(tape, params, x, grad, fused(i), packed_layer(packed, i)), i);
  return x;
}

template <class T>
PackedMlp<T> MlpLayers<T>::pack(const Parameters<T>& params, Index state_width) const {
  PackedMlp<T> packed;
  packed.layers.reserve(layers_.size());
  for (std::size_t i = 0; i < layers_.size(); ++i)
    packed.layers.push_back(layers_[i].pack(params, i == 0 ? state_width : 0));  // only the first is repeated
  return packed;
}

template <class T>
Var MlpLayers<T>::activate(Tape<T>& tape, Var x, std::size_t i) const {
  return fused(i) == Epilogue::Relu ? x : apply_activation(tape, x, activation(i));
}

template <class T>
void MlpLayers<T>::init(Parameters<T>& params, Rng& rng) const {
  for (const auto& l : layers_) l.init(params, rng);
}

template class MlpLayers<float>;
template class MlpLayers<double>;

}  // namespace mtf
