// engine/ops/linear.hpp — the affine layer y = x W^T + b, the only op with parameters.
//
// W (out, in) and b (out) sit consecutively in a Parameters flat buffer (PyTorch's nn.Linear layout);
// the node holds pointers to them and, when parameter gradients are wanted, to their gradient slots.
// All three products go through engine/gemm (the engine's one threaded GEMM).
#pragma once
#include "engine/gemm.hpp"
#include "engine/tape.hpp"

namespace mtf::ops {

/// linear: y = x W^T + b.   x: (B, in), W: (out, in), b: (out) -> y: (B, out)
struct Linear {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    const Node<T>& x = t.node(n.in[0]);
    const Index batch = x.value.rows, in = x.value.cols, out = n.value.cols;
    const T* w = n.attrs.param;
    gemm(Trans::No, Trans::Yes, batch, out, in, x.value.data, in, w, in, n.value.data, out, false);
    Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>> bias(w + out * in, out);
    n.value.mat().rowwise() += bias;
  }
  // dx += dy W          (B, out) x (out, in)
  // dW += dy^T x        (out, B) x (B, in)
  // db += sum_rows dy   (out)
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    const Index batch = x.value.rows, in = x.value.cols, out = n.value.cols;
    if (x.needs_grad)
      gemm(Trans::No, Trans::No, batch, in, out, n.grad.data, out, n.attrs.param, in, x.grad.data, in,
           true);
    if (T* gw = n.attrs.param_grad) {
      gemm(Trans::Yes, Trans::No, out, in, batch, n.grad.data, out, x.value.data, in, gw, in, true);
      Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>> gb(gw + out * in, out);
      for (Index r = 0; r < batch; ++r) gb += n.grad.mat().row(r);
    }
  }
};

/// y = x W^T + b with W, b at `param` (W row-major (out, in), then b). With `param_grad` non-null the
/// backward pass accumulates dW, db there; with nullptr the layer is treated as frozen for this call.
template <class T>
struct NonDeduced {
  using type = T;
};
template <class T>
Var linear(Tape<T>& t, Var x, Index out, const typename NonDeduced<T>::type* param,
           typename NonDeduced<T>::type* param_grad) {
  OpAttrs<T> at;
  at.param = param;
  at.param_grad = param_grad;
  return t.template record<Linear>(t.rows(x), out, {x}, at);
}

}  // namespace mtf::ops
