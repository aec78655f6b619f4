// nets/linear.hpp — a fully connected layer: a view into a network's flat parameter buffer.
//
// It owns no memory: it remembers where its weight (out, in) and bias (1, out) blocks sit in the
// network's Parameters and records engine/ops/linear on a tape (linear, or linear_repeated when the
// input is a state repeated n times beside per-sample columns). Initialization is PyTorch's nn.Linear
// default: W and b ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform with a = sqrt(5) reduces to that).
// A network whose weights no longer change (serving) packs each layer once (pack) and passes the result
// to forward / forward_repeated: the same outputs, bit for bit, without repacking W on every call.
#pragma once
#include <cmath>
#include <string>

#include "engine/ops/linear.hpp"
#include "engine/parameters.hpp"
#include "engine/rng.hpp"

namespace mtf {

/// Whether a forward call accumulates parameter gradients. Skip is for a network that only passes
/// gradients through to its input (the critic inside the actor loss): no weight gradients are formed.
enum class ParamGrad { Accumulate, Skip };

template <class T>
class Linear {
 public:
  Linear() = default;
  /// Reserves "<name>.weight" (out, in) and "<name>.bias" (1, out) in `params`.
  Linear(Parameters<T>& params, const std::string& name, Index in, Index out)
      : in_(in), out_(out), offset_(params.add(name + ".weight", out, in)) {
    params.add(name + ".bias", 1, out);  // directly after the weight: the op expects W then b
  }

  /// x: (B, in) -> (B, out); with epilogue = Relu, max(x W^T + b, 0) as one fused op. `packed`: this
  /// layer's pack(params), or nullptr.
  Var forward(Tape<T>& tape, Parameters<T>& params, Var x, ParamGrad grad = ParamGrad::Accumulate,
              Epilogue epilogue = Epilogue::None, const PackedLinear<T>* packed = nullptr) const {
    assert(tape.cols(x) == in_ && "Linear::forward: input width differs from the layer's");
    T* param_grad = gradient_buffer(tape, params, grad);
    return ops::linear(tape, x, out_, params.values() + offset_, param_grad, epilogue, packed);
  }

  /// The layer on [repeat_rows(state, n) | rest], computing the state's part once per state
  /// (engine/ops/linear.hpp, linear_repeated); same weights, same result as forward on the concatenation.
  /// `packed`: this layer's pack(params, S), or nullptr.
  /// state: (M, S), rest: (M*n, in - S) -> (M*n, out)
  Var forward_repeated(Tape<T>& tape, Parameters<T>& params, Var state, Var rest, Index n,
                       ParamGrad grad = ParamGrad::Accumulate, Epilogue epilogue = Epilogue::None,
                       const PackedLinear<T>* packed = nullptr) const {
    assert(tape.cols(state) + tape.cols(rest) == in_ &&
           "Linear::forward_repeated: state and rest widths do not add up to the layer's input");
    T* param_grad = gradient_buffer(tape, params, grad);
    return ops::linear_repeated(tape, state, rest, n, out_, params.values() + offset_, param_grad, epilogue, packed);
  }

  /// This layer's weight in `params` packed once for forward (state_width = 0) or for forward_repeated on
  /// a state of width state_width. It views `params`' values, which must then stay unchanged.
  PackedLinear<T> pack(const Parameters<T>& params, Index state_width = 0) const {
    return PackedLinear<T>(params.values() + offset_, in_, out_, state_width);
  }

  /// Where this layer's parameter gradients go on `tape`: the tape's gradient shard of `params`, or
  /// nowhere (no gradient wanted, or the tape records without gradients).
  T* gradient_buffer(Tape<T>& tape, Parameters<T>& params, ParamGrad grad) const {
    if (grad == ParamGrad::Skip || !tape.grad_enabled()) return nullptr;
    return params.grads(tape.gradient_shard()) + offset_;
  }

  void init(Parameters<T>& params, Rng& rng) const {
    const T bound = T(1) / std::sqrt(T(in_));
    params.fill_uniform(offset_, std::size_t(in_ * out_ + out_), bound, rng);
  }

  Index in() const { return in_; }
  Index out() const { return out_; }

 private:
  Index in_ = 0, out_ = 0;
  std::size_t offset_ = 0;
};

}  // namespace mtf
