// engine/kernels/normal_avx512.cpp — Box–Muller with AVX-512 (engine/kernels/normal_kernels.hpp), compiled
// with -mavx512f -mfma. Only intrinsics and static functions: no Eigen, no standard-library template.
#include "engine/kernels/normal_kernels.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>

namespace mtf::avx512 {
namespace {

using V = __m512;
using VI = __m512i;
using M = __mmask16;
constexpr std::ptrdiff_t kLanes = 16;
inline V load(const float* p) { return _mm512_loadu_ps(p); }
inline void store(float* p, V v) { _mm512_storeu_ps(p, v); }
inline V set1(float f) { return _mm512_set1_ps(f); }
inline V add(V a, V b) { return _mm512_add_ps(a, b); }
inline V sub(V a, V b) { return _mm512_sub_ps(a, b); }
inline V mul(V a, V b) { return _mm512_mul_ps(a, b); }
inline V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
inline V sqrt_v(V a) { return _mm512_sqrt_ps(a); }
inline V neg(V a) { return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32(int(0x80000000u)))); }
inline V round_nearest(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline VI to_int(V a) { return _mm512_cvttps_epi32(a); }
inline VI bits(V a) { return _mm512_castps_si512(a); }
inline V from_bits(VI a) { return _mm512_castsi512_ps(a); }
inline VI and_i(VI a, VI b) { return _mm512_and_si512(a, b); }
inline VI or_i(VI a, VI b) { return _mm512_or_si512(a, b); }
inline VI srl_i(VI a, unsigned n) { return _mm512_srli_epi32(a, n); }
inline VI add_i(VI a, VI b) { return _mm512_add_epi32(a, b); }
inline VI sub_i(VI a, VI b) { return _mm512_sub_epi32(a, b); }
inline VI set1_i(int i) { return _mm512_set1_epi32(i); }
inline V int_to_float(VI a) { return _mm512_cvtepi32_ps(a); }
inline M less(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
inline V select(M m, V a, V b) { return _mm512_mask_blend_ps(m, b, a); }
inline M lane_bit(VI a, int b) { return _mm512_test_epi32_mask(a, _mm512_set1_epi32(1 << b)); }

#include "engine/kernels/box_muller.inc"

}  // namespace

void box_muller(std::ptrdiff_t n, const float* u1, const float* u2, float* z0, float* z1) {
  box_muller_impl(n, u1, u2, z0, z1);
}

}  // namespace mtf::avx512

#else  // not compiled with AVX-512 (a non-x86 build): dispatch never picks this kernel

namespace mtf::avx512 {
void box_muller(std::ptrdiff_t, const float*, const float*, float*, float*) {}
}  // namespace mtf::avx512

#endif
