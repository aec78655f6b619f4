// engine/kernels/gemm_kernels.hpp — the engine's own single-precision GEMM kernels, one namespace per
// instruction set, each compiled in its own file with its own flags (engine/CMakeLists.txt):
//   avx512: engine/kernels/gemm_avx512.cpp  (-mavx512f -mfma)   12 x 32 register tile (24 zmm accumulators)
//   avx2:   engine/kernels/gemm_avx2.cpp    (-mavx2 -mfma)      6 x 16 register tile (12 ymm accumulators)
// engine/gemm.cpp calls the one engine/kernels/dispatch.hpp picked; nothing else calls them.
//
//   C (m x n) += op(A) (m x k) * op(B) (k x n)        row-major, one thread, no allocation
//
// BLIS-style: op(B) is packed in (KC x NR) micro-panels, op(A) in (MR x KC) micro-panels, and the
// register-blocked micro-kernel adds each KC-deep partial product into C. The A micro-panel stays in L1
// while the B micro-panels stream from the (KC x NC) packed block in L2.
//
// Determinism: every element of C is the same FMA chain over p = 0..KC-1 within a k-block, added to C
// block by block in increasing k, whatever rows a caller hands gemm_rows. Splitting the rows of C across
// threads therefore never changes a bit. (The two instruction sets round differently from each other.)
//
// Why the kernel files include neither Eigen nor the standard library's templates: an inline function
// with external linkage (std::min, an Eigen packet op, RowInit::row) instantiated in a file compiled with
// -mavx512f is a weak symbol the linker may pick for every other caller too, which would then execute
// AVX-512 instructions on any CPU. The kernel files use only intrinsics (internal linkage) and their own
// static helpers; tests/engine/kernels/kernel_objects_test.sh checks their objects define no weak function.
#pragma once
#include <cstddef>

#include "engine/row_init.hpp"

namespace mtf {

#define MTF_DECLARE_GEMM_KERNELS                                                                           \
  /* True when this build carries the kernel (x86-64 builds). Whether the CPU runs it: dispatch.hpp. */    \
  bool compiled();                                                                                         \
  /* C += op(A) op(B) for `rows` rows of C, or with `overwrite` C = init + op(A) op(B) (C is not read;    \
     init.row(i): the n floats row i starts from, or zero); with `relu` the final values are max(., 0).   \
     k >= 1. a_packed and b_packed are 64-byte-aligned workspaces of kPackedA and kPackedB floats.        \
     trans_a: A is stored (k x m), else (m x k); likewise B. */                                            \
  void gemm_rows(bool trans_a, bool trans_b, std::ptrdiff_t rows, std::ptrdiff_t n, std::ptrdiff_t k,      \
                 const float* a, std::ptrdiff_t lda, const float* b, std::ptrdiff_t ldb, float* c,         \
                 std::ptrdiff_t ldc, bool overwrite, const RowInit<float>& init, bool relu, float* a_packed, \
                 float* b_packed, const float* b_panels);                                                  \
  /* op(B) packed once for all its products (a served network's weights, engine/gemm.hpp PackedB):       \
     pack_b_whole writes every (KC x NC) block of op(B) (k x n) as gemm_rows would pack it, block (j0, p0) \
     at offset j0 k + round_up(nc, kNr) p0, into packed_b_size(n, k) = round_up(n, kNr) k floats         \
     (64-byte aligned). gemm_rows given these b_panels reads them instead of packing op(B) into b_packed  \
     (then unused; null: pack as usual): the same panels, the same FMAs, the same bits. */                 \
  std::size_t packed_b_size(std::ptrdiff_t n, std::ptrdiff_t k);                                           \
  void pack_b_whole(bool trans_b, std::ptrdiff_t n, std::ptrdiff_t k, const float* b, std::ptrdiff_t ldb,  \
                    float* out);                                                                           \
  /* The thin products a register tile would mostly waste, with gemm_rows' store semantics:               \
     gemv_rows: c[i ldc] (+)= A[i, :] . v for rows i < rows (A row-major (rows x k), v contiguous (k));   \
     gevm:      c[j] (+)= sum_r u[r u_stride] B[r, j] for j < n (B row-major (k x n)). */                  \
  void gemv_rows(std::ptrdiff_t rows, std::ptrdiff_t k, const float* a, std::ptrdiff_t lda, const float* v, \
                 float* c, std::ptrdiff_t ldc, bool overwrite, const RowInit<float>& init, bool relu);     \
  void gevm(std::ptrdiff_t n, std::ptrdiff_t k, const float* u, std::ptrdiff_t u_stride, const float* b,   \
            std::ptrdiff_t ldb, float* c, bool overwrite, const float* bias, bool relu);

namespace avx512 {
constexpr std::ptrdiff_t kMr = 12;   // rows of C per micro-tile (broadcast operand)
constexpr std::ptrdiff_t kNr = 32;   // columns of C per micro-tile (two zmm registers)
constexpr std::ptrdiff_t kKc = 384;  // depth of one packed block
constexpr std::ptrdiff_t kNc = 768;  // columns of one packed B block (768 x 384 floats = 1.1 MiB, in L2)
constexpr std::size_t kPackedA = std::size_t(kMr * kKc);
constexpr std::size_t kPackedB = std::size_t(kKc * kNc);
MTF_DECLARE_GEMM_KERNELS
}  // namespace avx512

namespace avx2 {
constexpr std::ptrdiff_t kMr = 6;    // rows of C per micro-tile
constexpr std::ptrdiff_t kNr = 16;   // columns of C per micro-tile (two ymm registers)
constexpr std::ptrdiff_t kKc = 256;  // depth of one packed block
constexpr std::ptrdiff_t kNc = 512;  // columns of one packed B block (512 x 256 floats = 512 KiB)
constexpr std::size_t kPackedA = std::size_t(kMr * kKc);
constexpr std::size_t kPackedB = std::size_t(kKc * kNc);
MTF_DECLARE_GEMM_KERNELS
}  // namespace avx2

#undef MTF_DECLARE_GEMM_KERNELS

}  // namespace mtf
