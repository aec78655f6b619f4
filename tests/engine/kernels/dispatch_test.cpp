// tests/engine/kernels/dispatch_test.cpp — the run-time choice of the engine's kernels: what this CPU
// supports is what dispatch offers, each supported path (forced with set_kernel) computes every kind of
// GEMM within float rounding of a double reference at the tile and block edges of both tile sizes, gives
// the same bits at 1 and 2 threads and allocates nothing once warm; the paths really are different code;
// Adam's vector kernels agree bit for bit; bad names are refused with a clear message.
#include "engine/kernels/dispatch.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "engine/adam.hpp"
#include "engine/gemm.hpp"
#include "engine/parameters.hpp"
#include "engine/threads.hpp"
#include "tests/support/alloc_counter.hpp"
#include "tests/support/random.hpp"

using namespace mtf;
using Catch::Matchers::Contains;

namespace {

const KernelIsa kAll[] = {KernelIsa::Avx512, KernelIsa::Avx2, KernelIsa::Generic};

std::vector<KernelIsa> supported() {
  std::vector<KernelIsa> out;
  for (KernelIsa isa : kAll)
    if (kernel_supported(isa)) out.push_back(isa);
  return out;
}

// Restores the kernel (and the thread count) a test case found.
struct KeepKernel {
  KernelIsa isa = active_kernel();
  int threads = num_threads();
  ~KeepKernel() {
    set_kernel(isa);
    set_num_threads(threads);
  }
};

// Shapes at the edges of both tile sizes (AVX-512 12 x 32, AVX2 6 x 16), of the k-blocks (384 and 256
// deep) and of the column blocks (768 and 512 wide), the 1-wide products and the thin heads.
struct Shape {
  Index m, n, k;
};
const Shape kShapes[] = {{12, 32, 1}, {6, 16, 3},  {5, 15, 7},    {7, 17, 256},  {13, 33, 257}, {25, 47, 384},
                         {50, 100, 385}, {37, 800, 300}, {11, 520, 30}, {41, 1, 37},  {1, 70, 20},   {1, 1, 5},
                         {200, 12, 300}, {130, 24, 20}, {2, 9, 4}};

// op(A) (m x k) and op(B) (k x n) stored under the transpositions, and the double reference.
MatrixR<double> reference(Trans ta, Trans tb, const Shape& s, const MatrixR<float>& a, const MatrixR<float>& b,
                          const MatrixR<double>& c0, bool accumulate) {
  MatrixR<double> ref = c0;
  const MatrixR<double> ad = a.cast<double>(), bd = b.cast<double>();
  gemm_naive<double>(ta, tb, s.m, s.n, s.k, ad.data(), ad.cols(), bd.data(), bd.cols(), ref.data(), s.n, accumulate);
  return ref;
}

}  // namespace

TEST_CASE("dispatch offers exactly the kernels this CPU supports and picks the widest", "[kernels]") {
  REQUIRE(kernel_supported(KernelIsa::Generic));
#if defined(__x86_64__)
  // A portable build carries both own kernels, so what decides is the CPU alone (lscpu's flags).
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  CHECK(kernel_supported(KernelIsa::Avx512) == avx512);
  CHECK(kernel_supported(KernelIsa::Avx2) == avx2);
  REQUIRE(best_kernel() == (avx512 ? KernelIsa::Avx512 : avx2 ? KernelIsa::Avx2 : KernelIsa::Generic));
#endif
  REQUIRE(kernel_from_name("auto") == best_kernel());
  REQUIRE(kernel_from_name("") == best_kernel());
  REQUIRE(kernel_from_name("generic") == KernelIsa::Generic);
  REQUIRE(std::string(kernel_name(KernelIsa::Avx512)) == "avx512");
  REQUIRE(std::string(kernel_name(KernelIsa::Avx2)) == "avx2");
  REQUIRE(std::string(kernel_name(KernelIsa::Generic)) == "generic");
  // Unless MTF_KERNEL says otherwise (the ctest run does not set it), the widest runs.
  if (!std::getenv("MTF_KERNEL")) REQUIRE(active_kernel() == best_kernel());
  WARN("kernels: " << kernel_summary());
}

TEST_CASE("a bad kernel name is refused naming the variable and the choices", "[kernels]") {
  REQUIRE_THROWS_AS(kernel_from_name("sse9", "MTF_KERNEL"), std::invalid_argument);
  REQUIRE_THROWS_WITH(kernel_from_name("sse9", "MTF_KERNEL"),
                      "MTF_KERNEL: unknown kernel 'sse9' (expected avx512, avx2, generic or auto)");
  REQUIRE_THROWS_WITH(kernel_from_name("AVX2"), Contains("unknown kernel 'AVX2'"));
  for (KernelIsa isa : kAll)
    if (!kernel_supported(isa)) {  // only on a CPU without it
      REQUIRE_THROWS_WITH(kernel_from_name(kernel_name(isa), "MTF_KERNEL"), Contains("this CPU does not support it"));
      REQUIRE_THROWS_AS(set_kernel(isa), std::runtime_error);
    }
}

TEST_CASE("set_kernel switches the path every float gemm takes", "[kernels]") {
  KeepKernel keep;
  for (KernelIsa isa : supported()) {
    set_kernel(isa);
    REQUIRE(active_kernel() == isa);
  }
}

TEST_CASE("every supported kernel matches a double reference at tile and block edges", "[kernels][gemm]") {
  KeepKernel keep;
  Rng rng(140);
  for (KernelIsa isa : supported()) {
    set_kernel(isa);
    for (Trans ta : {Trans::No, Trans::Yes})
      for (Trans tb : {Trans::No, Trans::Yes})
        for (const Shape& s : kShapes) {
          const MatrixR<float> a = test::normal_matrix<float>(ta == Trans::No ? s.m : s.k, ta == Trans::No ? s.k : s.m, rng);
          const MatrixR<float> b = test::normal_matrix<float>(tb == Trans::No ? s.k : s.n, tb == Trans::No ? s.n : s.k, rng);
          const MatrixR<float> c0 = test::normal_matrix<float>(s.m, s.n, rng);
          const MatrixR<float> bias = test::normal_matrix<float>(1, s.n, rng);
          // float rounding over k terms of unit-variance products: ~sqrt(k) * 6e-8 relative per element
          const double tol = 1e-6 * std::sqrt(double(s.k) + 1.0);
          INFO("kernel=" << kernel_name(isa) << " m=" << s.m << " n=" << s.n << " k=" << s.k << " ta=" << int(ta)
                         << " tb=" << int(tb));
          for (bool acc : {false, true}) {
            const MatrixR<double> ref = reference(ta, tb, s, a, b, c0.cast<double>(), acc);
            MatrixR<float> c = c0;
            gemm<float>(ta, tb, s.m, s.n, s.k, a.data(), a.cols(), b.data(), b.cols(), c.data(), s.n, acc);
            INFO("accumulate=" << acc);
            REQUIRE((c.cast<double>() - ref).norm() <= tol * ref.norm());
          }
          // Overwriting with the bias row, through the ReLU (the fused linear layer's forward).
          MatrixR<double> ref = reference(ta, tb, s, a, b, MatrixR<double>::Zero(s.m, s.n), false);
          ref.rowwise() += bias.cast<double>().row(0);
          ref = ref.cwiseMax(0.0);
          MatrixR<float> c = c0;
          gemm_bias<float>(ta, tb, s.m, s.n, s.k, a.data(), a.cols(), b.data(), b.cols(), bias.data(), c.data(), s.n,
                           Epilogue::Relu);
          REQUIRE((c.cast<double>() - ref).norm() <= tol * ref.norm());
          REQUIRE(c.minCoeff() >= 0.0f);                       // no tiny negatives
          if (s.m * s.n >= 16) REQUIRE(c.minCoeff() == 0.0f);  // and exact zeros (about half the values)
        }
  }
}

TEST_CASE("every supported kernel starts rows from the init matrix by group", "[kernels][gemm]") {
  KeepKernel keep;
  Rng rng(141);
  for (KernelIsa isa : supported()) {
    set_kernel(isa);
    // group 10 divides neither tile height; n = 1 takes the vector path; 2560 x 400 splits across threads.
    for (const Shape& s : {Shape{50, 40, 24}, Shape{30, 1, 20}, Shape{2560, 400, 12}, Shape{23, 17, 300}}) {
      const Index group = 10, groups = (s.m + group - 1) / group;
      const MatrixR<float> a = test::normal_matrix<float>(s.m, s.k, rng);
      const MatrixR<float> b = test::normal_matrix<float>(s.n, s.k, rng);
      const MatrixR<float> init = test::normal_matrix<float>(groups, s.n + 3, rng);  // row stride n + 3
      MatrixR<double> ref = reference(Trans::No, Trans::Yes, s, a, b, MatrixR<double>::Zero(s.m, s.n), false);
      for (Index i = 0; i < s.m; ++i) ref.row(i) += init.row(i / group).head(s.n).cast<double>();
      MatrixR<float> c(s.m, s.n);
      gemm_init_rows<float>(Trans::No, Trans::Yes, s.m, s.n, s.k, a.data(), a.cols(), b.data(), b.cols(), init.data(),
                            s.n + 3, group, c.data(), s.n);
      INFO("kernel=" << kernel_name(isa) << " m=" << s.m << " n=" << s.n << " k=" << s.k);
      REQUIRE((c.cast<double>() - ref).norm() <= 1e-6 * std::sqrt(double(s.k) + 1.0) * ref.norm());
    }
  }
}

TEST_CASE("every supported kernel gives identical bits with 1 and 2 threads and allocates nothing warm",
          "[kernels][gemm][threads]") {
  KeepKernel keep;
  Rng rng(142);
  struct Big {
    Shape s;
    Trans ta, tb;
  };
  // The BCQ layer shapes, big enough to split across threads: forward, input and weight gradients, a head.
  const Big bigs[] = {{{2560, 750, 750}, Trans::No, Trans::Yes},
                      {{256, 400, 300}, Trans::No, Trans::No},
                      {{750, 750, 256}, Trans::Yes, Trans::No},
                      {{2560, 1, 300}, Trans::No, Trans::Yes},
                      {{5120, 24, 300}, Trans::No, Trans::Yes}};
  for (KernelIsa isa : supported()) {
    set_kernel(isa);
    for (const Big& g : bigs) {
      const Shape& s = g.s;
      const MatrixR<float> a = test::normal_matrix<float>(g.ta == Trans::No ? s.m : s.k, g.ta == Trans::No ? s.k : s.m, rng);
      const MatrixR<float> b = test::normal_matrix<float>(g.tb == Trans::No ? s.k : s.n, g.tb == Trans::No ? s.n : s.k, rng);
      MatrixR<float> one(s.m, s.n), two(s.m, s.n);
      auto run = [&](MatrixR<float>& c) {
        gemm<float>(g.ta, g.tb, s.m, s.n, s.k, a.data(), a.cols(), b.data(), b.cols(), c.data(), s.n, false);
      };
      set_num_threads(1);
      run(one);
      set_num_threads(2);
      run(two);
      INFO("kernel=" << kernel_name(isa) << " m=" << s.m << " n=" << s.n << " k=" << s.k);
      REQUIRE(std::memcmp(one.data(), two.data(), sizeof(float) * std::size_t(one.size())) == 0);
      run(two);
      test::CountAllocations count;
      for (int i = 0; i < 3; ++i) run(two);
      MTF_CHECK_NO_HEAP_ALLOCATIONS(count);
    }
  }
}

TEST_CASE("the kernels are different code: their float results differ in the last bits", "[kernels]") {
  KeepKernel keep;
  const std::vector<KernelIsa> paths = supported();
  if (paths.size() < 2) return;  // nothing to compare on this CPU
  Rng rng(143);
  const Index m = 48, n = 64, k = 1000;
  const MatrixR<float> a = test::normal_matrix<float>(m, k, rng), b = test::normal_matrix<float>(k, n, rng);
  std::vector<MatrixR<float>> results;
  for (KernelIsa isa : paths) {
    set_kernel(isa);
    MatrixR<float> c(m, n);
    gemm<float>(Trans::No, Trans::No, m, n, k, a.data(), k, b.data(), n, c.data(), n, false);
    results.push_back(c);
  }
  // Different summation orders (tile widths, k-block depths, Eigen's kernel): were two paths bit-identical on
  // 3,072 sums of 1,000 terms, set_kernel would not be switching anything.
  for (std::size_t i = 0; i < results.size(); ++i)
    for (std::size_t j = i + 1; j < results.size(); ++j) {
      INFO(kernel_name(paths[i]) << " vs " << kernel_name(paths[j]));
      REQUIRE(std::memcmp(results[i].data(), results[j].data(), sizeof(float) * std::size_t(m * n)) != 0);
      REQUIRE(results[i].isApprox(results[j], 1e-5f));
    }
}

TEST_CASE("every supported kernel runs Adam: the vector ones bit-identical, all within rounding of double",
          "[kernels][adam]") {
  KeepKernel keep;
  Rng rng(144);
  const Index rows = 37, cols = 29;  // 1,073 values: a masked tail for 16 and 8 lanes
  const MatrixR<float> init = test::normal_matrix<float>(rows, cols, rng);
  std::vector<MatrixR<float>> grads;
  for (int s = 0; s < 3; ++s) grads.push_back(test::normal_matrix<float>(rows, cols, rng, 0.1));
  const AdamConfig config{0.01, 0.9, 0.999, 1e-8};
  // torch.optim.Adam's expression in double, three steps on the same gradients.
  std::vector<double> p(init.data(), init.data() + init.size()), m(p.size(), 0.0), v(p.size(), 0.0);
  for (int s = 0; s < 3; ++s)
    for (std::size_t i = 0; i < p.size(); ++i) {
      const double g = grads[std::size_t(s)].data()[i];
      m[i] = config.beta1 * m[i] + (1 - config.beta1) * g;
      v[i] = config.beta2 * v[i] + (1 - config.beta2) * g * g;
      const double bias1 = 1 - std::pow(config.beta1, s + 1), bias2 = 1 - std::pow(config.beta2, s + 1);
      p[i] -= config.lr / bias1 * m[i] / (std::sqrt(v[i]) / std::sqrt(bias2) + config.eps);
    }
  std::vector<std::vector<float>> results;
  for (KernelIsa isa : supported()) {
    set_kernel(isa);
    Parameters<float> params;
    params.add("w", rows, cols);
    std::copy(init.data(), init.data() + init.size(), params.values());
    Adam<float> adam(params.size(), config);
    for (int s = 0; s < 3; ++s) {
      std::copy(grads[std::size_t(s)].data(), grads[std::size_t(s)].data() + init.size(), params.grads());
      adam.step(params);
    }
    double worst = 0;
    for (std::size_t i = 0; i < p.size(); ++i) worst = std::max(worst, std::abs(double(params.values()[i]) - p[i]));
    INFO("kernel=" << kernel_name(isa) << " worst |p - p_double| = " << worst);
    REQUIRE(worst < 1e-6);
    if (isa != KernelIsa::Generic) results.emplace_back(params.values(), params.values() + params.size());
  }
  for (std::size_t i = 1; i < results.size(); ++i) REQUIRE(results[i] == results[0]);  // avx512 == avx2
}
