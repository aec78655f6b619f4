// nets/mlp.hpp — multilayer perceptrons.
//
// MlpLayers is a stack of Linear layers with a hidden activation and an output activation, viewing into
// a Parameters buffer it does not own, so that composite networks (the VAE's encoder and decoder) can
// share ONE flat buffer. Mlp is the stand-alone network: it owns its Parameters and an MlpLayers.
#pragma once
#include <string>
#include <vector>

#include "engine/ops/elementwise.hpp"
#include "nets/linear.hpp"

namespace mtf {

enum class Activation { Identity, Relu, Tanh, Sigmoid };

/// Parses "identity" | "relu" | "tanh" | "sigmoid"; throws std::invalid_argument naming the value.
Activation parse_activation(const std::string& name);
const char* activation_name(Activation a);

template <class T>
Var apply_activation(Tape<T>& tape, Var x, Activation a) {
  switch (a) {
    case Activation::Identity: return x;
    case Activation::Relu: return ops::relu(tape, x);
    case Activation::Tanh: return ops::tanh(tape, x);
    case Activation::Sigmoid: return ops::sigmoid(tape, x);
  }
  return x;
}

struct MlpSpec {
  Index in = 0;
  std::vector<Index> widths;  // hidden widths..., output width
  Activation hidden = Activation::Relu;
  Activation output = Activation::Identity;
};

template <class T>
class MlpLayers {
 public:
  MlpLayers() = default;
  /// Reserves "<name>.l0", "<name>.l1", ... in `params`.
  MlpLayers(Parameters<T>& params, const std::string& name, const MlpSpec& spec);

  /// x: (B, in) -> (B, widths.back())
  Var forward(Tape<T>& tape, Parameters<T>& params, Var x, ParamGrad grad = ParamGrad::Accumulate) const;
  /// forward on [repeat_rows(state, n) | rest] without forming it: the first layer computes the state's
  /// part once per state (Linear::forward_repeated), the others run as usual.
  /// state: (M, S), rest: (M*n, in - S) -> (M*n, widths.back())
  Var forward_repeated(Tape<T>& tape, Parameters<T>& params, Var state, Var rest, Index n,
                       ParamGrad grad = ParamGrad::Accumulate) const;
  void init(Parameters<T>& params, Rng& rng) const;

  const MlpSpec& spec() const { return spec_; }
  const std::vector<Linear<T>>& layers() const { return layers_; }

 private:
  /// The layers after the first, from x = the first layer's activated output (B, widths[0]).
  Var after_first(Tape<T>& tape, Parameters<T>& params, Var x, ParamGrad grad) const;
  /// Layer i's activation: the hidden one, or the output one for the last layer.
  Activation activation(std::size_t i) const { return i + 1 < layers_.size() ? spec_.hidden : spec_.output; }
  /// What layer i's linear op fuses: its ReLU runs inside the op (one node, applied in the GEMM's
  /// stores); other activations are ops of their own.
  Epilogue fused(std::size_t i) const {
    return activation(i) == Activation::Relu ? Epilogue::Relu : Epilogue::None;
  }
  /// Layer i's activation applied to its linear output x, unless the linear op already fused it.
  Var activate(Tape<T>& tape, Var x, std::size_t i) const;

  MlpSpec spec_;
  std::vector<Linear<T>> layers_;
};

template <class T>
class Mlp {
 public:
  Mlp(const MlpSpec& spec, Rng& rng) : layers_(params_, "mlp", spec) { layers_.init(params_, rng); }
  Mlp(const Mlp&) = delete;
  Mlp& operator=(const Mlp&) = delete;

  Var forward(Tape<T>& tape, Var x, ParamGrad grad = ParamGrad::Accumulate) {
    return layers_.forward(tape, params_, x, grad);
  }
  Parameters<T>& params() { return params_; }
  const Parameters<T>& params() const { return params_; }
  const MlpSpec& spec() const { return layers_.spec(); }

 private:
  Parameters<T> params_;  // declared before layers_: layers_ reserve their blocks in it
  MlpLayers<T> layers_;
};

extern template class MlpLayers<float>;
extern template class MlpLayers<double>;

}  // namespace mtf
