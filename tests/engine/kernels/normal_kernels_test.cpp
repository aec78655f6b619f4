// tests/engine/kernels/normal_kernels_test.cpp — Box–Muller per instruction set (engine/kernels/
// normal_kernels.hpp): each kernel this CPU runs is within a few float ulp of the transform in double
// precision over u1 from 2^-24 to 1 and u2 across every quadrant boundary; the AVX-512 and AVX2 files give
// identical bits (one source, fused multiply-adds in the same order); and the kernel's normals agree with
// Rng::fill_normal's Eigen path for the same uniforms to the same tolerance.
#include "engine/kernels/normal_kernels.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/kernels/dispatch.hpp"
#include "engine/rng.hpp"

using namespace mtf;

namespace {

using Kernel = void (*)(std::ptrdiff_t, const float*, const float*, float*, float*);

struct Uniforms {
  std::vector<float> u1, u2;
};

// Every u1 decade down to 2^-24 (the largest |z|, 5.77) and u2 at and around the quadrant boundaries
// 0, 1/4, 1/2, 3/4 and 1 - 2^-24, then random pairs the way Rng::fill_normal draws them. n % 16 == 0.
Uniforms test_uniforms() {
  Uniforms u;
  const float u1_edges[] = {0x1.0p-24f, 0x1.0p-20f, 1e-4f, 0.01f, 0.2f, 0.5f, 0.70710677f, 0.70710683f, 0.9f,
                            1.0f - 0x1.0p-24f, 1.0f};
  const float u2_edges[] = {0.0f, 0x1.0p-24f, 0.125f, 0.25f - 0x1.0p-24f, 0.25f, 0.25f + 0x1.0p-24f, 0.375f,
                            0.5f - 0x1.0p-24f, 0.5f, 0.625f, 0.75f, 0.75f + 0x1.0p-24f, 0.875f, 1.0f - 0x1.0p-24f};
  for (float a : u1_edges)
    for (float b : u2_edges) u.u1.push_back(a), u.u2.push_back(b);
  Rng rng(11);
  while (u.u1.size() < 100000 || u.u1.size() % 16) {
    const std::uint64_t x = rng.next_u64();
    u.u1.push_back(float((x >> 40) + 1) * 0x1.0p-24f);
    u.u2.push_back(float((x >> 16) & 0xFFFFFFu) * 0x1.0p-24f);
  }
  return u;
}

// The largest |z - z_double| / max(1, |z_double|) over both outputs, in float epsilons.
double worst_error_eps(const Uniforms& u, const std::vector<float>& z0, const std::vector<float>& z1) {
  double worst = 0;
  for (std::size_t i = 0; i < u.u1.size(); ++i) {
    const double r = std::sqrt(-2.0 * std::log(double(u.u1[i])));
    const double theta = double(6.28318530718f * u.u2[i]);  // the float product both paths start from
    const double e0 = std::abs(z0[i] - r * std::cos(theta)) / std::max(1.0, std::abs(r * std::cos(theta)));
    const double e1 = std::abs(z1[i] - r * std::sin(theta)) / std::max(1.0, std::abs(r * std::sin(theta)));
    worst = std::max({worst, e0, e1});
  }
  return worst / double(0x1.0p-23f);
}

}  // namespace

TEST_CASE("Box-Muller kernels: within a few ulp of double precision, the same bits on AVX-512 and AVX2",
          "[kernels][normal]") {
  const Uniforms u = test_uniforms();
  const std::ptrdiff_t n = std::ptrdiff_t(u.u1.size());
  std::vector<std::vector<float>> outputs;
  for (auto [isa, kernel] : {std::pair<KernelIsa, Kernel>{KernelIsa::Avx512, &avx512::box_muller},
                             std::pair<KernelIsa, Kernel>{KernelIsa::Avx2, &avx2::box_muller}}) {
    if (!kernel_supported(isa)) {
      WARN("kernel " << kernel_name(isa) << " not supported here: not tested");
      continue;
    }
    std::vector<float> z0(std::size_t(n), NAN), z1(std::size_t(n), NAN);
    kernel(n, u.u1.data(), u.u2.data(), z0.data(), z1.data());
    const double worst = worst_error_eps(u, z0, z1);
    WARN(kernel_name(isa) << ": worst error " << worst << " float eps (relative to max(1, |z|))");
    REQUIRE(worst < 4.0);
    z0.insert(z0.end(), z1.begin(), z1.end());
    outputs.push_back(z0);
  }
  if (outputs.size() == 2) REQUIRE(std::memcmp(outputs[0].data(), outputs[1].data(), outputs[0].size() * sizeof(float)) == 0);
}

TEST_CASE("Box-Muller kernels agree with Rng::fill_normal's normals for the same uniforms", "[kernels][normal]") {
  const KernelIsa isa = best_kernel();
  if (isa == KernelIsa::Generic) {
    WARN("no vector kernel on this CPU: not tested");
    return;
  }
  // fill_normal draws one u64 per pair; replay the same draws into the kernel. 1,000 values: 4 chunks' worth
  // of pairs is not needed, one chunk of 256 pairs plus a ragged second.
  constexpr std::size_t kValues = 1000;
  Rng a(5), b(5);
  std::vector<float> expected(kValues);
  a.fill_normal(expected.data(), kValues);
  std::vector<float> u1, u2;
  for (std::size_t i = 0; i < kValues / 2; ++i) {
    const std::uint64_t x = b.next_u64();
    u1.push_back(float((x >> 40) + 1) * 0x1.0p-24f);
    u2.push_back(float((x >> 16) & 0xFFFFFFu) * 0x1.0p-24f);
  }
  while (u1.size() % 16) u1.push_back(1.0f), u2.push_back(0.0f);
  std::vector<float> z0(u1.size()), z1(u1.size());
  (isa == KernelIsa::Avx512 ? &avx512::box_muller : &avx2::box_muller)(std::ptrdiff_t(u1.size()), u1.data(), u2.data(),
                                                                        z0.data(), z1.data());
  double worst = 0;
  for (std::size_t i = 0; i < kValues / 2; ++i) {
    worst = std::max(worst, std::abs(double(z0[i]) - expected[2 * i]) / std::max(1.0, std::abs(double(expected[2 * i]))));
    worst = std::max(worst, std::abs(double(z1[i]) - expected[2 * i + 1]) / std::max(1.0, std::abs(double(expected[2 * i + 1]))));
  }
  WARN("kernel " << kernel_name(isa) << " vs fill_normal: worst " << worst / double(0x1.0p-23f) << " float eps");
  REQUIRE(worst < 8 * double(0x1.0p-23f));
}
