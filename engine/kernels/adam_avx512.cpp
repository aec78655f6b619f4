// engine/kernels/adam_avx512.cpp — Adam's float update with AVX-512 (engine/kernels/adam_kernels.hpp),
// compiled with -mavx512f -mfma. Only intrinsics: no Eigen, no standard-library template.
#include "engine/kernels/adam_kernels.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>

namespace mtf::avx512 {

void adam_update(std::ptrdiff_t b, std::ptrdiff_t e, float* p, const float* g, float* m, float* v, float step_size,
                 float inv_sqrt_bias2, float b1, float b2, float c1, float c2, float eps) {
  const __m512 vb1 = _mm512_set1_ps(b1), vb2 = _mm512_set1_ps(b2), vc1 = _mm512_set1_ps(c1), vc2 = _mm512_set1_ps(c2),
               veps = _mm512_set1_ps(eps), vstep = _mm512_set1_ps(step_size), vinv = _mm512_set1_ps(inv_sqrt_bias2);
  for (std::ptrdiff_t i = b; i < e; i += 16) {
    const __mmask16 k = e - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (e - i)) - 1u);
    const __m512 gi = _mm512_maskz_loadu_ps(k, g + i);
    const __m512 mi = _mm512_fmadd_ps(vb1, _mm512_maskz_loadu_ps(k, m + i), _mm512_mul_ps(vc1, gi));
    const __m512 vi = _mm512_fmadd_ps(vb2, _mm512_maskz_loadu_ps(k, v + i), _mm512_mul_ps(_mm512_mul_ps(vc2, gi), gi));
    const __m512 denom = _mm512_fmadd_ps(_mm512_sqrt_ps(vi), vinv, veps);
    const __m512 pi = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, p + i), _mm512_div_ps(_mm512_mul_ps(vstep, mi), denom));
    _mm512_mask_storeu_ps(m + i, k, mi);
    _mm512_mask_storeu_ps(v + i, k, vi);
    _mm512_mask_storeu_ps(p + i, k, pi);
  }
}

}  // namespace mtf::avx512

#else  // not compiled with AVX-512 (a non-x86 build): dispatch never picks this kernel

namespace mtf::avx512 {
void adam_update(std::ptrdiff_t, std::ptrdiff_t, float*, const float*, float*, float*, float, float, float, float, float,
                 float, float) {}
}  // namespace mtf::avx512

#endif
