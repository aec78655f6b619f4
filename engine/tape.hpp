// engine/tape.hpp — reverse-mode autodiff over batched matrices.
//
// A Tape records one Node per matrix op (never per scalar) in a flat array; backward() walks that array
// in reverse and calls each node's backward function (a plain function pointer: no std::function, no
// captures, no heap per node). Values and gradients live in the tape's Arena.
//
// Reuse: a training step calls reset() and records the same ops again. reset() rewinds the arena and
// the node cursor but keeps both, so from the second step on recording allocates nothing.
//
// Contract of an op's backward (dlib's): it ADDS its contribution to the gradients of its inputs
// (never assigns), and only to inputs whose needs_grad is set. Parameter gradients of a linear layer
// are accumulated into the owning Parameters' flat gradient buffer the same way, so a network applied
// twice in one loss gets the sum. A tape that records one shard of a split minibatch names its gradient
// shard (set_gradient_shard): layers then accumulate into that shard's buffer of their Parameters
// (engine/parameters.hpp), so tapes on different threads never write the same gradient memory.
//
// Grad mode: with grad disabled (NoGradScope, or Tape::set_grad_enabled(false)) nodes keep no gradient
// buffers and backward() is unavailable: that is the fast forward path for targets and serving.
#pragma once
#include <memory>
#include <vector>

#include "engine/arena.hpp"
#include "engine/tensor.hpp"

namespace mtf {

/// Handle of a recorded value: its index in the tape.
struct Var {
  int id = -1;
};

template <class T>
class Tape;
template <class T>
struct Node;

template <class T>
struct PackedLinear;  // engine/ops/linear.hpp

template <class T>
using BackwardFn = void (*)(Tape<T>&, const Node<T>&);

/// Attributes an op may carry. Unused fields stay zero.
template <class T>
struct OpAttrs {
  T a = 0;                   // scalar attribute (scale, lower bound, ...)
  T b = 0;                   // second scalar attribute (shift, upper bound, ...)
  Index k = 0;               // integer attribute (group size, column offset, ...)
  const T* param = nullptr;  // linear: weight (out x in) followed by bias (out), in a flat buffer
  T* param_grad = nullptr;   // linear: gradient of the above, or nullptr when not wanted
  const PackedLinear<T>* packed = nullptr;  // linear: the weight above packed once (serving), or nullptr
};

template <class T>
struct Node {
  Tensor<T> value;
  Tensor<T> grad;   // empty unless needs_grad
  Tensor<T> aux;    // op-owned scratch (e.g. argmax indices), empty if unused
  int in[3] = {-1, -1, -1};
  OpAttrs<T> attrs;
  BackwardFn<T> backward = nullptr;
  bool needs_grad = false;
};

template <class T>
class Tape {
 public:
  Tape() = default;
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  /// Forgets all recorded nodes; keeps the node array and the arena for the next step.
  void reset();

  void set_grad_enabled(bool on) { grad_enabled_ = on; }
  bool grad_enabled() const { return grad_enabled_; }
  /// Which gradient buffer of a network's Parameters the layers recorded on this tape accumulate into
  /// (Parameters::grads(shard)); 0 unless set. Survives reset().
  void set_gradient_shard(std::size_t shard) { gradient_shard_ = shard; }
  std::size_t gradient_shard() const { return gradient_shard_; }

  /// A leaf (rows x cols), uninitialized; with requires_grad its gradient is accumulated by backward().
  Var leaf(Index rows, Index cols, bool requires_grad = false);
  /// A leaf holding a copy of `x`.
  Var input(const Eigen::Ref<const MatrixR<T>>& x, bool requires_grad = false);
  /// A leaf holding a copy of rows x cols values at `data` (row-major).
  Var input(const T* data, Index rows, Index cols, bool requires_grad = false);

  MapR<T> value(Var v) { return node(v).value.mat(); }
  MapR<T> grad(Var v) {
    assert(node(v).needs_grad);
    return node(v).grad.mat();
  }
  T scalar(Var v) {
    assert(node(v).value.size() == 1);
    return node(v).value.data[0];
  }
  Index rows(Var v) { return node(v).value.rows; }
  Index cols(Var v) { return node(v).value.cols; }

  /// d(loss)/d(everything): loss must be 1 x 1. Adds 1 to its gradient and walks back.
  void backward(Var loss);
  /// Walks back from `out` whose gradient the caller has already set (grad(out) = upstream).
  void backward_from(Var out);

  /// Records a node of the given shape with inputs, runs Op::forward on it and returns its handle.
  /// needs_grad = grad mode on and (an input needs grad or the op writes a parameter gradient).
  template <class Op>
  Var record(Index rows, Index cols, std::initializer_list<Var> inputs, OpAttrs<T> attrs = {});

  Node<T>& node(Var v) {
    assert(v.id >= 0 && v.id < cursor_);
    return nodes_[v.id];
  }
  Node<T>& node(int id) {
    assert(id >= 0 && id < cursor_);
    return nodes_[id];
  }
  int size() const { return cursor_; }

  /// Scratch memory from the arena, valid until reset() (for ops needing extra buffers).
  Tensor<T> scratch(Index rows, Index cols);
  Arena& arena() { return arena_; }

 private:
  Node<T>& new_node(Index rows, Index cols, bool needs_grad);
  std::vector<Node<T>> nodes_;
  int cursor_ = 0;
  Arena arena_;
  bool grad_enabled_ = true;
  std::size_t gradient_shard_ = 0;
};

/// Disables gradients on a tape for a scope (the forward-only fast path).
/// The tapes of a step split into `count` gradient shards: tape k records shard k and names gradient
/// shard k (the owner calls Parameters::set_gradient_shards(count) on the networks it trains).
template <class T>
std::vector<std::unique_ptr<Tape<T>>> make_shard_tapes(std::size_t count) {
  std::vector<std::unique_ptr<Tape<T>>> tapes;
  for (std::size_t k = 0; k < count; ++k) {
    tapes.push_back(std::make_unique<Tape<T>>());
    tapes.back()->set_gradient_shard(k);
  }
  return tapes;
}

template <class T>
class NoGradScope {
 public:
  explicit NoGradScope(Tape<T>& t) : tape_(t), was_(t.grad_enabled()) { t.set_grad_enabled(false); }
  ~NoGradScope() { tape_.set_grad_enabled(was_); }

 private:
  Tape<T>& tape_;
  bool was_;
};

// ---------------------------------------------------------------------------------------------------

template <class T>
template <class Op>
Var Tape<T>::record(Index rows, Index cols, std::initializer_list<Var> inputs, OpAttrs<T> attrs) {
  bool needs = false;
  if (grad_enabled_) {
    for (Var v : inputs) needs = needs || nodes_[v.id].needs_grad;
    needs = needs || attrs.param_grad != nullptr;
  } else {
    attrs.param_grad = nullptr;
  }
  Node<T>& n = new_node(rows, cols, needs);
  int i = 0;
  for (Var v : inputs) n.in[i++] = v.id;
  n.attrs = attrs;
  n.backward = needs ? &Op::template backward<T> : nullptr;
  Op::template forward<T>(*this, n);
  return Var{cursor_ - 1};
}

extern template class Tape<float>;
extern template class Tape<double>;

}  // namespace mtf
