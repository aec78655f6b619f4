#include "engine/rng.hpp"

#include "engine/checksum.hpp"
#include "engine/kernels/dispatch.hpp"
#include "engine/kernels/normal_kernels.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

namespace mtf {

namespace {

using NormalKernel = void (*)(std::ptrdiff_t, const float*, const float*, float*, float*);

// Eigen's log/sin/cos run as wide as the library was compiled for (16 lanes native on AVX-512, 4 in a
// portable x86-64-v2 build); the per-instruction-set kernel takes over only where the active kernel is
// wider, so a native build keeps Eigen's arithmetic and its bits.
NormalKernel normal_kernel() {
#if defined(__AVX512F__)
  constexpr int eigen_lanes = 16;
#elif defined(__AVX__)
  constexpr int eigen_lanes = 8;
#else
  constexpr int eigen_lanes = 4;
#endif
  switch (active_kernel()) {
    case KernelIsa::Avx512: return eigen_lanes < 16 ? &avx512::box_muller : nullptr;
    case KernelIsa::Avx2: return eigen_lanes < 8 ? &avx2::box_muller : nullptr;
    case KernelIsa::Generic: return nullptr;
  }
  return nullptr;
}

}  // namespace

std::uint64_t mix_seed(std::uint64_t base, std::uint64_t index) {
  std::uint64_t z = base + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint64_t mix_seed(std::uint64_t base, std::string_view purpose) {
  return mix_seed(base, fnv1a64(purpose));
}

namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

void Rng::reseed(std::uint64_t seed) {
  std::uint64_t x = seed;
  for (auto& w : s_) w = splitmix64(x);
  has_cached_normal_ = false;
  cached_normal_ = 0.0;
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  if (has_cached_normal_) {
    has_cached_normal_ = false;
    return cached_normal_;
  }
  // Box–Muller; u1 in (0, 1] so log(u1) is finite.
  const double u1 = 1.0 - uniform();
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 6.283185307179586476925 * u2;
  cached_normal_ = r * std::sin(theta);
  has_cached_normal_ = true;
  return r * std::cos(theta);
}

void Rng::fill_normal(float* out, std::size_t n) {
  constexpr int kChunk = 256;  // pairs per chunk: fixed-size arrays on the stack, no heap
  // u1 and u2 sized for the kernel's padding too (a multiple of its 16 lanes past `pairs`).
  Eigen::Array<float, kChunk, 1> u1, u2;
  const NormalKernel kernel = normal_kernel();
  std::size_t done = 0;
  while (done < n) {
    const std::size_t pairs = std::min<std::size_t>(kChunk, (n - done + 1) / 2);
    for (std::size_t i = 0; i < pairs; ++i) {
      const std::uint64_t x = next_u64();
      u1[Eigen::Index(i)] = float((x >> 40) + 1) * 0x1.0p-24f;          // (0, 1]: log is finite
      u2[Eigen::Index(i)] = float((x >> 16) & 0xFFFFFFu) * 0x1.0p-24f;  // [0, 1)
    }
    auto emit = [&](const float* z0, const float* z1) {
      for (std::size_t i = 0; i < pairs && done < n; ++i) {
        out[done++] = z0[i];
        if (done < n) out[done++] = z1[i];
      }
    };
    if (kernel) {  // the same uniforms through the per-instruction-set transform
      const std::size_t padded = (pairs + 15) / 16 * 16;
      for (std::size_t i = pairs; i < padded; ++i) u1[Eigen::Index(i)] = 1.0f, u2[Eigen::Index(i)] = 0.0f;
      alignas(64) float z0[kChunk], z1[kChunk];
      kernel(std::ptrdiff_t(padded), u1.data(), u2.data(), z0, z1);
      emit(z0, z1);
    } else {
      const auto r = (-2.0f * u1.head(Eigen::Index(pairs)).log()).sqrt();
      const auto theta = 6.28318530718f * u2.head(Eigen::Index(pairs));
      const Eigen::Array<float, Eigen::Dynamic, 1, 0, kChunk, 1> z0 = r * theta.cos(), z1 = r * theta.sin();
      emit(z0.data(), z1.data());
    }
  }
}

std::uint64_t Rng::below(std::uint64_t n) {
  // Lemire's nearly-divisionless method on the high 64 bits of a 128-bit product.
  unsigned __int128 m = static_cast<unsigned __int128>(next_u64()) * n;
  std::uint64_t low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(next_u64()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

}  // namespace mtf
