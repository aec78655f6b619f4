// engine/ops/shape.hpp — ops that move values without arithmetic: concatenation and slicing along the
// feature axis (columns), and repeating each sample n times (rows), as the BCQ target needs n sampled
// actions per next state. Backward adds each output gradient back to where the value came from.
#pragma once
#include "engine/tape.hpp"

namespace mtf::ops {

/// concat: y = [x0 | x1 | x2] along columns (x2 optional).   xi: (B, Di) -> y: (B, D0+D1+D2)
struct ConcatCols {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    Index offset = 0;
    for (int i = 0; i < 3 && n.in[i] >= 0; ++i) {
      const Node<T>& x = t.node(n.in[i]);
      n.value.mat().middleCols(offset, x.value.cols) = x.value.mat();
      offset += x.value.cols;
    }
  }
  // dxi += dy[:, offset_i : offset_i + Di]
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Index offset = 0;
    for (int i = 0; i < 3 && n.in[i] >= 0; ++i) {
      Node<T>& x = t.node(n.in[i]);
      if (x.needs_grad) x.grad.mat() += n.grad.mat().middleCols(offset, x.value.cols);
      offset += x.value.cols;
    }
  }
};

/// slice: y = x[:, k : k + D] with k = attrs.k.   x: (B, Dx) -> y: (B, D)
struct SliceCols {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    n.value.mat() = t.node(n.in[0]).value.mat().middleCols(n.attrs.k, n.value.cols);
  }
  // dx[:, k : k + D] += dy
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (x.needs_grad) x.grad.mat().middleCols(n.attrs.k, n.value.cols) += n.grad.mat();
  }
};

/// repeat rows: each sample repeated n = attrs.k times, consecutively (torch.repeat_interleave(x, n, 0)).
/// x: (B, D) -> y: (B*n, D), y[i*n + j] = x[i]
struct RepeatRows {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    const Node<T>& x = t.node(n.in[0]);
    const Index reps = n.attrs.k;
    for (Index i = 0; i < x.value.rows; ++i)
      n.value.mat().middleRows(i * reps, reps).rowwise() = x.value.mat().row(i);
  }
  // dx[i] += sum_j dy[i*n + j]
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (!x.needs_grad) return;
    const Index reps = n.attrs.k;
    for (Index i = 0; i < x.value.rows; ++i)
      for (Index j = 0; j < reps; ++j) x.grad.mat().row(i) += n.grad.mat().row(i * reps + j);
  }
};

/// reshape: the same row-major elements viewed as (rows, cols) (torch.reshape on a contiguous tensor);
/// e.g. a (2M, 1) column of interleaved pairs becomes (M, 2).   x: (B, D) -> y: (R, C), R C = B D
struct Reshape {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    n.value.flat() = t.node(n.in[0]).value.flat();
  }
  // dx += dy, element for element in storage order
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (x.needs_grad) x.grad.flat() += n.grad.flat();
  }
};

template <class T>
Var concat_cols(Tape<T>& t, Var a, Var b) {
  assert(t.rows(a) == t.rows(b));
  return t.template record<ConcatCols>(t.rows(a), t.cols(a) + t.cols(b), {a, b});
}
template <class T>
Var concat_cols(Tape<T>& t, Var a, Var b, Var c) {
  assert(t.rows(a) == t.rows(b) && t.rows(a) == t.rows(c));
  return t.template record<ConcatCols>(t.rows(a), t.cols(a) + t.cols(b) + t.cols(c), {a, b, c});
}
template <class T>
Var slice_cols(Tape<T>& t, Var x, Index offset, Index count) {
  assert(offset >= 0 && count > 0 && offset + count <= t.cols(x));
  OpAttrs<T> at;
  at.k = offset;
  return t.template record<SliceCols>(t.rows(x), count, {x}, at);
}
template <class T>
Var repeat_rows(Tape<T>& t, Var x, Index times) {
  assert(times >= 1);
  OpAttrs<T> at;
  at.k = times;
  return t.template record<RepeatRows>(t.rows(x) * times, t.cols(x), {x}, at);
}

template <class T>
Var reshape(Tape<T>& t, Var x, Index rows, Index cols) {
  assert(rows * cols == t.rows(x) * t.cols(x));
  return t.template record<Reshape>(rows, cols, {x});
}

}  // namespace mtf::ops
