// engine/ops/elementwise.hpp — elementwise ops: unary activations and maps, binary arithmetic,
// min/max of two tensors, dropout with a given mask.
//
// Every op here maps a (B, D) tensor (or two of the same shape) to a (B, D) tensor; forward and
// backward are flat loops, split across threads above kParallelMin elements (elementwise, so the
// result does not depend on the thread count). Each backward ADDS into its inputs' gradients.
#pragma once
#include <cmath>

#include "engine/tape.hpp"
#include "engine/threads.hpp"

namespace mtf::ops {

constexpr std::ptrdiff_t kParallelMin = kElementwiseParallelMin;

namespace detail {
template <class T>
FlatMap<T> span(const Tensor<T>& t, std::ptrdiff_t begin, std::ptrdiff_t end) {
  return FlatMap<T>(t.data + begin, end - begin);
}
/// out[i] += pick(i) ? a[i] : b[i] for i in [begin, end), where a or b may be null for zero. A plain loop
/// with unconditional loads rather than Eigen's select(), which for the SSE baseline ran element by element
/// with a branch on a random condition (engine/ops/linear.hpp's relu_mask measured it); the same values
/// are added, so the bits are the same.
template <class T, class Pick>
void add_selected(T* out, const T* a, const T* b, std::ptrdiff_t begin, std::ptrdiff_t end, Pick pick) {
  for (std::ptrdiff_t i = begin; i < end; ++i) {
    const T va = a ? a[i] : T(0), vb = b ? b[i] : T(0);
    out[i] += pick(i) ? va : vb;
  }
}
/// Runs body(x, y, begin, end) for a unary node, where x is the input node and y the output node.
template <class T, class Body>
void for_unary(Tape<T>& t, const Node<T>& n, Body&& body) {
  const Node<T>& x = t.node(n.in[0]);
  parallel_for_range(n.value.size(), kParallelMin,
                     [&](std::ptrdiff_t b, std::ptrdiff_t e) { body(x, b, e); });
}
}  // namespace detail

// ----------------------------------------------------------------------------------------- unary

/// relu: y = max(x, 0).                          x: (B, D) -> y: (B, D)
struct Relu {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    detail::for_unary(t, n, [&](const Node<T>& x, auto b, auto e) {
      detail::span(n.value, b, e) = detail::span(x.value, b, e).max(T(0));
    });
  }
  // dx += dy * 1[x > 0]   (y > 0 exactly where x > 0)
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (!x.needs_grad) return;
    const T* y = n.value.data;
    detail::for_unary(t, n, [&](const Node<T>&, auto b, auto e) {
      detail::add_selected(x.grad.data, n.grad.data, static_cast<const T*>(nullptr), b, e,
                           [&](std::ptrdiff_t i) { return y[i] > T(0); });
    });
  }
};

/// tanh: y = tanh(x).                            x: (B, D) -> y: (B, D)
struct Tanh {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    detail::for_unary(t, n, [&](const Node<T>& x, auto b, auto e) {
      detail::span(n.value, b, e) = detail::span(x.value, b, e).tanh();
    });
  }
  // dx += dy * (1 - y^2)
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (!x.needs_grad) return;
    detail::for_unary(t, n, [&](const Node<T>&, auto b, auto e) {
      auto y = detail::span(n.value, b, e);
      detail::span(x.grad, b, e) += detail::span(n.grad, b, e) * (T(1) - y * y);
    });
  }
};

/// sigmoid: y = 1 / (1 + exp(-x)).               x: (B, D) -> y: (B, D)
struct Sigmoid {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    detail::for_unary(t, n, [&](const Node<T>& x, auto b, auto e) {
      detail::span(n.value, b, e) = T(1) / (T(1) + (-detail::span(x.value, b, e)).exp());
    });
  }
  // dx += dy * y (1 - y)
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (!x.needs_grad) return;
    detail::for_unary(t, n, [&](const Node<T>&, auto b, auto e) {
      auto y = detail::span(n.value, b, e);
      detail::span(x.grad, b, e) += detail::span(n.grad, b, e) * y * (T(1) - y);
    });
  }
};

/// exp: y = e^x.                                 x: (B, D) -> y: (B, D)
struct Exp {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    detail::for_unary(t, n, [&](const Node<T>& x, auto b, auto e) {
      detail::span(n.value, b, e) = detail::span(x.value, b, e).exp();
    });
  }
  // dx += dy * y
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (!x.needs_grad) return;
    detail::for_unary(t, n, [&](const Node<T>&, auto b, auto e) {
      detail::span(x.grad, b, e) += detail::span(n.grad, b, e) * detail::span(n.value, b, e);
    });
  }
};

/// log: y = ln x (x > 0).                        x: (B, D) -> y: (B, D)
struct Log {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    detail::for_unary(t, n, [&](const Node<T>& x, auto b, auto e) {
      detail::span(n.value, b, e) = detail::span(x.value, b, e).log();
    });
  }
  // dx += dy / x
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (!x.needs_grad) return;
    detail::for_unary(t, n, [&](const Node<T>& xn, auto b, auto e) {
      detail::span(x.grad, b, e) += detail::span(n.grad, b, e) / detail::span(xn.value, b, e);
    });
  }
};

/// square: y = x^2.                              x: (B, D) -> y: (B, D)
struct Square {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    detail::for_unary(t, n, [&](const Node<T>& x, auto b, auto e) {
      detail::span(n.value, b, e) = detail::span(x.value, b, e).square();
    });
  }
  // dx += 2 x dy
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (!x.needs_grad) return;
    detail::for_unary(t, n, [&](const Node<T>& xn, auto b, auto e) {
      detail::span(x.grad, b, e) += T(2) * detail::span(xn.value, b, e) * detail::span(n.grad, b, e);
    });
  }
};

/// affine: y = a x + b (scalars a = attrs.a, b = attrs.b).   x: (B, D) -> y: (B, D)
struct Affine {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    const T a = n.attrs.a, c = n.attrs.b;
    detail::for_unary(t, n, [&](const Node<T>& x, auto b, auto e) {
      detail::span(n.value, b, e) = a * detail::span(x.value, b, e) + c;
    });
  }
  // dx += a dy
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (!x.needs_grad) return;
    const T a = n.attrs.a;
    detail::for_unary(t, n, [&](const Node<T>&, auto b, auto e) {
      detail::span(x.grad, b, e) += a * detail::span(n.grad, b, e);
    });
  }
};

/// clamp: y = min(max(x, lo), hi), lo = attrs.a, hi = attrs.b.   x: (B, D) -> y: (B, D)
struct Clamp {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    const T lo = n.attrs.a, hi = n.attrs.b;
    detail::for_unary(t, n, [&](const Node<T>& x, auto b, auto e) {
      detail::span(n.value, b, e) = detail::span(x.value, b, e).max(lo).min(hi);
    });
  }
  // dx += dy * 1[lo <= x <= hi]   (inclusive bounds, as torch.clamp)
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (!x.needs_grad) return;
    const T lo = n.attrs.a, hi = n.attrs.b;
    const T* xv = x.value.data;
    detail::for_unary(t, n, [&](const Node<T>&, auto b, auto e) {
      detail::add_selected(x.grad.data, n.grad.data, static_cast<const T*>(nullptr), b, e,
                           [&](std::ptrdiff_t i) { return xv[i] >= lo && xv[i] <= hi; });
    });
  }
};

// ---------------------------------------------------------------------------------------- binary

namespace detail {
template <class T, class Body>
void for_binary(Tape<T>& t, const Node<T>& n, Body&& body) {
  const Node<T>& x = t.node(n.in[0]);
  const Node<T>& y = t.node(n.in[1]);
  parallel_for_range(n.value.size(), kParallelMin,
                     [&](std::ptrdiff_t b, std::ptrdiff_t e) { body(x, y, b, e); });
}
}  // namespace detail

/// add: z = x + y.                    x, y: (B, D) -> z: (B, D)
struct Add {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    detail::for_binary(t, n, [&](const Node<T>& x, const Node<T>& y, auto b, auto e) {
      detail::span(n.value, b, e) = detail::span(x.value, b, e) + detail::span(y.value, b, e);
    });
  }
  // dx += dz, dy += dz
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    Node<T>& y = t.node(n.in[1]);
    detail::for_binary(t, n, [&](const Node<T>&, const Node<T>&, auto b, auto e) {
      if (x.needs_grad) detail::span(x.grad, b, e) += detail::span(n.grad, b, e);
      if (y.needs_grad) detail::span(y.grad, b, e) += detail::span(n.grad, b, e);
    });
  }
};

/// sub: z = x - y.                    x, y: (B, D) -> z: (B, D)
struct Sub {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    detail::for_binary(t, n, [&](const Node<T>& x, const Node<T>& y, auto b, auto e) {
      detail::span(n.value, b, e) = detail::span(x.value, b, e) - detail::span(y.value, b, e);
    });
  }
  // dx += dz, dy -= dz
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    Node<T>& y = t.node(n.in[1]);
    detail::for_binary(t, n, [&](const Node<T>&, const Node<T>&, auto b, auto e) {
      if (x.needs_grad) detail::span(x.grad, b, e) += detail::span(n.grad, b, e);
      if (y.needs_grad) detail::span(y.grad, b, e) -= detail::span(n.grad, b, e);
    });
  }
};

/// mul: z = x * y (elementwise).      x, y: (B, D) -> z: (B, D)
struct Mul {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    detail::for_binary(t, n, [&](const Node<T>& x, const Node<T>& y, auto b, auto e) {
      detail::span(n.value, b, e) = detail::span(x.value, b, e) * detail::span(y.value, b, e);
    });
  }
  // dx += dz * y, dy += dz * x
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    Node<T>& y = t.node(n.in[1]);
    detail::for_binary(t, n, [&](const Node<T>&, const Node<T>&, auto b, auto e) {
      if (x.needs_grad) detail::span(x.grad, b, e) += detail::span(n.grad, b, e) * detail::span(y.value, b, e);
      if (y.needs_grad) detail::span(y.grad, b, e) += detail::span(n.grad, b, e) * detail::span(x.value, b, e);
    });
  }
};

/// minimum: z = min(x, y) elementwise; on ties the gradient goes to x.   x, y: (B, D) -> z: (B, D)
struct Minimum {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    detail::for_binary(t, n, [&](const Node<T>& x, const Node<T>& y, auto b, auto e) {
      detail::span(n.value, b, e) = detail::span(x.value, b, e).min(detail::span(y.value, b, e));
    });
  }
  // dx += dz * 1[x <= y], dy += dz * 1[x > y]
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    Node<T>& y = t.node(n.in[1]);
    const T *xv = x.value.data, *yv = y.value.data, *dz = n.grad.data, *none = nullptr;
    auto pick_x = [&](std::ptrdiff_t i) { return xv[i] <= yv[i]; };
    detail::for_binary(t, n, [&](const Node<T>&, const Node<T>&, auto b, auto e) {
      if (x.needs_grad) detail::add_selected(x.grad.data, dz, none, b, e, pick_x);
      if (y.needs_grad) detail::add_selected(y.grad.data, none, dz, b, e, pick_x);
    });
  }
};

/// maximum: z = max(x, y) elementwise; on ties the gradient goes to x.   x, y: (B, D) -> z: (B, D)
struct Maximum {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    detail::for_binary(t, n, [&](const Node<T>& x, const Node<T>& y, auto b, auto e) {
      detail::span(n.value, b, e) = detail::span(x.value, b, e).max(detail::span(y.value, b, e));
    });
  }
  // dx += dz * 1[x >= y], dy += dz * 1[x < y]
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    Node<T>& y = t.node(n.in[1]);
    const T *xv = x.value.data, *yv = y.value.data, *dz = n.grad.data, *none = nullptr;
    auto pick_x = [&](std::ptrdiff_t i) { return xv[i] >= yv[i]; };
    detail::for_binary(t, n, [&](const Node<T>&, const Node<T>&, auto b, auto e) {
      if (x.needs_grad) detail::add_selected(x.grad.data, dz, none, b, e, pick_x);
      if (y.needs_grad) detail::add_selected(y.grad.data, none, dz, b, e, pick_x);
    });
  }
};

/// dropout with a given mask: y = x * mask. The mask (already scaled by 1/(1-p), drawn by the caller's
/// RNG) is a constant: no gradient flows to it.   x, mask: (B, D) -> y: (B, D)
struct Dropout {
  template <class T>
  static void forward(Tape<T>& t, Node<T>& n) {
    detail::for_binary(t, n, [&](const Node<T>& x, const Node<T>& m, auto b, auto e) {
      detail::span(n.value, b, e) = detail::span(x.value, b, e) * detail::span(m.value, b, e);
    });
  }
  // dx += dy * mask
  template <class T>
  static void backward(Tape<T>& t, const Node<T>& n) {
    Node<T>& x = t.node(n.in[0]);
    if (!x.needs_grad) return;
    detail::for_binary(t, n, [&](const Node<T>&, const Node<T>& m, auto b, auto e) {
      detail::span(x.grad, b, e) += detail::span(n.grad, b, e) * detail::span(m.value, b, e);
    });
  }
};

// ----------------------------------------------------------------------------- recording helpers

namespace detail {
template <class Op, class T>
Var record_unary(Tape<T>& t, Var x, OpAttrs<T> attrs = {}) {
  return t.template record<Op>(t.rows(x), t.cols(x), {x}, attrs);
}
template <class Op, class T>
Var record_binary(Tape<T>& t, Var x, Var y) {
  assert(t.rows(x) == t.rows(y) && t.cols(x) == t.cols(y) && "binary op: shapes differ");
  return t.template record<Op>(t.rows(x), t.cols(x), {x, y});
}
}  // namespace detail

template <class T> Var relu(Tape<T>& t, Var x) { return detail::record_unary<Relu>(t, x); }
template <class T> Var tanh(Tape<T>& t, Var x) { return detail::record_unary<Tanh>(t, x); }
template <class T> Var sigmoid(Tape<T>& t, Var x) { return detail::record_unary<Sigmoid>(t, x); }
template <class T> Var exp(Tape<T>& t, Var x) { return detail::record_unary<Exp>(t, x); }
template <class T> Var log(Tape<T>& t, Var x) { return detail::record_unary<Log>(t, x); }
template <class T> Var square(Tape<T>& t, Var x) { return detail::record_unary<Square>(t, x); }
/// a * x + b
template <class T> Var affine(Tape<T>& t, Var x, T a, T b) {
  OpAttrs<T> at; at.a = a; at.b = b;
  return detail::record_unary<Affine>(t, x, at);
}
/// a * x
template <class T> Var scale(Tape<T>& t, Var x, T a) { return affine(t, x, a, T(0)); }
template <class T> Var clamp(Tape<T>& t, Var x, T lo, T hi) {
  assert(lo <= hi);
  OpAttrs<T> at; at.a = lo; at.b = hi;
  return detail::record_unary<Clamp>(t, x, at);
}
template <class T> Var add(Tape<T>& t, Var x, Var y) { return detail::record_binary<Add>(t, x, y); }
template <class T> Var sub(Tape<T>& t, Var x, Var y) { return detail::record_binary<Sub>(t, x, y); }
template <class T> Var mul(Tape<T>& t, Var x, Var y) { return detail::record_binary<Mul>(t, x, y); }
template <class T> Var minimum(Tape<T>& t, Var x, Var y) { return detail::record_binary<Minimum>(t, x, y); }
template <class T> Var maximum(Tape<T>& t, Var x, Var y) { return detail::record_binary<Maximum>(t, x, y); }
template <class T> Var dropout(Tape<T>& t, Var x, Var mask) { return detail::record_binary<Dropout>(t, x, mask); }

}  // namespace mtf::ops
