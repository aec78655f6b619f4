#include "engine/gemm_avx512.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cstring>

namespace mtf::avx512 {

#if defined(__AVX512F__)

bool available() { return true; }

namespace {

// ------------------------------------------------------------------------------------------- packing

// op(B)[p0 .. p0+kc, j0 .. j0+nc] -> ceil(nc / kNr) micro-panels, each (kc x kNr) row by row, columns
// past nc zero so the kernel can always run full width.
void pack_b(bool trans_b, Index kc, Index nc, const float* b, Index ldb, Index p0, Index j0, float* out) {
  for (Index jr = 0; jr < nc; jr += kNr) {
    const Index w = std::min(kNr, nc - jr);
    float* panel = out + jr * kc;
    if (!trans_b) {
      // op(B) = B (k x n): row p of the panel is a contiguous slice of B's row p.
      for (Index p = 0; p < kc; ++p) {
        const float* src = b + (p0 + p) * ldb + j0 + jr;
        float* dst = panel + p * kNr;
        if (w == kNr) {
          for (Index v = 0; v < kNr; v += 16) _mm512_store_ps(dst + v, _mm512_loadu_ps(src + v));
        } else {
          std::memcpy(dst, src, sizeof(float) * std::size_t(w));
          std::fill(dst + w, dst + kNr, 0.0f);
        }
      }
    } else {
      // op(B) = B^T with B stored (n x k): column j of the panel is a contiguous slice of B's row j.
      // Each of the w source rows is read sequentially; the panel is written row by row.
      for (Index p = 0; p < kc; ++p) {
        float* dst = panel + p * kNr;
        const float* src = b + (j0 + jr) * ldb + p0 + p;
        Index j = 0;
        for (; j < w; ++j) dst[j] = src[j * ldb];
        for (; j < kNr; ++j) dst[j] = 0.0f;
      }
    }
  }
}

// op(A)[i0 .. i0+mr, p0 .. p0+kc] -> one (kc x kMr) micro-panel, column by column (k-major), rows
// past mr zero.
void pack_a(bool trans_a, Index mr, Index kc, const float* a, Index lda, Index i0, Index p0, float* out) {
  if (trans_a) {
    // op(A) = A^T with A stored (k x m): the kMr values of one k are contiguous in A's row p.
    for (Index p = 0; p < kc; ++p) {
      const float* src = a + (p0 + p) * lda + i0;
      float* dst = out + p * kMr;
      Index i = 0;
      for (; i < mr; ++i) dst[i] = src[i];
      for (; i < kMr; ++i) dst[i] = 0.0f;
    }
  } else {
    // op(A) = A (m x k): read each of the mr rows sequentially, scatter with stride kMr.
    for (Index i = 0; i < mr; ++i) {
      const float* src = a + (i0 + i) * lda + p0;
      for (Index p = 0; p < kc; ++p) out[p * kMr + i] = src[p];
    }
    for (Index i = mr; i < kMr; ++i)
      for (Index p = 0; p < kc; ++p) out[p * kMr + i] = 0.0f;
  }
}

// --------------------------------------------------------------------------------------- micro-kernel

// C[0 .. mr, 0 .. nr] += a_panel (kMr x kc) * b_panel (kc x 16 kVecs). The accumulators start at zero
// and run one FMA chain per element over the kc depth; only then is C read and written (masked columns
// for a partial tile, rows past mr skipped). 12 x 2 = 24 accumulators of the 32 zmm registers.
inline void kernel(Index kc, const float* __restrict a_panel, const float* __restrict b_panel, float* c,
                   Index ldc, Index mr, Index nr) {
  constexpr int kVecs = kNr / 16;
  __m512 acc[kMr][kVecs];
#pragma GCC unroll 24
  for (int i = 0; i < kMr; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < kVecs; ++v) acc[i][v] = _mm512_setzero_ps();
  for (Index p = 0; p < kc; ++p) {
    __m512 bv[kVecs];
#pragma GCC unroll 2
    for (int v = 0; v < kVecs; ++v) bv[v] = _mm512_load_ps(b_panel + 16 * v);
#pragma GCC unroll 24
    for (int i = 0; i < kMr; ++i) {
      const __m512 av = _mm512_set1_ps(a_panel[i]);
#pragma GCC unroll 2
      for (int v = 0; v < kVecs; ++v) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
    }
    a_panel += kMr;
    b_panel += kNr;
  }
  __mmask16 mask[kVecs];
  for (int v = 0; v < kVecs; ++v) {
    const Index w = std::clamp<Index>(nr - 16 * v, 0, 16);
    mask[v] = w == 16 ? __mmask16(0xFFFF) : __mmask16((1u << w) - 1u);
  }
#pragma GCC unroll 24
  for (int i = 0; i < kMr; ++i) {
    if (i >= mr) break;
    float* row = c + i * ldc;
#pragma GCC unroll 2
    for (int v = 0; v < kVecs; ++v) {
      if (nr == kNr)
        _mm512_storeu_ps(row + 16 * v, _mm512_add_ps(_mm512_loadu_ps(row + 16 * v), acc[i][v]));
      else if (mask[v])
        _mm512_mask_storeu_ps(row + 16 * v, mask[v],
                              _mm512_add_ps(_mm512_maskz_loadu_ps(mask[v], row + 16 * v), acc[i][v]));
    }
  }
}

}  // namespace

void gemm_rows(bool trans_a, bool trans_b, Index rows, Index n, Index k, const float* a, Index lda,
               const float* b, Index ldb, float* c, Index ldc, float* a_packed, float* b_packed) {
  for (Index j0 = 0; j0 < n; j0 += kNc) {
    const Index nc = std::min(kNc, n - j0);
    for (Index p0 = 0; p0 < k; p0 += kKc) {  // k-blocks in increasing order (see the header)
      const Index kc = std::min(kKc, k - p0);
      pack_b(trans_b, kc, nc, b, ldb, p0, j0, b_packed);
      for (Index i0 = 0; i0 < rows; i0 += kMr) {
        const Index mr = std::min<Index>(kMr, rows - i0);
        pack_a(trans_a, mr, kc, a, lda, i0, p0, a_packed);
        for (Index jr = 0; jr < nc; jr += kNr)
          kernel(kc, a_packed, b_packed + jr * kc, c + i0 * ldc + j0 + jr, ldc, mr, std::min(kNr, nc - jr));
      }
    }
  }
}


#else  // no AVX-512: engine/gemm.cpp uses Eigen's kernel

bool available() { return false; }
void gemm_rows(bool, bool, Index, Index, Index, const float*, Index, const float*, Index, float*, Index,
               float*, float*) {}

#endif

}  // namespace mtf::avx512
