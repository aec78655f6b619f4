#include "engine/gemm.hpp"

#include "engine/kernels/dispatch.hpp"
#include "engine/kernels/gemm_kernels.hpp"
#include "engine/threads.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstdlib>
#include <new>
#include <type_traits>

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

// The own float kernels of one instruction set (engine/kernels/gemm_kernels.hpp).
struct OwnKernels {
  KernelIsa isa;
  Index mr, nr;
  std::size_t packed_a, packed_b;
  decltype(&avx512::gemm_rows) gemm_rows;
  decltype(&avx512::gemv_rows) gemv_rows;
  decltype(&avx512::gevm) gevm;
  decltype(&avx512::packed_b_size) packed_b_size;
  decltype(&avx512::pack_b_whole) pack_b_whole;
};
constexpr OwnKernels kAvx512{KernelIsa::Avx512, avx512::kMr, avx512::kNr, avx512::kPackedA, avx512::kPackedB,
                             &avx512::gemm_rows, &avx512::gemv_rows, &avx512::gevm, &avx512::packed_b_size,
                             &avx512::pack_b_whole};
constexpr OwnKernels kAvx2{KernelIsa::Avx2, avx2::kMr, avx2::kNr, avx2::kPackedA, avx2::kPackedB,
                           &avx2::gemm_rows, &avx2::gemv_rows, &avx2::gevm, &avx2::packed_b_size,
                           &avx2::pack_b_whole};

// Which kernel runs a product. The choice depends on the whole product's shape and the active kernel
// (engine/kernels/dispatch.hpp) only, never on the rows a thread owns, so every thread of a split product
// runs the same arithmetic.
//  * Own: the active instruction set's tiled kernel (float), for outputs at least one tile wide and tall
//    (AVX-512: 12 x 32; AVX2: 6 x 16). AVX-512: 94-110 GFLOP/s against Eigen's 66-89 on the BCQ layer
//    shapes (Zen 4).
//  * Gemv / Gevm: its vector loops for the 1-wide products (n = 1 with op(A) = A and a contiguous op(B)
//    column: the Q heads' forward; m = 1 with op(B) = B: their weight gradient).
//  * The other thin products (the 12- and 24-wide heads, products with fewer rows than a tile):
//    Eigen's kernel where this file is compiled for vectors as wide as the own kernel's (a -march=native
//    build: Eigen measured faster there, as a tile wastes most of its lanes), else the own kernel
//    (a portable build, where Eigen runs 4-wide SSE: the AVX-512 kernel's 12 x 16 half tile ran the
//    12-wide head 300 x 12 x 2560 rows in 0.32 ms against SSE Eigen's 0.89-1.12 and AVX-512 Eigen's 0.58-0.62, Zen 5).
//  * Eigen: everything else — double (tests, gradient checks) and the generic path.
#if defined(__AVX512F__)
constexpr bool kEigenAvx512 = true;  // Eigen compiled for 16 lanes
#else
constexpr bool kEigenAvx512 = false;
#endif
#if defined(__AVX2__) && defined(__FMA__)
constexpr bool kEigenAvx2 = true;  // Eigen compiled for 8 lanes
#else
constexpr bool kEigenAvx2 = false;
#endif
enum class Path { Own, Gemv, Gevm, Eigen };
// The AVX-512 tile from 8 rows (its tile is 12): one state served by BCQ is a 10-row product (n = 10
// proposals), where Eigen's path packs the whole weight matrix on every call; a 12-row tile with 2 idle
// rows is faster (bench_serving BM_Serve/single). Below 8 rows Eigen stays in a native build.
constexpr Index kAvx512OwnMinRows = 8;
struct Choice {
  Path path;
  const OwnKernels* own;
};
template <class T>
Choice choose_kernel(Index m, Index n, Trans trans_a, Trans trans_b, Index ldb) {
  if constexpr (std::is_same_v<T, float>) {
    const KernelIsa isa = active_kernel();
    const OwnKernels* own = isa == KernelIsa::Avx512 ? &kAvx512 : isa == KernelIsa::Avx2 ? &kAvx2 : nullptr;
    if (own) {
      const Index min_rows = isa == KernelIsa::Avx512 ? kAvx512OwnMinRows : own->mr;
      if (n >= own->nr && m >= min_rows) return {Path::Own, own};
      if (n == 1 && trans_a == Trans::No && (trans_b == Trans::Yes || ldb == 1)) return {Path::Gemv, own};
      if (m == 1 && trans_b == Trans::No) return {Path::Gevm, own};
      const bool eigen_as_wide = isa == KernelIsa::Avx512 ? kEigenAvx512 : kEigenAvx2;
      if (!eigen_as_wide && n > 1) return {Path::Own, own};  // whatever m: a row's bits never depend on m
    }
  }
  (void)m, (void)n, (void)trans_a, (void)trans_b, (void)ldb;
  return {Path::Eigen, nullptr};
}

// Rows of C set to their starting rows (or zero): the starting value of an overwriting product.
template <class T>
void fill_rows(T* c, Index ldc, Index rows, Index n, const RowInit<T>& init) {
  for (Index i = 0; i < rows; ++i) {
    if (const T* src = init.row(i))
      std::copy(src, src + n, c + i * ldc);
    else
      std::fill(c + i * ldc, c + i * ldc + n, T(0));
  }
}

template <class T>
void relu_rows(T* c, Index ldc, Index rows, Index n) {
  for (Index i = 0; i < rows; ++i)
    for (Index j = 0; j < n; ++j) c[i * ldc + j] = std::max(c[i * ldc + j], T(0));
}

// b_panels: op(B) packed whole for kernel.own (PackedB), or null; used on the Own path only.
template <class T, int OrderA, int OrderB>
void gemm_dispatch(Index m, Index n, Index k, const T* a, Index lda, const T* b, Index ldb, T* c,
                   Index ldc, bool accumulate, const RowInit<T>& init, bool relu, Choice kernel, const T* b_panels) {
  // Eigen: one blocking for the whole product (sequential heuristic): kc depends on k only, so each
  // element of C is accumulated over the same k-blocks whichever rows a thread owns. (The own kernels'
  // blocking is fixed: engine/kernels/gemm_kernels.hpp.)
  Index kc = k, mc = n, nc = m;
  if (kernel.path == Path::Eigen)
    Eigen::internal::computeProductBlockingSizes<T, T, 1, Index>(kc, mc, nc, Index(1));

  // Rows [r0, r0 + rows) of C on the calling thread.
  auto run_rows = [&](Index r0, Index rows) {
    // Row r of op(A): row-major A at a + r*lda; transposed (col-major view) at a + r.
    const T* a_rows = OrderA == Eigen::RowMajor ? a + r0 * lda : a + r0;
    if constexpr (std::is_same_v<T, float>) {
      if (kernel.path == Path::Gemv) {  // op(B)'s one column is contiguous (see choose_kernel)
        kernel.own->gemv_rows(rows, k, a_rows, lda, b, c + r0 * ldc, ldc, !accumulate, init.from(r0), relu);
        return;
      }
      if (kernel.path == Path::Gevm) {  // m = 1: op(A)'s one row, stride lda if transposed
        kernel.own->gevm(n, k, a, OrderA == Eigen::ColMajor ? lda : 1, b, ldb, c, !accumulate, init.row(0), relu);
        return;
      }
      if (kernel.path == Path::Own) {  // overwrites C (and adds the bias) in its first k-block's stores
        Workspace<float>& ws = thread_workspace<float>();
        ws.reserve(kernel.own->packed_a, b_panels ? 0 : kernel.own->packed_b);  // (b's workspace: unused if packed)
        kernel.own->gemm_rows(OrderA == Eigen::ColMajor, OrderB == Eigen::ColMajor, rows, n, k, a_rows, lda,
                          b, ldb, c + r0 * ldc, ldc, !accumulate, init.from(r0), relu, ws.a, ws.b, b_panels);
        return;
      }
    }
    if (!accumulate) fill_rows(c + r0 * ldc, ldc, rows, n, init.from(r0));
    product_rows<T, OrderA, OrderB>(rows, n, k, a_rows, lda, b, ldb, c + r0 * ldc, ldc, kc, mc,
                                    std::min(nc, rows));
    if (relu) relu_rows(c + r0 * ldc, ldc, rows, n);
  };

  // Fork only for products of at least ~20 MFLOP (~0.2 ms on one core): smaller ones lose more to the
  // fork/join than they gain, and lose badly when the machine is oversubscribed.
  const double flops = 2.0 * double(m) * double(n) * double(k);
  const int threads = (flops >= 2.0e7 && m >= 32 && !omp_in_parallel()) ? omp_get_max_threads() : 1;
  if (threads <= 1) {
    run_rows(0, m);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    // Rows of C in chunks cut at multiples of 24 rows (whole 12- and 6-row tiles of the own kernels,
    // whole register columns of Eigen's), sized from the team OpenMP actually granted (it may be smaller
    // than asked). Where the row splits fall does not change any element's arithmetic (see the
    // header), so the bits stay the same.
    const Range chunk = split_range(m, omp_get_num_threads(), omp_get_thread_num(), 24);
    if (chunk.size() > 0) run_rows(chunk.begin, chunk.size());
  }
}

template <class T>
void gemm_impl(Trans trans_a, Trans trans_b, Index m, Index n, Index k, const T* a, Index lda, const T* b,
               Index ldb, T* c, Index ldc, bool accumulate, const RowInit<T>& init, bool relu, Choice kernel,
               const T* b_panels = nullptr) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!accumulate) fill_rows(c, ldc, m, n, init);
    if (relu) relu_rows(c, ldc, m, n);
    return;
  }
  constexpr int R = Eigen::RowMajor, C = Eigen::ColMajor;
  // op(A) stored row-major untransposed, or as the col-major view of a row-major A^T.
  if (trans_a == Trans::No && trans_b == Trans::No)
    gemm_dispatch<T, R, R>(m, n, k, a, lda, b, ldb, c, ldc, accumulate, init, relu, kernel, b_panels);
  else if (trans_a == Trans::No && trans_b == Trans::Yes)
    gemm_dispatch<T, R, C>(m, n, k, a, lda, b, ldb, c, ldc, accumulate, init, relu, kernel, b_panels);
  else if (trans_a == Trans::Yes && trans_b == Trans::No)
    gemm_dispatch<T, C, R>(m, n, k, a, lda, b, ldb, c, ldc, accumulate, init, relu, kernel, b_panels);
  else
    gemm_dispatch<T, C, C>(m, n, k, a, lda, b, ldb, c, ldc, accumulate, init, relu, kernel, b_panels);
}

// The panels of `b` if this product runs the own kernel they were packed for, else null (the product
// then packs or reads b.data() as the unpacked call would).
template <class T>
const T* panels_for(const PackedB<T>& b, Choice kernel) {
  return kernel.path == Path::Own && b.panels() && kernel.own->isa == b.isa() ? b.panels() : nullptr;
}

// Taller than any product: the row count at which a product of op(B) would take the tiled kernel if it
// ever does (the choice only leaves the tile for fewer rows).
constexpr Index kTallest = Index(1) << 40;

}  // namespace

template <class T>
PackedB<T>::PackedB(Trans trans_b, Index k, Index n, const T* b, Index ldb)
    : trans_(trans_b), k_(k), n_(n), ldb_(ldb), b_(b) {
  if constexpr (std::is_same_v<T, float>) {
    const Choice kernel = choose_kernel<float>(kTallest, n, Trans::No, trans_b, ldb);
    if (kernel.path != Path::Own || k == 0) return;  // no product of it would read panels
    const std::size_t count = kernel.own->packed_b_size(n, k);
    bytes_ = ((count * sizeof(float) + 63) / 64) * 64;
    panels_.reset(static_cast<float*>(std::aligned_alloc(64, bytes_)));
    if (!panels_) throw std::bad_alloc();
    kernel.own->pack_b_whole(trans_b == Trans::Yes, n, k, b, ldb, panels_.get());
    isa_ = kernel.own->isa;
  }
}

template <class T>
void gemm(Trans trans_a, Index m, const T* a, Index lda, const PackedB<T>& b, T* c, Index ldc, bool accumulate,
          Epilogue epilogue) {
  const Choice kernel = choose_kernel<T>(m, b.n(), trans_a, b.trans(), b.ld());
  gemm_impl(trans_a, b.trans(), m, b.n(), b.k(), a, lda, b.data(), b.ld(), c, ldc, accumulate, RowInit<T>{},
            epilogue == Epilogue::Relu, kernel, panels_for(b, kernel));
}

template <class T>
void gemm_bias(Trans trans_a, Index m, const T* a, Index lda, const PackedB<T>& b, const T* bias, T* c, Index ldc,
               Epilogue epilogue) {
  const Choice kernel = choose_kernel<T>(m, b.n(), trans_a, b.trans(), b.ld());
  gemm_impl(trans_a, b.trans(), m, b.n(), b.k(), a, lda, b.data(), b.ld(), c, ldc, false, RowInit<T>{bias, 0, 1, 0},
            epilogue == Epilogue::Relu, kernel, panels_for(b, kernel));
}

template <class T>
void gemm_init_rows(Trans trans_a, Index m, const T* a, Index lda, const PackedB<T>& b, const T* init, Index ldi,
                    Index group, T* c, Index ldc, Epilogue epilogue) {
  const Choice kernel = choose_kernel<T>(m, b.n(), trans_a, b.trans(), b.ld());
  gemm_impl(trans_a, b.trans(), m, b.n(), b.k(), a, lda, b.data(), b.ld(), c, ldc, false,
            RowInit<T>{init, ldi, group, 0}, epilogue == Epilogue::Relu, kernel, panels_for(b, kernel));
}

template <class T>
void gemm(Trans trans_a, Trans trans_b, Index m, Index n, Index k, const T* a, Index lda, const T* b,
          Index ldb, T* c, Index ldc, bool accumulate, Epilogue epilogue) {
  gemm_impl(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, accumulate, RowInit<T>{},
            epilogue == Epilogue::Relu, choose_kernel<T>(m, n, trans_a, trans_b, ldb));
}

template <class T>
void gemm_bias(Trans trans_a, Trans trans_b, Index m, Index n, Index k, const T* a, Index lda, const T* b,
               Index ldb, const T* bias, T* c, Index ldc, Epilogue epilogue) {
  gemm_impl(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, false, RowInit<T>{bias, 0, 1, 0},
            epilogue == Epilogue::Relu, choose_kernel<T>(m, n, trans_a, trans_b, ldb));
}

template <class T>
void gemm_init_rows(Trans trans_a, Trans trans_b, Index m, Index n, Index k, const T* a, Index lda, const T* b,
                    Index ldb, const T* init, Index ldi, Index group, T* c, Index ldc, Epilogue epilogue) {
  gemm_impl(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, false, RowInit<T>{init, ldi, group, 0},
            epilogue == Epilogue::Relu, choose_kernel<T>(m, n, trans_a, trans_b, ldb));
}

template <class T>
void gemm_eigen(Trans trans_a, Trans trans_b, Index m, Index n, Index k, const T* a, Index lda, const T* b,
                Index ldb, T* c, Index ldc, bool accumulate) {
  gemm_impl(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, accumulate, RowInit<T>{}, false, Choice{Path::Eigen, nullptr});
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
                          float*, Index, bool, Epilogue);
template void gemm<double>(Trans, Trans, Index, Index, Index, const double*, Index, const double*,
                           Index, double*, Index, bool, Epilogue);
template void gemm_bias<float>(Trans, Trans, Index, Index, Index, const float*, Index, const float*, Index,
                               const float*, float*, Index, Epilogue);
template void gemm_bias<double>(Trans, Trans, Index, Index, Index, const double*, Index, const double*, Index,
                                const double*, double*, Index, Epilogue);
template void gemm_init_rows<float>(Trans, Trans, Index, Index, Index, const float*, Index, const float*, Index,
                                    const float*, Index, Index, float*, Index, Epilogue);
template void gemm_init_rows<double>(Trans, Trans, Index, Index, Index, const double*, Index, const double*, Index,
                                     const double*, Index, Index, double*, Index, Epilogue);
template class PackedB<float>;
template class PackedB<double>;
template void gemm<float>(Trans, Index, const float*, Index, const PackedB<float>&, float*, Index, bool, Epilogue);
template void gemm<double>(Trans, Index, const double*, Index, const PackedB<double>&, double*, Index, bool, Epilogue);
template void gemm_bias<float>(Trans, Index, const float*, Index, const PackedB<float>&, const float*, float*, Index,
                               Epilogue);
template void gemm_bias<double>(Trans, Index, const double*, Index, const PackedB<double>&, const double*, double*,
                                Index, Epilogue);
template void gemm_init_rows<float>(Trans, Index, const float*, Index, const PackedB<float>&, const float*, Index,
                                    Index, float*, Index, Epilogue);
template void gemm_init_rows<double>(Trans, Index, const double*, Index, const PackedB<double>&, const double*,
                                     Index, Index, double*, Index, Epilogue);
template void gemm_eigen<float>(Trans, Trans, Index, Index, Index, const float*, Index, const float*,
                                Index, float*, Index, bool);
template void gemm_eigen<double>(Trans, Trans, Index, Index, Index, const double*, Index, const double*,
                                 Index, double*, Index, bool);
template void gemm_naive<float>(Trans, Trans, Index, Index, Index, const float*, Index, const float*,
                                Index, float*, Index, bool);
template void gemm_naive<double>(Trans, Trans, Index, Index, Index, const double*, Index,
                                 const double*, Index, double*, Index, bool);

}  // namespace mtf
