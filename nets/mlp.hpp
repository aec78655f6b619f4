// nets/mlp.hpp — multilayer perceptrons.
//
// MlpLayers is a stack of Linear layers with a hidden activation and an output activation, viewing into
// a Parameters buffer it does not own, so that composite networks (the VAE's encoder and decoder) can
// share ONE flat buffer. Mlp is the stand-alone network: it owns its Parameters and an MlpLayers.
// PackedMlp is every layer's weight packed once (nets/linear.hpp), for a network that no longer changes.
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

/// The layers of an MlpLayers packed once (MlpLayers::pack), for its forward or its forward_repeated.
template <class T>
struct PackedMlp {
  std::vector<PackedLinear<T>> layers;
};

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

  /// x: (B, in) -> (B, widths.back()). `packed`: pack(params), or nullptr.
  Var forward(Tape<T>& tape, Parameters<T>& params, Var x, ParamGrad grad = ParamGrad::Accumulate,
              const PackedMlp<T>* packed = nullptr) const;
  /// forward on [repeat_rows(state, n) | rest] without forming it: the first layer computes the state's
  /// part once per state (Linear::forward_repeated), the others run as usual. `packed`: pack(params, S),
  /// or nullptr.
  /// state: (M, S), rest: (M*n, in - S) -> (M*n, widths.back())
  Var forward_repeated(Tape<T>& tape, Parameters<T>& params, Var state, Var rest, Index n,
                       ParamGrad grad = ParamGrad::Accumulate, const PackedMlp<T>* packed = nullptr) const;
  void init(Parameters<T>& params, Rng& rng) const;
  /// Every layer's weight in `params` packed once, for forward (state_width = 0) or for forward_repeated
  /// on a state of width state_width (the first layer's two products). Views `params`' values, which
  /// must then stay unchanged (a served network's).
  PackedMlp<T> pack(const Parameters<T>& params, Index state_width = 0) const;

  const MlpSpec& spec() const { return spec_; }
  const std::vector<Linear<T>>& layers() const { return layers_; }

 private:
  /// The layers after the first, from x = the first layer's activated output (B, widths[0]).
  Var after_first(Tape<T>& tape, Parameters<T>& params, Var x, ParamGrad grad, const PackedMlp<T>* packed) const;
  /// Layer i's packed weight, or nullptr.
  static const PackedLinear<T>* packed_layer(const PackedMlp<T>* packed, std::size_t i) {
    return packed ? &packed->layers[i] : nullptr;
  }
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

  Var forward(Tape<T>& tape, Var x, ParamGrad grad = ParamGrad::Accumulate, const PackedMlp<T>* packed = nullptr) {
    return layers_.forward(tape, params_, x, grad, packed);
  }
  /// The layers packed once for forward (see MlpLayers::pack): the weights must then stay unchanged.
  PackedMlp<T> pack() const { return layers_.pack(params_); }
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
