// engine/tensor.hpp — the engine's matrix types.
//
// Convention, everywhere in this project: a batch is a row-major matrix with ONE SAMPLE PER ROW and one
// feature per column (PyTorch's layout), shape (B, D). Weights of a linear layer are (out, in), also
// row-major, exactly as torch.nn.Linear stores them, so fixtures copy over without transposes.
//
// Tensor<T> is a non-owning view (pointer + shape) into memory owned by an Arena or a Parameters
// buffer; it never allocates. .mat() and .flat() give Eigen maps for the kernels.
#pragma once
#include <Eigen/Core>
#include <cassert>

namespace mtf {

using Index = Eigen::Index;

template <class T>
using MatrixR = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MapR = Eigen::Map<MatrixR<T>>;
template <class T>
using ConstMapR = Eigen::Map<const MatrixR<T>>;
template <class T>
using FlatMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstFlatMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

template <class T>
struct Tensor {
  T* data = nullptr;
  Index rows = 0;
  Index cols = 0;

  Index size() const { return rows * cols; }
  bool empty() const { return data == nullptr; }
  MapR<T> mat() const { return MapR<T>(data, rows, cols); }
  FlatMap<T> flat() const { return FlatMap<T>(data, size()); }
  T& operator()(Index r, Index c) const {
    assert(r >= 0 && r < rows && c >= 0 && c < cols);
    return data[r * cols + c];
  }
};

}  // namespace mtf
