// engine/ops/linear.hpp — the affine layer y = x W^T + b, the only op with parameters.
//
// W (out, in) and b (out) sit consecutively in a Parameters flat buffer (PyTorch's nn.Linear layout);
// the node holds pointers to them and, when parameter gradients are wanted, to their gradient slots.
// All products go through engine/gemm (the engine's one threaded GEMM).
//
// linear_repeated is the same layer applied to [repeat_rows(s, n) | r] without forming that matrix:
// BCQ feeds each next state with n sampled latents / actions, so the state's share of the product is
// computed once per state instead of once per sample.
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

/// linear over a repeated state: y = [repeat_rows(s, n) | r] W^T + b, n = attrs.k, without forming the
/// repeated concatenation. W = [W_s | W_r] is the ONE (out, S+R) row-major weight of a Linear whose input
/// is that concatenation (same parameters, same layout); W_s and W_r are read as strided column blocks.
///   s: (M, S), r: (M*n, R) -> y: (M*n, out),   y[i*n + j] = s[i] W_s^T + r[i*n + j] W_r^T + b
/// (row i*n + j pairs copy j of state i with sample row i*n + j, as repeat_rows orders them).
/// Forward: u = s W_s^T + b once per state (M rows, kept in aux), broadcast to its n rows, then
/// y += r W_r^T. FLOPs 2 M out (S + n R) instead of 2 M n out (S + R).
struct LinearRepeated {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    const Node<T>& s = t.node(n.in[0]);
    const Node<T>& r = t.node(n.in[1]);
    const Index states = s.value.rows, reps = n.attrs.k, S = s.value.cols, R = r.value.cols;
    const Index in = S + R, out = n.value.cols;
    const T* w = n.attrs.param;
    n.aux = t.scratch(states, out);  // u (M, out); the backward reuses it (see there)
    gemm(Trans::No, Trans::Yes, states, out, S, s.value.data, S, w, in, n.aux.data, out, false);
    Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>> bias(w + out * in, out);
    n.aux.mat().rowwise() += bias;
    for (Index i = 0; i < states; ++i)
      n.value.mat().middleRows(i * reps, reps).rowwise() = n.aux.mat().row(i);
    gemm(Trans::No, Trans::Yes, states * reps, out, R, r.value.data, R, w + S, in, n.value.data, out,
         true);
  }
  // With g = group_sum_n(dy) (M, out), g[i] = sum_j dy[i*n + j] (the backward of repeat_rows):
  // dr   += dy W_r          (M n, out) x (out, R)
  // ds   += g W_s           (M, out) x (out, S)
  // dW_s += g^T s           (out, M) x (M, S)        into columns [0, S) of dW (row stride S+R)
  // dW_r += dy^T r          (out, M n) x (M n, R)    into columns [S, S+R)
  // db   += sum_rows g      (out)                    (= the column sums of dy)
  // g is formed only when ds or dW is wanted, in aux: u is not needed by the backward (the layer is
  // linear in its inputs), so its buffer is reused and the backward allocates nothing.
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& s = t.node(n.in[0]);
    Node<T>& r = t.node(n.in[1]);
    const Index states = s.value.rows, reps = n.attrs.k, S = s.value.cols, R = r.value.cols;
    const Index in = S + R, out = n.value.cols;
    const T* w = n.attrs.param;
    T* gw = n.attrs.param_grad;
    if (r.needs_grad)
      gemm(Trans::No, Trans::No, states * reps, R, out, n.grad.data, out, w + S, in, r.grad.data, R,
           true);
    if (!s.needs_grad && gw == nullptr) return;
    MapR<T> g = n.aux.mat();
    for (Index i = 0; i < states; ++i) {
      g.row(i) = n.grad.mat().row(i * reps);
      for (Index j = 1; j < reps; ++j) g.row(i) += n.grad.mat().row(i * reps + j);
    }
    if (s.needs_grad)
      gemm(Trans::No, Trans::No, states, S, out, g.data(), out, w, in, s.grad.data, S, true);
    if (gw) {
      gemm(Trans::Yes, Trans::No, out, S, states, g.data(), out, s.value.data, S, gw, in, true);
      gemm(Trans::Yes, Trans::No, out, R, states * reps, n.grad.data, out, r.value.data, R, gw + S, in,
           true);
      Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>> gb(gw + out * in, out);
      for (Index i = 0; i < states; ++i) gb += g.row(i);
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

/// y = [repeat_rows(state, n) | rest] W^T + b without forming the repeated concatenation; `param` and
/// `param_grad` as for linear, W of width S+R.   state (M, S), rest (M*n, R) -> (M*n, out)
template <class T>
Var linear_repeated(Tape<T>& t, Var state, Var rest, Index n, Index out,
                    const typename NonDeduced<T>::type* param, typename NonDeduced<T>::type* param_grad) {
  assert(n >= 1 && t.rows(rest) == t.rows(state) * n);
  OpAttrs<T> at;
  at.k = n;
  at.param = param;
  at.param_grad = param_grad;
  return t.template record<LinearRepeated>(t.rows(rest), out, {state, rest}, at);
}

}  // namespace mtf::ops
