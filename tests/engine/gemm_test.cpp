// tests/engine/gemm_test.cpp — the engine's GEMM against the naive triple loop for all transposition
// cases, accumulate vs overwrite, threaded splits, identical bits for 1 and 2 threads, and no heap
// allocation once its buffers are warm.
#include "engine/gemm.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

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
