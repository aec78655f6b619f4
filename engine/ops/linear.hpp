// engine/ops/linear.hpp — the affine layer y = x W^T + b, the only op with parameters.
//
// W (out, in) and b (out) sit consecutively in a Parameters flat buffer (PyTorch's nn.Linear layout);
// the node holds pointers to them and, when parameter gradients are wanted, to their gradient slots.
// All products go through engine/gemm (the engine's one threaded GEMM).
//
// linear_repeated is the same layer applied to [repeat_rows(s, n) | r] without forming that matrix:
// BCQ feeds each next state with n sampled latents / actions, so the state's share of the product is
// computed once per state instead of once per sample.
//
// A layer whose weights no longer change (a served network) may pass its weight packed once
// (PackedLinear): the forward products then skip packing W, with the same bits; the backward is unchanged.
#pragma once
#include <cassert>

#include "engine/gemm.hpp"
#include "engine/tape.hpp"

namespace mtf {

/// A linear layer's weight W (out, in) (row-major, row stride in) packed once for its forward products
/// (engine/gemm.hpp, PackedB). It views W, which must outlive it and must not change.
///   state_width = 0:  first = W^T (in x out), the product of linear
///   state_width = S:  first = W_s^T (S x out), second = W_r^T (in - S x out): the two products of
///                     linear_repeated on a state of width S
template <class T>
struct PackedLinear {
  Index state_width = 0;
  PackedB<T> first, second;

  PackedLinear() = default;
  PackedLinear(const T* w, Index in, Index out, Index state_width = 0) : state_width(state_width) {
    assert(state_width >= 0 && state_width < in);
    if (state_width == 0) {
      first = PackedB<T>(Trans::Yes, in, out, w, in);
    } else {
      first = PackedB<T>(Trans::Yes, state_width, out, w, in);
      second = PackedB<T>(Trans::Yes, in - state_width, out, w + state_width, in);
    }
  }
};

namespace ops {

namespace detail {
// dz = dy * 1[y > 0] for a fused ReLU, into `dz`: the gradient at the pre-activation.
template <class T>
void relu_mask(const Node<T>& n, Tensor<T>& dz) {
  // A plain loop with unconditional loads, not Eigen's select(): the compiler turns it into a compare and a
  // mask at any instruction set, where Eigen's select compiled for the SSE baseline ran element by
  // element with a branch on the (random) sign: 28 % of an FQE step instead of 3 %.
  const T* y = n.value.data;
  const T* dy = n.grad.data;
  T* out = dz.data;
  const Index size = dz.size();
  for (Index i = 0; i < size; ++i) {
    const T g = dy[i];
    out[i] = y[i] > T(0) ? g : T(0);
  }
}
}  // namespace detail

/// linear: y = x W^T + b, or with E = Relu the fused y = max(x W^T + b, 0) (the bias and the ReLU are
/// applied in the GEMM's stores: no extra passes over y).   x: (B, in), W: (out, in), b: (out) -> (B, out)
template <Epilogue E>
struct LinearOp {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    const Node<T>& x = t.node(n.in[0]);
    const Index batch = x.value.rows, in = x.value.cols, out = n.value.cols;
    const T* w = n.attrs.param;
    if (const PackedLinear<T>* p = n.attrs.packed) {  // W^T packed once: the same product without packing W
      assert(p->state_width == 0 && p->first.data() == w && p->first.k() == in && p->first.n() == out);
      gemm_bias(Trans::No, batch, x.value.data, in, p->first, w + out * in, n.value.data, out, E);
    } else {
      gemm_bias(Trans::No, Trans::Yes, batch, out, in, x.value.data, in, w, in, w + out * in, n.value.data, out, E);
    }
    if (E == Epilogue::Relu && n.needs_grad) n.aux = t.scratch(batch, out);  // dz, in the backward
  }
  // (fused ReLU: dz = dy * 1[y > 0] first, in aux, and dz replaces dy below)
  // dx += dy W          (B, out) x (out, in)
  // dW += dy^T x        (out, B) x (B, in)
  // db += sum_rows dy   (out)
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    const Index batch = x.value.rows, in = x.value.cols, out = n.value.cols;
    const T* dy = n.grad.data;
    if constexpr (E == Epilogue::Relu) {
      Tensor<T> dz = n.aux;
      detail::relu_mask(n, dz);
      dy = dz.data;
    }
    if (x.needs_grad)
      gemm(Trans::No, Trans::No, batch, in, out, dy, out, n.attrs.param, in, x.grad.data, in, true);
    if (T* gw = n.attrs.param_grad) {
      gemm(Trans::Yes, Trans::No, out, in, batch, dy, out, x.value.data, in, gw, in, true);
      Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>> gb(gw + out * in, out);
      for (Index r = 0; r < batch; ++r) gb += Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>(dy + r * out, out);
    }
  }
};
using Linear = LinearOp<Epilogue::None>;
using LinearRelu = LinearOp<Epilogue::Relu>;

/// linear over a repeated state: y = [repeat_rows(s, n) | r] W^T + b, n = attrs.k, without forming the
/// repeated concatenation. W = [W_s | W_r] is the ONE (out, S+R) row-major weight of a Linear whose input
/// is that concatenation (same parameters, same layout); W_s and W_r are read as strided column blocks.
///   s: (M, S), r: (M*n, R) -> y: (M*n, out),   y[i*n + j] = s[i] W_s^T + r[i*n + j] W_r^T + b
/// (row i*n + j pairs copy j of state i with sample row i*n + j, as repeat_rows orders them).
/// Forward: u = s W_s^T + b once per state (M rows, kept in aux), then y = r W_r^T with each row started
/// from its state's u (gemm_init_rows: no separate broadcast pass). FLOPs 2 M out (S + n R) instead of
/// 2 M n out (S + R). With E = Relu the ReLU is fused into the second product's stores, as in LinearOp.
template <Epilogue E>
struct LinearRepeatedOp {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    const Node<T>& s = t.node(n.in[0]);
    const Node<T>& r = t.node(n.in[1]);
    const Index states = s.value.rows, reps = n.attrs.k, S = s.value.cols, R = r.value.cols;
    const Index in = S + R, out = n.value.cols;
    const T* w = n.attrs.param;
    // aux: u (M, out), reused by the backward (see there); with a fused ReLU that will be
    // differentiated, also the (M n, out) rows for dz below it.
    const bool keep_dz = E == Epilogue::Relu && n.needs_grad;
    n.aux = t.scratch(keep_dz ? states + states * reps : states, out);
    // y = repeat_rows(u, n) + r W_r^T: row i*n + j starts from u[i] in the GEMM's first stores.
    if (const PackedLinear<T>* p = n.attrs.packed) {  // W_s^T and W_r^T packed once: the same products
      assert(p->state_width == S && p->first.data() == w && p->first.n() == out && p->second.k() == R);
      gemm_bias(Trans::No, states, s.value.data, S, p->first, w + out * in, n.aux.data, out);
      gemm_init_rows(Trans::No, states * reps, r.value.data, R, p->second, n.aux.data, out, reps, n.value.data, out, E);
    } else {
      gemm_bias(Trans::No, Trans::Yes, states, out, S, s.value.data, S, w, in, w + out * in, n.aux.data, out);
      gemm_init_rows(Trans::No, Trans::Yes, states * reps, out, R, r.value.data, R, w + S, in, n.aux.data, out, reps,
                     n.value.data, out, E);
    }
  }
  // (fused ReLU: dz = dy * 1[y > 0] first, in aux rows [M, M + M n), and dz replaces dy below)
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
    const T* dy_data = n.grad.data;
    if constexpr (E == Epilogue::Relu) {
      Tensor<T> dz{n.aux.data + states * out, states * reps, out};
      detail::relu_mask(n, dz);
      dy_data = dz.data;
    }
    const Eigen::Map<const MatrixR<T>> dy(dy_data, states * reps, out);
    if (r.needs_grad)
      gemm(Trans::No, Trans::No, states * reps, R, out, dy_data, out, w + S, in, r.grad.data, R, true);
    if (!s.needs_grad && gw == nullptr) return;
    MapR<T> g(n.aux.data, states, out);
    for (Index i = 0; i < states; ++i) {
      g.row(i) = dy.row(i * reps);
      for (Index j = 1; j < reps; ++j) g.row(i) += dy.row(i * reps + j);
    }
    if (s.needs_grad)
      gemm(Trans::No, Trans::No, states, S, out, g.data(), out, w, in, s.grad.data, S, true);
    if (gw) {
      gemm(Trans::Yes, Trans::No, out, S, states, g.data(), out, s.value.data, S, gw, in, true);
      gemm(Trans::Yes, Trans::No, out, R, states * reps, dy_data, out, r.value.data, R, gw + S, in, true);
      Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>> gb(gw + out * in, out);
      for (Index i = 0; i < states; ++i) gb += g.row(i);
    }
  }
};
using LinearRepeated = LinearRepeatedOp<Epilogue::None>;
using LinearRepeatedRelu = LinearRepeatedOp<Epilogue::Relu>;

/// y = x W^T + b with W, b at `param` (W row-major (out, in), then b). With `param_grad` non-null the
/// backward pass accumulates dW, db there; with nullptr the layer is treated as frozen for this call.
template <class T>
struct NonDeduced {
  using type = T;
};
/// With epilogue = Relu: y = max(x W^T + b, 0) as one node (LinearRelu). `packed`: W packed once
/// (PackedLinear of `param` with state_width 0), or nullptr.
template <class T>
Var linear(Tape<T>& t, Var x, Index out, const typename NonDeduced<T>::type* param,
           typename NonDeduced<T>::type* param_grad, Epilogue epilogue = Epilogue::None,
           const PackedLinear<typename NonDeduced<T>::type>* packed = nullptr) {
  OpAttrs<T> at;
  at.param = param;
  at.param_grad = param_grad;
  at.packed = packed;
  return epilogue == Epilogue::Relu ? t.template record<LinearRelu>(t.rows(x), out, {x}, at)
                                    : t.template record<Linear>(t.rows(x), out, {x}, at);
}

/// y = [repeat_rows(state, n) | rest] W^T + b without forming the repeated concatenation; `param` and
/// `param_grad` as for linear, W of width S+R; `packed`: W packed once with state_width S, or nullptr.
///   state (M, S), rest (M*n, R) -> (M*n, out)
template <class T>
Var linear_repeated(Tape<T>& t, Var state, Var rest, Index n, Index out,
                    const typename NonDeduced<T>::type* param, typename NonDeduced<T>::type* param_grad,
                    Epilogue epilogue = Epilogue::None,
                    const PackedLinear<typename NonDeduced<T>::type>* packed = nullptr) {
  assert(n >= 1 && t.rows(rest) == t.rows(state) * n);
  OpAttrs<T> at;
  at.k = n;
  at.param = param;
  at.param_grad = param_grad;
  at.packed = packed;
  return epilogue == Epilogue::Relu ? t.template record<LinearRepeatedRelu>(t.rows(rest), out, {state, rest}, at)
                                    : t.template record<LinearRepeated>(t.rows(rest), out, {state, rest}, at);
}

}  // namespace ops
}  // namespace mtf
