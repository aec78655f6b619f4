// tests/engine/gemm_test.cpp — the engine's GEMM against the naive triple loop for all transposition
// cases, accumulate vs overwrite, threaded splits, identical bits for 1 and 2 threads, and no heap
// allocation once its buffers are warm; op(B) packed once (PackedB) gives the unpacked product's bits on
// every kernel this CPU runs.
#include "engine/gemm.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/threads.hpp"
#include "tests/support/alloc_counter.hpp"
#include "tests/support/random.hpp"

using namespace mtf;

namespace {
// Stored shapes for op(A) (m x k) and op(B) (k x n) under the given transpositions.
template <class T>
struct Problem {
  Index m, n, k;
  Trans ta, tb;
  MatrixR<T> a, b, c0;
  Problem(Index m_, Index n_, Index k_, Trans ta_, Trans tb_, Rng& rng) : m(m_), n(n_), k(k_), ta(ta_), tb(tb_) {
    a = test::normal_matrix<T>(ta == Trans::No ? m : k, ta == Trans::No ? k : m, rng);
    b = test::normal_matrix<T>(tb == Trans::No ? k : n, tb == Trans::No ? n : k, rng);
    c0 = test::normal_matrix<T>(m, n, rng);
  }
  MatrixR<T> run(bool accumulate, bool naive) const {
    MatrixR<T> c = c0;
    if (naive)
      gemm_naive<T>(ta, tb, m, n, k, a.data(), a.cols(), b.data(), b.cols(), c.data(), n, accumulate);
    else
      gemm<T>(ta, tb, m, n, k, a.data(), a.cols(), b.data(), b.cols(), c.data(), n, accumulate);
    return c;
  }
};
}  // namespace

TEST_CASE("gemm matches the naive kernel in every transposition case", "[gemm]") {
  Rng rng(70);
  for (Trans ta : {Trans::No, Trans::Yes})
    for (Trans tb : {Trans::No, Trans::Yes})
      for (auto [m, n, k] : {std::tuple<Index, Index, Index>{1, 1, 1}, {3, 5, 7}, {64, 33, 17}, {130, 70, 300}}) {
        Problem<double> p(m, n, k, ta, tb, rng);
        for (bool acc : {false, true}) {
          INFO("m=" << m << " n=" << n << " k=" << k << " ta=" << int(ta) << " tb=" << int(tb) << " acc=" << acc);
          REQUIRE(p.run(acc, false).isApprox(p.run(acc, true), 1e-12));
        }
      }
}

// The float products exercise the engine's own AVX-512 kernel where the build has it (m >= 12, n >= 32):
// partial 12-row and 32-column tiles, several 384-deep k-blocks, more than one 768-wide column block;
// and the tall narrow products of the heads (Eigen's kernel).
// Reference: the naive loop in double on the same (float) inputs.
TEST_CASE("float gemm matches a double-precision reference at tile and block edges", "[gemm]") {
  Rng rng(74);
  for (Trans ta : {Trans::No, Trans::Yes})
    for (Trans tb : {Trans::No, Trans::Yes})
      for (auto [m, n, k] : {std::tuple<Index, Index, Index>{12, 32, 1}, {13, 33, 5}, {25, 47, 384}, {50, 100, 385},
                             {37, 800, 800}, {256, 64, 64}, {11, 31, 7},
                             // 1-wide products (the Q heads): n = 1 forward, m = 1 weight gradient
                             {41, 1, 37}, {1, 70, 20}, {1, 1, 5}, {2560, 1, 300},
                             // tall and narrow (the 12- and 24-wide heads)
                             {128, 2, 9}, {200, 12, 300}, {130, 13, 385}, {2560, 24, 750}, {300, 31, 40}}) {
        Problem<float> p(m, n, k, ta, tb, rng);
        for (bool acc : {false, true}) {
          MatrixR<double> ref = p.c0.cast<double>();
          const MatrixR<double> ad = p.a.cast<double>(), bd = p.b.cast<double>();
          gemm_naive<double>(ta, tb, m, n, k, ad.data(), ad.cols(), bd.data(), bd.cols(), ref.data(), n, acc);
          const MatrixR<double> got = p.run(acc, false).cast<double>();
          // Not a lambda: C++17 (and clang 14, the ThreadSanitizer build's compiler) cannot capture the
          // structured bindings m, n, k.
          MatrixR<float> eig_c = p.c0;
          gemm_eigen<float>(ta, tb, m, n, k, p.a.data(), p.a.cols(), p.b.data(), p.b.cols(), eig_c.data(), n, acc);
          const MatrixR<double> eig = eig_c.cast<double>();
          INFO("m=" << m << " n=" << n << " k=" << k << " ta=" << int(ta) << " tb=" << int(tb) << " acc=" << acc);
          // float rounding over k terms of unit-variance products: ~sqrt(k) * 6e-8 relative per element
          const double tol = 1e-6 * std::sqrt(double(k) + 1.0);
          REQUIRE((got - ref).norm() <= tol * ref.norm());
          REQUIRE((eig - ref).norm() <= tol * ref.norm());
        }
      }
}

TEST_CASE("gemm_bias overwrites C with the product plus the bias row, optionally through a ReLU", "[gemm]") {
  Rng rng(75);
  for (auto [m, n, k] : {std::tuple<Index, Index, Index>{13, 33, 5}, {50, 100, 385}, {3, 5, 7}, {24, 64, 0}, {30, 12, 800},
                         {30, 1, 300}, {1, 70, 20}, {256, 12, 300}, {2560, 24, 88}})
    for (Epilogue epilogue : {Epilogue::None, Epilogue::Relu}) {
      Problem<float> p(m, n, k, Trans::No, Trans::Yes, rng);
      const MatrixR<float> bias = test::normal_matrix<float>(1, n, rng);
      MatrixR<double> ref(m, n);
      const MatrixR<double> ad = p.a.cast<double>(), bd = p.b.cast<double>();
      gemm_naive<double>(Trans::No, Trans::Yes, m, n, k, ad.data(), ad.cols(), bd.data(), bd.cols(), ref.data(), n, false);
      ref.rowwise() += bias.cast<double>().row(0);
      if (epilogue == Epilogue::Relu) ref = ref.cwiseMax(0.0);
      MatrixR<float> c = p.c0;  // garbage to be overwritten
      gemm_bias<float>(Trans::No, Trans::Yes, m, n, k, p.a.data(), p.a.cols(), p.b.data(), p.b.cols(), bias.data(),
                       c.data(), n, epilogue);
      INFO("m=" << m << " n=" << n << " k=" << k << " relu=" << (epilogue == Epilogue::Relu));
      REQUIRE((c.cast<double>() - ref).norm() <= 1e-6 * std::sqrt(double(k) + 1.0) * ref.norm());
      if (epilogue == Epilogue::Relu) REQUIRE(c.minCoeff() == 0.0f);  // exactly zero, not tiny negatives
    }
}

TEST_CASE("gemm_init_rows starts row i from row i / group of the init matrix", "[gemm]") {
  Rng rng(76);
  // group 10 (BCQ's n) does not divide the 24-row thread chunks or the 12-row tiles; n = 1 takes the
  // vector path; the big one splits across threads.
  for (auto [m, n, k, group] : {std::tuple<Index, Index, Index, Index>{50, 40, 24, 10}, {30, 1, 20, 3},
                                {2560, 400, 12, 10}, {7, 33, 0, 2}, {2560, 12, 24, 10}})
    for (Epilogue epilogue : {Epilogue::None, Epilogue::Relu}) {
      Problem<float> p(m, n, k, Trans::No, Trans::Yes, rng);
      const Index groups = (m + group - 1) / group;
      const MatrixR<float> init = test::normal_matrix<float>(groups, n + 3, rng);  // row stride n + 3
      MatrixR<double> ref(m, n);
      const MatrixR<double> ad = p.a.cast<double>(), bd = p.b.cast<double>();
      gemm_naive<double>(Trans::No, Trans::Yes, m, n, k, ad.data(), ad.cols(), bd.data(), bd.cols(), ref.data(), n, false);
      for (Index i = 0; i < m; ++i) ref.row(i) += init.row(i / group).head(n).cast<double>();
      if (epilogue == Epilogue::Relu) ref = ref.cwiseMax(0.0);
      for (int threads : {1, 2}) {
        const int before = num_threads();
        set_num_threads(threads);
        MatrixR<float> c = p.c0;
        gemm_init_rows<float>(Trans::No, Trans::Yes, m, n, k, p.a.data(), p.a.cols(), p.b.data(), p.b.cols(),
                              init.data(), n + 3, group, c.data(), n, epilogue);
        set_num_threads(before);
        INFO("m=" << m << " n=" << n << " k=" << k << " group=" << group << " threads=" << threads);
        REQUIRE((c.cast<double>() - ref).norm() <= 1e-6 * std::sqrt(double(k) + 1.0) * ref.norm());
      }
    }
}

TEST_CASE("gemm with k = 0 writes zeros or leaves C unchanged", "[gemm]") {
  Rng rng(71);
  Problem<float> p(4, 3, 0, Trans::No, Trans::No, rng);
  REQUIRE(p.run(false, false).isZero());
  REQUIRE(p.run(true, false) == p.c0);
}

TEST_CASE("gemm gives identical bits with 1 and 2 threads", "[gemm][threads]") {
  Rng rng(72);
  const int before = num_threads();
  // Shapes of the BCQ layers (batch 256 and the 2560-row target pass); big enough to split.
  for (auto [m, n, k, ta, tb] : {std::tuple<Index, Index, Index, Trans, Trans>{256, 750, 76, Trans::No, Trans::Yes},
                                 {2560, 750, 750, Trans::No, Trans::Yes},
                                 {256, 400, 300, Trans::No, Trans::No},
                                 {750, 750, 256, Trans::Yes, Trans::No},
                                 {40, 300, 1000, Trans::Yes, Trans::No},
                                 {2560, 1, 300, Trans::No, Trans::Yes},
                                 {5120, 24, 300, Trans::No, Trans::Yes},   // a head, split by rows
                                 {3000, 12, 750, Trans::Yes, Trans::No}}) {
    Problem<float> p(m, n, k, ta, tb, rng);
    set_num_threads(1);
    const MatrixR<float> one = p.run(true, false);
    set_num_threads(2);
    const MatrixR<float> two = p.run(true, false);
    INFO("m=" << m << " n=" << n << " k=" << k);
    REQUIRE(std::memcmp(one.data(), two.data(), sizeof(float) * one.size()) == 0);
    REQUIRE(one.isApprox(p.run(true, true), 1e-4f));
  }
  set_num_threads(before);
}

TEST_CASE("gemm allocates nothing once warm", "[gemm][alloc]") {
  MTF_SKIP_WITHOUT_ALLOCATION_COUNTING();
  Rng rng(73);
  for (auto [m, n, k] : {std::tuple<Index, Index, Index>{256, 750, 750}, {2560, 12, 300}}) {  // own, Eigen's
    Problem<float> p(m, n, k, Trans::No, Trans::Yes, rng);
    MatrixR<float> c(m, n);
    auto call = [&] { gemm(p.ta, p.tb, p.m, p.n, p.k, p.a.data(), p.a.cols(), p.b.data(), p.b.cols(), c.data(), p.n, false); };
    call();
    call();
    test::CountAllocations count;
    for (int i = 0; i < 5; ++i) call();
    REQUIRE(count.counts().heap == 0);
  }
}

// ------------------------------------------------------------------------------- op(B) packed once

namespace {
// Restores the kernel and the thread count a test case found.
struct KeepKernel {
  KernelIsa isa = active_kernel();
  int threads = num_threads();
  ~KeepKernel() {
    set_kernel(isa);
    set_num_threads(threads);
  }
};

std::vector<KernelIsa> supported_kernels() {
  std::vector<KernelIsa> out;
  for (KernelIsa isa : {KernelIsa::Avx512, KernelIsa::Avx2, KernelIsa::Generic})
    if (kernel_supported(isa)) out.push_back(isa);
  return out;
}

bool same_bits(const MatrixR<float>& x, const MatrixR<float>& y) {
  return x.rows() == y.rows() && x.cols() == y.cols() &&
         std::memcmp(x.data(), y.data(), sizeof(float) * std::size_t(x.size())) == 0;
}

// The three kinds of product, given op(B) unpacked (packed = nullptr) or packed: C += op(A) op(B),
// C = op(A) op(B) + bias through a ReLU, and C = repeat_rows(init, 10) + op(A) op(B).
struct Products {
  MatrixR<float> acc, bias, init;
};
Products run_products(const Problem<float>& p, const MatrixR<float>& bias, const MatrixR<float>& init,
                      const PackedB<float>* packed) {
  Products out{p.c0, p.c0, p.c0};
  const float* a = p.a.data();
  const Index lda = p.a.cols();
  if (packed) {
    gemm(p.ta, p.m, a, lda, *packed, out.acc.data(), p.n, true);
    gemm_bias(p.ta, p.m, a, lda, *packed, bias.data(), out.bias.data(), p.n, Epilogue::Relu);
    gemm_init_rows(p.ta, p.m, a, lda, *packed, init.data(), init.cols(), 10, out.init.data(), p.n);
  } else {
    gemm(p.ta, p.tb, p.m, p.n, p.k, a, lda, p.b.data(), p.b.cols(), out.acc.data(), p.n, true);
    gemm_bias(p.ta, p.tb, p.m, p.n, p.k, a, lda, p.b.data(), p.b.cols(), bias.data(), out.bias.data(), p.n,
              Epilogue::Relu);
    gemm_init_rows(p.ta, p.tb, p.m, p.n, p.k, a, lda, p.b.data(), p.b.cols(), init.data(), init.cols(), 10,
                   out.init.data(), p.n);
  }
  return out;
}
}  // namespace

// Packing op(B) once must change nothing but the packing: same kernel choice, same panels, same sums.
// Shapes: the serving products at one state (10 rows: BCQ's n proposals; 1 row: the state's part of a
// first layer), 7 and 8 rows (either side of the AVX-512 tile's threshold), the thin heads (1 and 12
// wide: Eigen's or the vector path, where the panels go unused), ragged tiles (17, 31, 33 columns; 13
// rows), k past one and two k-blocks (256 / 384 deep), a column block past AVX-512's 768, and a product
// large enough to split across threads.
TEST_CASE("gemm with op(B) packed gives the unpacked product's bits on every supported kernel", "[gemm][packed]") {
  KeepKernel keep;
  Rng rng(77);
  struct Shape {
    Index m, n, k;
  };
  const Shape shapes[] = {{10, 750, 24}, {10, 750, 750}, {10, 12, 750}, {10, 1, 300}, {1, 400, 64}, {7, 33, 257},
                          {8, 32, 1},    {13, 17, 385},  {12, 31, 384}, {25, 769, 390}, {130, 100, 800},
                          {41, 1, 37},   {2, 9, 4},      {1, 1, 5}};
  for (KernelIsa isa : supported_kernels()) {
    set_kernel(isa);
    for (Trans ta : {Trans::No, Trans::Yes})
      for (Trans tb : {Trans::No, Trans::Yes})
        for (const Shape& s : shapes) {
          const Problem<float> p(s.m, s.n, s.k, ta, tb, rng);
          const MatrixR<float> bias = test::normal_matrix<float>(1, s.n, rng);
          const MatrixR<float> init = test::normal_matrix<float>((s.m + 9) / 10, s.n + 3, rng);  // row stride n + 3
          const PackedB<float> packed(tb, s.k, s.n, p.b.data(), p.b.cols());
          INFO("kernel=" << kernel_name(isa) << " m=" << s.m << " n=" << s.n << " k=" << s.k << " ta=" << int(ta)
                         << " tb=" << int(tb));
          // Panels exactly where some product of op(B) takes the tiled kernel: an own kernel is active
          // and op(B) is at least a tile wide (never for a 1-wide one).
          const Index tile_width = isa == KernelIsa::Avx512 ? 32 : 16;
          if (isa == KernelIsa::Generic || s.n == 1) REQUIRE(packed.panels() == nullptr);
          if (isa != KernelIsa::Generic && s.n >= tile_width) {
            REQUIRE(packed.panels() != nullptr);
            REQUIRE(packed.isa() == isa);
            REQUIRE(reinterpret_cast<std::uintptr_t>(packed.panels()) % 64 == 0);
          }
          for (int threads : {1, 2}) {
            set_num_threads(threads);
            const Products want = run_products(p, bias, init, nullptr);
            const Products got = run_products(p, bias, init, &packed);
            INFO("threads=" << threads);
            REQUIRE(same_bits(got.acc, want.acc));
            REQUIRE(same_bits(got.bias, want.bias));
            REQUIRE(same_bits(got.init, want.init));
          }
        }
  }
}

TEST_CASE("a packed product reads the panels, and falls back to op(B) under another kernel", "[gemm][packed]") {
  KeepKernel keep;
  const std::vector<KernelIsa> kernels = supported_kernels();
  if (kernels.front() == KernelIsa::Generic) return;  // no own kernel on this CPU: nothing is packed
  set_kernel(kernels.front());
  Rng rng(78);
  const Problem<float> p(40, 70, 300, Trans::No, Trans::Yes, rng);  // the tiled kernel on both instruction sets
  const MatrixR<float> bias = test::normal_matrix<float>(1, p.n, rng);
  MatrixR<float> b = p.b;
  const PackedB<float> packed(Trans::Yes, p.k, p.n, b.data(), b.cols());
  MatrixR<float> want(p.m, p.n), got(p.m, p.n);
  gemm_bias(Trans::No, Trans::Yes, p.m, p.n, p.k, p.a.data(), p.k, b.data(), p.k, bias.data(), want.data(), p.n);
  // The contract says op(B) must not change once packed; here it does, to see what the product reads:
  // the panels on the kernel they were packed for, op(B) itself on any other.
  b.setZero();
  gemm_bias(Trans::No, p.m, p.a.data(), p.k, packed, bias.data(), got.data(), p.n);
  REQUIRE(same_bits(got, want));
  for (std::size_t i = 1; i < kernels.size(); ++i) {
    set_kernel(kernels[i]);
    INFO("kernel=" << kernel_name(kernels[i]));
    gemm_bias(Trans::No, p.m, p.a.data(), p.k, packed, bias.data(), got.data(), p.n);
    for (Index r = 0; r < p.m; ++r) REQUIRE(got.row(r) == bias.row(0));  // zero op(B): the bias alone
  }
}

TEST_CASE("a packed product allocates nothing once warm", "[gemm][packed][alloc]") {
  MTF_SKIP_WITHOUT_ALLOCATION_COUNTING();
  KeepKernel keep;
  Rng rng(79);
  for (auto [m, n, k] : {std::tuple<Index, Index, Index>{10, 750, 750}, {256, 400, 300}, {10, 12, 750}}) {
    const Problem<float> p(m, n, k, Trans::No, Trans::Yes, rng);
    const MatrixR<float> bias = test::normal_matrix<float>(1, n, rng);
    const PackedB<float> packed(Trans::Yes, k, n, p.b.data(), p.b.cols());
    MatrixR<float> c(m, n);
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      auto call = [&] { gemm_bias(Trans::No, p.m, p.a.data(), p.k, packed, bias.data(), c.data(), p.n); };
      call();
      INFO("m=" << p.m << " n=" << p.n << " k=" << p.k << " threads=" << threads);  // (allocates: before the count)
      test::CountAllocations count;
      for (int i = 0; i < 5; ++i) call();
      REQUIRE(count.counts().heap == 0);
    }
  }
}

TEST_CASE("double and empty operands: packing holds no panels and changes nothing", "[gemm][packed]") {
  Rng rng(80);
  const Problem<double> p(30, 40, 50, Trans::No, Trans::Yes, rng);
  const PackedB<double> packed(Trans::Yes, p.k, p.n, p.b.data(), p.b.cols());
  REQUIRE(packed.panels() == nullptr);
  REQUIRE(packed.bytes() == 0);
  MatrixR<double> want = p.c0, got = p.c0;
  gemm(Trans::No, Trans::Yes, p.m, p.n, p.k, p.a.data(), p.k, p.b.data(), p.k, want.data(), p.n, true);
  gemm(Trans::No, p.m, p.a.data(), p.k, packed, got.data(), p.n, true);
  REQUIRE(got == want);
  // k = 0: C = 0 (or left alone when accumulating), as the unpacked call.
  const Problem<float> e(4, 40, 0, Trans::No, Trans::Yes, rng);
  const PackedB<float> empty(Trans::Yes, 0, 40, e.b.data(), 1);
  REQUIRE(empty.panels() == nullptr);
  MatrixR<float> c = e.c0;
  gemm(Trans::No, e.m, e.a.data(), 1, empty, c.data(), e.n, false);
  REQUIRE(c.isZero());
}
