// engine/row_init.hpp — where an overwriting GEMM's rows start (engine/gemm.hpp). Its own header, free of
// Eigen, because the per-instruction-set kernel files (engine/kernels/) include it: they are compiled with
// their own -m flags and must not instantiate Eigen or any other header's inline code (see
// engine/kernels/gemm_kernels.hpp).
#pragma once
#include <cstddef>

namespace mtf {

/// Where an overwriting product's rows start: row i of C from row (first_row + i) / group of `data`
/// (row stride ld). ld = 0 starts every row from the same row (a bias); data = nullptr from zero.
template <class T>
struct RowInit {
  const T* data = nullptr;
  std::ptrdiff_t ld = 0;
  std::ptrdiff_t group = 1;
  std::ptrdiff_t first_row = 0;
  const T* row(std::ptrdiff_t i) const { return data ? data + ((first_row + i) / group) * ld : nullptr; }
  RowInit from(std::ptrdiff_t r0) const { return {data, ld, group, first_row + r0}; }  // rows r0, r0+1, ...
};

}  // namespace mtf
