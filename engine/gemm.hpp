// engine/gemm.hpp — the one matrix-multiply entry point of the engine.
//
//   C (m x n) = [C +] op(A) (m x k) * op(B) (k x n)      all row-major; op(X) = X or X^T
//
// Every GEMM of the engine (linear forward, its input and weight gradients) goes through here, so the
// engine owns GEMM threading in one place:
//  * Eigen's cache-blocked kernel (general_matrix_matrix_product) does the arithmetic, single-threaded;
//  * the rows of C are split across OpenMP threads (never the k dimension), with one cache blocking
//    computed for the whole product, so every element of C is summed in the same order whatever the
//    thread count: 1 and 2 threads give identical bits;
//  * the packing buffers are per-thread and only grow, so after warm-up a GEMM never allocates
//    (Eigen's own product path heap-allocates its packing buffers above 128 KiB on every call).
#pragma once
#include "engine/tensor.hpp"

namespace mtf {

enum class Trans { No, Yes };

/// C = op(A) op(B) (accumulate=false) or C += op(A) op(B) (accumulate=true).
/// lda/ldb/ldc are the row strides of the stored (untransposed) row-major matrices.
template <class T>
void gemm(Trans trans_a, Trans trans_b, Index m, Index n, Index k, const T* a, Index lda, const T* b,
          Index ldb, T* c, Index ldc, bool accumulate);

/// The textbook triple loop, for tests and as the benchmarks' reference kernel.
template <class T>
void gemm_naive(Trans trans_a, Trans trans_b, Index m, Index n, Index k, const T* a, Index lda,
                const T* b, Index ldb, T* c, Index ldc, bool accumulate);

}  // namespace mtf
