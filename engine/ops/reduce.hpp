// engine/ops/reduce.hpp — reductions: sum and mean of all elements, sum over each row, and max and
// log-sum-exp over consecutive groups of n rows (the n sampled actions of one state).
//
// Reductions run on one thread in a fixed order, so their bits never depend on the thread count.
#pragma once
#include <cmath>
#include <limits>

#include "engine/tape.hpp"

namespace mtf::ops {

/// sum of all elements.   x: (B, D) -> y: (1, 1)
struct Sum {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    n.value.data[0] = t.node(n.in[0]).value.flat().sum();
  }
  // dx += dy (broadcast)
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (x.needs_grad) x.grad.flat() += n.grad.data[0];
  }
};

/// mean of all elements.   x: (B, D) -> y: (1, 1)
struct Mean {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    const Node<T>& x = t.node(n.in[0]);
    n.value.data[0] = x.value.flat().sum() / T(x.value.size());
  }
  // dx += dy / (B D)
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (x.needs_grad) x.grad.flat() += n.grad.data[0] / T(x.value.size());
  }
};

/// row sum: y[i] = sum_j x[i, j].   x: (B, D) -> y: (B, 1)
struct RowSum {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    n.value.mat() = t.node(n.in[0]).value.mat().rowwise().sum();
  }
  // dx[i, j] += dy[i]
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (!x.needs_grad) return;
    for (Index i = 0; i < x.value.rows; ++i) x.grad.mat().row(i).array() += n.grad.data[i];
  }
};

/// group max: y[g, d] = max_{j < n} x[g*n + j, d], n = attrs.k; ties go to the first maximum.
/// x: (G*n, D) -> y: (G, D); aux (G, D) keeps the winning j.
struct GroupMax {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    const Node<T>& x = t.node(n.in[0]);
    const Index group = n.attrs.k, cols = x.value.cols;
    n.aux = t.scratch(n.value.rows, cols);
    for (Index g = 0; g < n.value.rows; ++g) {
      for (Index d = 0; d < cols; ++d) {
        T best = x.value(g * group, d);
        Index arg = 0;
        for (Index j = 1; j < group; ++j) {
          const T v = x.value(g * group + j, d);
          if (v > best) best = v, arg = j;
        }
        n.value(g, d) = best;
        n.aux(g, d) = T(arg);
      }
    }
  }
  // dx[g*n + argmax, d] += dy[g, d]
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (!x.needs_grad) return;
    const Index group = n.attrs.k;
    for (Index g = 0; g < n.value.rows; ++g)
      for (Index d = 0; d < n.value.cols; ++d)
        x.grad(g * group + Index(n.aux(g, d)), d) += n.grad(g, d);
  }
};

/// group log-sum-exp: y[g, d] = log sum_{j < n} exp(x[g*n + j, d]), n = attrs.k, computed as
/// m + log sum exp(x - m) with m the group max so it cannot overflow.   x: (G*n, D) -> y: (G, D)
struct GroupLogSumExp {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    const Node<T>& x = t.node(n.in[0]);
    const Index group = n.attrs.k;
    for (Index g = 0; g < n.value.rows; ++g) {
      for (Index d = 0; d < n.value.cols; ++d) {
        T m = -std::numeric_limits<T>::infinity();
        for (Index j = 0; j < group; ++j) m = std::max(m, x.value(g * group + j, d));
        T s = 0;
        for (Index j = 0; j < group; ++j) s += std::exp(x.value(g * group + j, d) - m);
        n.value(g, d) = m + std::log(s);
      }
    }
  }
  // dx[g*n + j, d] += dy[g, d] * softmax_j = dy[g, d] * exp(x[g*n + j, d] - y[g, d])
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (!x.needs_grad) return;
    const Index group = n.attrs.k;
    for (Index g = 0; g < n.value.rows; ++g)
      for (Index d = 0; d < n.value.cols; ++d)
        for (Index j = 0; j < group; ++j)
          x.grad(g * group + j, d) +=
              n.grad(g, d) * std::exp(x.value(g * group + j, d) - n.value(g, d));
  }
};

template <class T>
Var sum(Tape<T>& t, Var x) { return t.template record<Sum>(1, 1, {x}); }
template <class T>
Var mean(Tape<T>& t, Var x) { return t.template record<Mean>(1, 1, {x}); }
template <class T>
Var row_sum(Tape<T>& t, Var x) { return t.template record<RowSum>(t.rows(x), 1, {x}); }
template <class T>
Var group_max(Tape<T>& t, Var x, Index group) {
  assert(group >= 1 && t.rows(x) % group == 0);
  OpAttrs<T> at;
  at.k = group;
  return t.template record<GroupMax>(t.rows(x) / group, t.cols(x), {x}, at);
}
template <class T>
Var group_logsumexp(Tape<T>& t, Var x, Index group) {
  assert(group >= 1 && t.rows(x) % group == 0);
  OpAttrs<T> at;
  at.k = group;
  return t.template record<GroupLogSumExp>(t.rows(x) / group, t.cols(x), {x}, at);
}

}  // namespace mtf::ops
