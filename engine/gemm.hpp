// engine/gemm.hpp — the one matrix-multiply entry point of the engine.
//
//   C (m x n) = [C +] op(A) (m x k) * op(B) (k x n)      all row-major; op(X) = X or X^T
//
// Every GEMM of the engine (linear forward, its input and weight gradients) goes through here, so the
// engine owns GEMM threading in one place:
//  * the arithmetic is single-threaded and cache-blocked: for float, the engine's own kernel of the
//    instruction set picked at run time (engine/kernels/: AVX-512 12 x 32 tiles, or AVX2+FMA 6 x 16)
//    for products at least one tile large and its vector loops for 1-wide ones; Eigen's
//    general_matrix_matrix_product for the rest (double, the other thin products, the generic path);
//    the choice depends on the product's shape and the active kernel only (engine/kernels/dispatch.hpp);
//  * the rows of C are split across OpenMP threads (never the k dimension), with one cache blocking
//    computed for the whole product, so every element of C is summed in the same order whatever the
//    thread count: 1 and 2 threads give identical bits;
//  * the packing buffers are per-thread and only grow, so after warm-up a GEMM never allocates
//    (Eigen's own product path heap-allocates its packing buffers above 128 KiB on every call);
//  * a right operand that never changes (a served network's weights) can be packed once (PackedB): the
//    overloads taking one run the same arithmetic as the plain entry points, without the packing.
#pragma once
#include <cstdlib>
#include <memory>

#include "engine/kernels/dispatch.hpp"
#include "engine/row_init.hpp"
#include "engine/tensor.hpp"

namespace mtf {

enum class Trans { No, Yes };

/// What the product's final stores apply: nothing, or max(., 0) (a fused linear + ReLU layer).
enum class Epilogue { None, Relu };

/// C = op(A) op(B) (accumulate=false) or C += op(A) op(B) (accumulate=true), then the epilogue.
/// lda/ldb/ldc are the row strides of the stored (untransposed) row-major matrices.
template <class T>
void gemm(Trans trans_a, Trans trans_b, Index m, Index n, Index k, const T* a, Index lda, const T* b,
          Index ldb, T* c, Index ldc, bool accumulate, Epilogue epilogue = Epilogue::None);

/// C = repeat_rows(init, group) + op(A) op(B) [then ReLU]: row i of C starts from row i / group of `init`
/// (row stride ldi), in the kernel's first stores. The factored first layer's broadcast of its
/// per-state part u over the state's n samples (engine/ops/linear.hpp, LinearRepeated).
template <class T>
void gemm_init_rows(Trans trans_a, Trans trans_b, Index m, Index n, Index k, const T* a, Index lda, const T* b,
                    Index ldb, const T* init, Index ldi, Index group, T* c, Index ldc,
                    Epilogue epilogue = Epilogue::None);

/// C = op(A) op(B) + 1 bias^T [then ReLU]: bias (n) added to every row of the product (the linear layer's
/// forward), fused into the kernel's first stores (and the ReLU into its last) rather than extra passes
/// over C.
template <class T>
void gemm_bias(Trans trans_a, Trans trans_b, Index m, Index n, Index k, const T* a, Index lda, const T* b,
               Index ldb, const T* bias, T* c, Index ldc, Epilogue epilogue = Epilogue::None);

/// op(B) (k x n) packed once in the panel layout of the own kernel active when it is built (the kernel's
/// fixed k-blocking: engine/kernels/gemm_kernels.hpp), for a right operand multiplied many times while it
/// does not change: a served network's weights, op(B) = W^T (serving/served_policy.cpp). It views `b`,
/// which must outlive it and must not change. A product given a PackedB does exactly what the same
/// product given (trans_b, b, ldb) does — the same kernel choice, the same panels, the same FMA order, so
/// the same bits at any thread count — minus packing op(B): where the choice is the own tiled kernel of the
/// instruction set it was packed for. Every other path (Eigen's, the 1-wide vector loops, a kernel set
/// with set_kernel since) reads `b` as the plain entry point does. Empty (no panels) for double, for the
/// generic kernel and for an op(B) no product would take the tiled kernel for (e.g. 1 wide).
template <class T>
class PackedB {
 public:
  PackedB() = default;
  PackedB(Trans trans_b, Index k, Index n, const T* b, Index ldb);

  Trans trans() const { return trans_; }
  Index k() const { return k_; }
  Index n() const { return n_; }
  const T* data() const { return b_; }
  Index ld() const { return ldb_; }
  /// The panels (packed_b_size(n, k) values, 64-byte aligned) for kernel `isa`, or null.
  const T* panels() const { return panels_.get(); }
  KernelIsa isa() const { return isa_; }
  /// Bytes held by the panels.
  std::size_t bytes() const { return bytes_; }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  Trans trans_ = Trans::No;
  Index k_ = 0, n_ = 0, ldb_ = 0;
  const T* b_ = nullptr;
  KernelIsa isa_ = KernelIsa::Generic;
  std::size_t bytes_ = 0;
  std::unique_ptr<T, Free> panels_;
};

/// gemm, gemm_bias and gemm_init_rows with op(B) packed (k = b.k(), n = b.n()): the same results, bit
/// for bit, as the calls given (b.trans(), b.data(), b.ld()).
template <class T>
void gemm(Trans trans_a, Index m, const T* a, Index lda, const PackedB<T>& b, T* c, Index ldc, bool accumulate,
          Epilogue epilogue = Epilogue::None);
template <class T>
void gemm_bias(Trans trans_a, Index m, const T* a, Index lda, const PackedB<T>& b, const T* bias, T* c, Index ldc,
               Epilogue epilogue = Epilogue::None);
template <class T>
void gemm_init_rows(Trans trans_a, Index m, const T* a, Index lda, const PackedB<T>& b, const T* init, Index ldi,
                    Index group, T* c, Index ldc, Epilogue epilogue = Epilogue::None);

/// The same product always through Eigen's kernel (threaded the same way): the baseline the own kernel is
/// benchmarked and tested against.
template <class T>
void gemm_eigen(Trans trans_a, Trans trans_b, Index m, Index n, Index k, const T* a, Index lda, const T* b,
                Index ldb, T* c, Index ldc, bool accumulate);

/// The textbook triple loop, for tests and as the benchmarks' reference kernel.
template <class T>
void gemm_naive(Trans trans_a, Trans trans_b, Index m, Index n, Index k, const T* a, Index lda,
                const T* b, Index ldb, T* c, Index ldc, bool accumulate);

}  // namespace mtf
