#include "engine/tape.hpp"

#include <algorithm>
#include <cstring>

namespace mtf {

template <class T>
void Tape<T>::reset() {
  cursor_ = 0;
  arena_.rewind();
}

template <class T>
Tensor<T> Tape<T>::scratch(Index rows, Index cols) {
  return Tensor<T>{arena_.allocate_array<T>(std::size_t(rows * cols)), rows, cols};
}

template <class T>
Node<T>& Tape<T>::new_node(Index rows, Index cols, bool needs_grad) {
  if (cursor_ == int(nodes_.size())) nodes_.emplace_back();  // grows during the first step only
  Node<T>& n = nodes_[cursor_++];
  n = Node<T>{};
  n.value = scratch(rows, cols);
  n.needs_grad = needs_grad;
  if (needs_grad) {
    n.grad = scratch(rows, cols);
    std::memset(n.grad.data, 0, sizeof(T) * std::size_t(rows * cols));
  }
  return n;
}

template <class T>
Var Tape<T>::leaf(Index rows, Index cols, bool requires_grad) {
  new_node(rows, cols, grad_enabled_ && requires_grad);
  return Var{cursor_ - 1};
}

template <class T>
Var Tape<T>::input(const Eigen::Ref<const MatrixR<T>>& x, bool requires_grad) {
  Var v = leaf(x.rows(), x.cols(), requires_grad);
  node(v).value.mat() = x;
  return v;
}

template <class T>
Var Tape<T>::input(const T* data, Index rows, Index cols, bool requires_grad) {
  Var v = leaf(rows, cols, requires_grad);
  std::memcpy(node(v).value.data, data, sizeof(T) * std::size_t(rows * cols));
  return v;
}

template <class T>
void Tape<T>::backward(Var loss) {
  Node<T>& n = node(loss);
  assert(n.value.size() == 1 && "backward(loss) needs a 1x1 loss; use backward_from otherwise");
  assert(n.needs_grad && "loss does not depend on anything that needs a gradient");
  n.grad.data[0] += T(1);
  backward_from(loss);
}

template <class T>
void Tape<T>::backward_from(Var out) {
  for (int i = out.id; i >= 0; --i) {
    const Node<T>& n = nodes_[i];
    if (n.backward) n.backward(*this, n);
  }
}

template class Tape<float>;
template class Tape<double>;

}  // namespace mtf
