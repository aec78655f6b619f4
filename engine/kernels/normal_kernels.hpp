// engine/kernels/normal_kernels.hpp — Box–Muller's transform of uniform pairs into standard normal pairs
// per instruction set, each compiled in its own file with its own flags, like engine/kernels/gemm_kernels.hpp
// (which says why these files include no Eigen and no standard-library template). engine/rng.cpp
// (Rng::fill_normal) calls the one engine/kernels/dispatch.hpp picked when it is wider than the vectors
// Eigen was compiled for: in a portable build Eigen's log/sin/cos run 4 lanes wide (SSE) and were the
// largest cost a portable tiny BCQ step had over a native one (README, "Portable vs native").
//
//   r = sqrt(-2 log u1), theta = 2 pi u2;   z0 = r cos theta,  z1 = r sin theta      for i in [0, n)
//
// u1 in (0, 1] (log finite), u2 in [0, 1). n is a multiple of 16 (the caller pads). The algorithm is one
// source (engine/kernels/box_muller.inc: Cephes' logf, sin and cos polynomials after a Cody–Waite
// reduction by pi/2, every step an IEEE operation or a fused multiply-add), so the AVX-512 and the AVX2
// file give identical bits; they differ from Eigen's path (its reduction and polynomials are others) by a
// few ulp. Accuracy against double precision: tests/engine/kernels/normal_kernels_test.cpp.
#pragma once
#include <cstddef>

namespace mtf {

#define MTF_DECLARE_NORMAL_KERNEL \
  void box_muller(std::ptrdiff_t n, const float* u1, const float* u2, float* z0, float* z1);

namespace avx512 {
MTF_DECLARE_NORMAL_KERNEL
}
namespace avx2 {
MTF_DECLARE_NORMAL_KERNEL
}

#undef MTF_DECLARE_NORMAL_KERNEL

}  // namespace mtf
