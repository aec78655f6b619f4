// bench/peak_flops.cpp — the machine's fp32 arithmetic peak, measured with an FMA loop.
//
// Each thread runs kChains independent accumulator chains of fused multiply-adds on full vector registers
// (zmm with -march=native on an AVX-512 machine, ymm with AVX2+FMA, else scalar), enough chains to cover the
// FMA latency times the number of FMA pipes, so the loop is throughput-bound. One FMA on W float lanes is
// 2 W FLOP. Reports GFLOP/s for 1 and 2 threads (best of several timed runs) and the per-core figure.
// Output, one line each, parsed by bench/compare_peer.sh:
//   peak threads=1 gflops=X isa=avx512 ...
//   peak threads=2 gflops=Y ...
//   peak_per_core gflops=Z
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

constexpr int kChains = 12;
constexpr long kInner = 1000;

#if defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16;
const char* const kIsa = "avx512";
inline Vec vset(float x) { return _mm512_set1_ps(x); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline float vsum(Vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8;
const char* const kIsa = "avx2+fma";
inline Vec vset(float x) { return _mm256_set1_ps(x); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline float vsum(Vec v) {
  alignas(32) float t[8];
  _mm256_store_ps(t, v);
  float s = 0;
  for (float x : t) s += x;
  return s;
}
#else
using Vec = float;
constexpr int kLanes = 1;
const char* const kIsa = "scalar";
inline Vec vset(float x) { return x; }
inline Vec vfma(Vec a, Vec b, Vec c) { return a * b + c; }
inline float vsum(Vec v) { return v; }
#endif

// outer * kInner * kChains FMAs on kLanes lanes; returns a value depending on all chains.
__attribute__((noinline)) float fma_loop(long outer, float seed) {
  Vec acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = vset(seed + 0.001f * float(i));
  const Vec mul = vset(0.999999f), add = vset(1e-7f);
  for (long o = 0; o < outer; ++o) {
    for (long i = 0; i < kInner; ++i) {
#pragma GCC unroll 12
      for (int c = 0; c < kChains; ++c) acc[c] = vfma(acc[c], mul, add);
    }
    __asm__ volatile("" ::: "memory");
  }
  float s = 0;
  for (int c = 0; c < kChains; ++c) s += vsum(acc[c]);
  return s;
}

double flops_per_outer() { return 2.0 * kLanes * kChains * double(kInner); }

// GFLOP/s of `threads` threads each running the loop for ~seconds.
double measure(int threads, long outer) {
  std::vector<std::thread> pool;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<double> secs(threads);
  std::vector<float> sink(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load()) {
      }
      const auto t0 = std::chrono::steady_clock::now();
      sink[t] = fma_loop(outer, 1.0f + float(t));
      secs[t] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    });
  }
  while (ready.load() < threads) {
  }
  go.store(true);
  for (auto& th : pool) th.join();
  const double wall = *std::max_element(secs.begin(), secs.end());
  if (sink[0] == 12345.0f) std::printf(" ");
  return double(threads) * double(outer) * flops_per_outer() / wall * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 0.5;  // per timed run
  const int repeats = 5;
  // Calibrate: outer iterations for ~`seconds` on one thread.
  long outer = 100;
  for (;;) {
    const auto t0 = std::chrono::steady_clock::now();
    volatile float s = fma_loop(outer, 1.0f);
    (void)s;
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (dt > 0.05) {
      outer = std::max(1L, long(double(outer) * seconds / dt));
      break;
    }
    outer *= 4;
  }
  double per_core = 0;
  for (int threads : {1, 2}) {
    double best = 0;
    for (int r = 0; r < repeats; ++r) best = std::max(best, measure(threads, outer));
    std::printf("peak threads=%d gflops=%.1f isa=%s lanes=%d chains=%d (best of %d runs of ~%.2f s)\n", threads,
                best, kIsa, kLanes, kChains, repeats, seconds);
    if (threads == 1) per_core = best;
  }
  std::printf("peak_per_core gflops=%.1f\n", per_core);
  return 0;
}
