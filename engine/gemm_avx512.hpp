// engine/gemm_avx512.hpp — the engine's own single-precision GEMM kernel for AVX-512 machines.
//
//   C (m x n) += op(A) (m x k) * op(B) (k x n)        row-major, one thread, no allocation
//
// BLIS-style: op(B) is packed in (KC x NR) micro-panels, op(A) in (MR x KC) micro-panels, and a 12 x 32
// register-blocked micro-kernel (24 zmm accumulators; per k: 2 vector loads of B, 12 broadcasts of A,
// 24 FMAs) adds each KC-deep partial product into C. The A micro-panel (18 KiB) stays in L1 while the
// B micro-panels stream from the (KC x NC) packed block in L2.
//
// Determinism: every element of C is the same FMA chain over p = 0..KC-1 within a k-block, added to C
// block by block in increasing k, whatever rows a caller hands this function. Splitting the rows of C
// across threads therefore never changes a bit.
//
// Why not Eigen's kernel: on this project's shapes (the BCQ layers, 256 and 2,560 rows) Eigen 3.4's
// float GEBP ran at 77-85 GFLOP/s on a 117 GFLOP/s Zen 4 core (docs/speed.md); this kernel is measured
// beside it by `bench_engine --benchmark_filter=BM_Gemm`.
#pragma once
#include <cstddef>

#include "engine/gemm.hpp"
#include "engine/tensor.hpp"

namespace mtf::avx512 {

constexpr Index kMr = 12;   // rows of C per micro-tile (broadcast operand)
constexpr Index kNr = 32;   // columns of C per micro-tile (two zmm registers)
constexpr Index kKc = 384;  // depth of one packed block
constexpr Index kNc = 768;  // columns of one packed B block (768 x 384 floats = 1.1 MiB, in L2)

/// Floats of packing workspace gemm_rows needs for A and for B.
constexpr std::size_t packed_a_size() { return std::size_t(kMr * kKc); }
constexpr std::size_t packed_b_size() { return std::size_t(kKc * kNc); }

/// True when this build carries the kernel (compiled with AVX-512F).
bool available();

/// C += op(A) op(B) for `rows` rows of C, or with `overwrite` C = init + op(A) op(B) (C is not read;
/// init.row(i): the n floats row i starts from, or zero); with `relu` the final values are max(., 0).
/// k >= 1. a_packed and b_packed are 64-byte-
/// aligned workspaces of packed_a_size() and packed_b_size() floats. trans_a: A is stored (k x m), else
/// (m x k); likewise B.
void gemm_rows(bool trans_a, bool trans_b, Index rows, Index n, Index k, const float* a, Index lda,
               const float* b, Index ldb, float* c, Index ldc, bool overwrite, const RowInit<float>& init,
               bool relu, float* a_packed, float* b_packed);

/// The thin products a 12 x 32 tile would mostly waste, with the same store semantics as gemm_rows:
/// gemv_rows: c[i ldc] (+)= A[i, :] . v for rows i < rows   (A row-major (rows x k), v contiguous (k));
///            the 1-wide Q heads' forward (n = 1).
/// gevm:      c[j] (+)= sum_r u[r u_stride] B[r, j] for j < n   (B row-major (k x n));
///            the 1-output heads' weight gradient (m = 1).
void gemv_rows(Index rows, Index k, const float* a, Index lda, const float* v, float* c, Index ldc,
               bool overwrite, const RowInit<float>& init, bool relu);
void gevm(Index n, Index k, const float* u, Index u_stride, const float* b, Index ldb, float* c, bool overwrite,
          const float* bias, bool relu);

}  // namespace mtf::avx512
