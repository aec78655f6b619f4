#include "engine/gemm.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstdlib>
#include <new>

namespace mtf {

namespace {

// Packing buffers of the calling thread; grow-only, freed at thread exit.
template <class T>
struct Workspace {
  T* a = nullptr;
  T* b = nullptr;
  std::size_t size_a = 0, size_b = 0;
  static T* grow(T* p, std::size_t& have, std::size_t need) {
    if (need <= have) return p;
    std::free(p);
    const std::size_t bytes = ((need * sizeof(T) + 63) / 64) * 64;
    p = static_cast<T*>(std::aligned_alloc(64, bytes));
    if (!p) throw std::bad_alloc();
    have = need;
    return p;
  }
  void reserve(std::size_t need_a, std::size_t need_b) {
    a = grow(a, size_a, need_a);
    b = grow(b, size_b, need_b);
  }
  ~Workspace() {
    std::free(a);
    std::free(b);
  }
};

template <class T>
Workspace<T>& thread_workspace() {
  thread_local Workspace<T> ws;
  return ws;
}

// Eigen's blocking descriptor pointed at our buffers.
template <class T>
struct Blocking : Eigen::internal::level3_blocking<T, T> {
  Blocking(T* block_a, T* block_b, Index kc, Index mc, Index nc) {
    this->m_blockA = block_a;
    this->m_blockB = block_b;
    this->m_kc = kc;
    this->m_mc = mc;
    this->m_nc = nc;
  }
};

// One sequential product on a block of rows of C. Eigen's row-major-result specialization transposes
// the problem (C^T = op(B)^T op(A)^T), so its "m" is our n and its "nc" bounds our rows.
template <class T, int OrderA, int OrderB>
void product_rows(Index rows, Index n, Index k, const T* a, Index lda, const T* b, Index ldb, T* c,
                  Index ldc, Index kc, Index mc, Index nc) {
  Workspace<T>& ws = thread_workspace<T>();
  ws.reserve(std::size_t(kc) * mc, std::size_t(kc) * nc);
  Blocking<T> blocking(ws.a, ws.b, kc, mc, nc);
  Eigen::internal::general_matrix_matrix_product<Index, T, OrderA, false, T, OrderB, false,
                                                 Eigen::RowMajor, 1>::run(rows, n, k, a, lda, b, ldb,
                                                                          c, 1, ldc, T(1), blocking,
                                                                          nullptr);
}

template <class T, int OrderA, int OrderB>
void gemm_dispatch(Index m, Index n, Index k, const T* a, Index lda, const T* b, Index ldb, T* c,
                   Index ldc) {
  // One blocking for the whole product (sequential heuristic): kc depends on k only, so each element of
  // C is accumulated over the same k-blocks whichever rows a thread owns.
  Index kc = k, mc = n, nc = m;
  Eigen::internal::computeProductBlockingSizes<T, T, 1, Index>(kc, mc, nc, Index(1));

  // Fork only for products of at least ~20 MFLOP (~0.2 ms on one core): smaller ones lose more to the
  // fork/join than they gain, and lose badly when the machine is oversubscribed.
  const double flops = 2.0 * double(m) * double(n) * double(k);
  const int threads = (flops >= 2.0e7 && m >= 32 && !omp_in_parallel()) ? omp_get_max_threads() : 1;
  if (threads <= 1) {
    product_rows<T, OrderA, OrderB>(m, n, k, a, lda, b, ldb, c, ldc, kc, mc, nc);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    // Rows of C in chunks that are multiples of 8 (a whole number of Eigen's nr=4 register columns),
    // sized from the team OpenMP actually granted (it may be smaller than asked). Where the row splits
    // fall does not change any element's arithmetic (see the header), so the bits stay the same.
    const Index team = omp_get_num_threads();
    const Index chunk = ((m + team - 1) / team + 7) & ~Index(7);
    const Index r0 = Index(omp_get_thread_num()) * chunk;
    const Index rows = std::min(chunk, m - r0);
    if (rows > 0) {
      // Row r of op(A): row-major A at a + r*lda; transposed (col-major view) at a + r.
      const T* a_rows = OrderA == Eigen::RowMajor ? a + r0 * lda : a + r0;
      product_rows<T, OrderA, OrderB>(rows, n, k, a_rows, lda, b, ldb, c + r0 * ldc, ldc, kc, mc,
                                      std::min(nc, rows));
    }
  }
}

}  // namespace

template <class T>
void gemm(Trans trans_a, Trans trans_b, Index m, Index n, Index k, const T* a, Index lda, const T* b,
          Index ldb, T* c, Index ldc, bool accumulate) {
  if (m == 0 || n == 0) return;
  if (!accumulate) {
    for (Index i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, T(0));
  }
  if (k == 0) return;
  constexpr int R = Eigen::RowMajor, C = Eigen::ColMajor;
  // op(A) stored row-major untransposed, or as the col-major view of a row-major A^T.
  if (trans_a == Trans::No && trans_b == Trans::No)
    gemm_dispatch<T, R, R>(m, n, k, a, lda, b, ldb, c, ldc);
  else if (trans_a == Trans::No && trans_b == Trans::Yes)
    gemm_dispatch<T, R, C>(m, n, k, a, lda, b, ldb, c, ldc);
  else if (trans_a == Trans::Yes && trans_b == Trans::No)
    gemm_dispatch<T, C, R>(m, n, k, a, lda, b, ldb, c, ldc);
  else
    gemm_dispatch<T, C, C>(m, n, k, a, lda, b, ldb, c, ldc);
}

template <class T>
void gemm_naive(Trans trans_a, Trans trans_b, Index m, Index n, Index k, const T* a, Index lda,
                const T* b, Index ldb, T* c, Index ldc, bool accumulate) {
  for (Index i = 0; i < m; ++i) {
    for (Index j = 0; j < n; ++j) {
      T sum = 0;
      for (Index p = 0; p < k; ++p) {
        const T av = trans_a == Trans::No ? a[i * lda + p] : a[p * lda + i];
        const T bv = trans_b == Trans::No ? b[p * ldb + j] : b[j * ldb + p];
        sum += av * bv;
      }
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum;
    }
  }
}

template void gemm<float>(Trans, Trans, Index, Index, Index, const float*, Index, const float*, Index,
                          float*, Index, bool);
template void gemm<double>(Trans, Trans, Index, Index, Index, const double*, Index, const double*,
                           Index, double*, Index, bool);
template void gemm_naive<float>(Trans, Trans, Index, Index, Index, const float*, Index, const float*,
                                Index, float*, Index, bool);
template void gemm_naive<double>(Trans, Trans, Index, Index, Index, const double*, Index,
                                 const double*, Index, double*, Index, bool);

}  // namespace mtf
