// engine/kernels/adam_kernels.hpp — Adam's float update (torch.optim.Adam's expression) per instruction set,
// each compiled in its own file with its own flags, like engine/kernels/gemm_kernels.hpp (which says why
// these files include no Eigen and no standard-library template). engine/adam.cpp calls the one
// engine/kernels/dispatch.hpp picked.
//
//   m = b1 m + c1 g;  v = b2 v + c2 g g;  p -= step_size m / (sqrt(v) inv_sqrt_bias2 + eps)   over [b, e)
//
// The same operations (fused multiply-adds where written) in both files, each correctly rounded, so the
// two give identical bits; every element takes the same instruction path whatever its address or the
// thread split (a vector loop with a masked tail, no alignment-dependent prologue).
#pragma once
#include <cstddef>

namespace mtf {

#define MTF_DECLARE_ADAM_KERNEL                                                                             \
  void adam_update(std::ptrdiff_t b, std::ptrdiff_t e, float* p, const float* g, float* m, float* v,        \
                   float step_size, float inv_sqrt_bias2, float b1, float b2, float c1, float c2, float eps);

namespace avx512 {
MTF_DECLARE_ADAM_KERNEL
}
namespace avx2 {
MTF_DECLARE_ADAM_KERNEL
}

#undef MTF_DECLARE_ADAM_KERNEL

}  // namespace mtf
