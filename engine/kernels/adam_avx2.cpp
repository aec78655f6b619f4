// engine/kernels/adam_avx2.cpp — Adam's float update with AVX2 + FMA (engine/kernels/adam_kernels.hpp),
// compiled with -mavx2 -mfma: the same operations as the AVX-512 file, 8 lanes at a time. Only
// intrinsics: no Eigen, no standard-library template.
#include "engine/kernels/adam_kernels.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace mtf::avx2 {

namespace {
alignas(64) const int kLaneMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
}

void adam_update(std::ptrdiff_t b, std::ptrdiff_t e, float* p, const float* g, float* m, float* v, float step_size,
                 float inv_sqrt_bias2, float b1, float b2, float c1, float c2, float eps) {
  const __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2), vc1 = _mm256_set1_ps(c1), vc2 = _mm256_set1_ps(c2),
               veps = _mm256_set1_ps(eps), vstep = _mm256_set1_ps(step_size), vinv = _mm256_set1_ps(inv_sqrt_bias2);
  for (std::ptrdiff_t i = b; i < e; i += 8) {
    const std::ptrdiff_t w = e - i >= 8 ? 8 : e - i;
    const __m256i k = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kLaneMask + 8 - w));
    const __m256 gi = _mm256_maskload_ps(g + i, k);
    const __m256 mi = _mm256_fmadd_ps(vb1, _mm256_maskload_ps(m + i, k), _mm256_mul_ps(vc1, gi));
    const __m256 vi = _mm256_fmadd_ps(vb2, _mm256_maskload_ps(v + i, k), _mm256_mul_ps(_mm256_mul_ps(vc2, gi), gi));
    const __m256 denom = _mm256_fmadd_ps(_mm256_sqrt_ps(vi), vinv, veps);
    const __m256 pi = _mm256_sub_ps(_mm256_maskload_ps(p + i, k), _mm256_div_ps(_mm256_mul_ps(vstep, mi), denom));
    _mm256_maskstore_ps(m + i, k, mi);
    _mm256_maskstore_ps(v + i, k, vi);
    _mm256_maskstore_ps(p + i, k, pi);
  }
}

}  // namespace mtf::avx2

#else  // not compiled with AVX2 + FMA (a non-x86 build): dispatch never picks this kernel

namespace mtf::avx2 {
void adam_update(std::ptrdiff_t, std::ptrdiff_t, float*, const float*, float*, float*, float, float, float, float, float,
                 float, float) {}
}  // namespace mtf::avx2

#endif
