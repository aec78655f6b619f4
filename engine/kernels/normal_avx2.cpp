// engine/kernels/normal_avx2.cpp — Box–Muller with AVX2 + FMA (engine/kernels/normal_kernels.hpp), compiled
// with -mavx2 -mfma. Only intrinsics and static functions: no Eigen, no standard-library template.
#include "engine/kernels/normal_kernels.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace mtf::avx2 {
namespace {

using V = __m256;
using VI = __m256i;
using M = __m256;  // a lane mask: all bits set or clear
constexpr std::ptrdiff_t kLanes = 8;
inline V load(const float* p) { return _mm256_loadu_ps(p); }
inline void store(float* p, V v) { _mm256_storeu_ps(p, v); }
inline V set1(float f) { return _mm256_set1_ps(f); }
inline V add(V a, V b) { return _mm256_add_ps(a, b); }
inline V sub(V a, V b) { return _mm256_sub_ps(a, b); }
inline V mul(V a, V b) { return _mm256_mul_ps(a, b); }
inline V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
inline V sqrt_v(V a) { return _mm256_sqrt_ps(a); }
inline V neg(V a) { return _mm256_xor_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(int(0x80000000u)))); }
inline V round_nearest(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline VI to_int(V a) { return _mm256_cvttps_epi32(a); }
inline VI bits(V a) { return _mm256_castps_si256(a); }
inline V from_bits(VI a) { return _mm256_castsi256_ps(a); }
inline VI and_i(VI a, VI b) { return _mm256_and_si256(a, b); }
inline VI or_i(VI a, VI b) { return _mm256_or_si256(a, b); }
inline VI srl_i(VI a, int n) { return _mm256_srli_epi32(a, n); }
inline VI add_i(VI a, VI b) { return _mm256_add_epi32(a, b); }
inline VI sub_i(VI a, VI b) { return _mm256_sub_epi32(a, b); }
inline VI set1_i(int i) { return _mm256_set1_epi32(i); }
inline V int_to_float(VI a) { return _mm256_cvtepi32_ps(a); }
inline M less(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
inline V select(M m, V a, V b) { return _mm256_blendv_ps(b, a, m); }
inline M lane_bit(VI a, int b) {
  const VI bit = _mm256_set1_epi32(1 << b);
  return _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(a, bit), bit));
}

#include "engine/kernels/box_muller.inc"

}  // namespace

void box_muller(std::ptrdiff_t n, const float* u1, const float* u2, float* z0, float* z1) {
  box_muller_impl(n, u1, u2, z0, z1);
}

}  // namespace mtf::avx2

#else  // not compiled with AVX2 + FMA (a non-x86 build): dispatch never picks this kernel

namespace mtf::avx2 {
void box_muller(std::ptrdiff_t, const float*, const float*, float*, float*) {}
}  // namespace mtf::avx2

#endif
