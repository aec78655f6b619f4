// engine/kernels/gemm_avx2.cpp — the AVX2 + FMA GEMM kernels (engine/kernels/gemm_kernels.hpp), compiled
// with -mavx2 -mfma whatever the rest of the build's flags: the path of x86-64 CPUs without AVX-512
// (Haswell to Alder Lake, Zen 1-3). Only intrinsics and this file's own static helpers: no Eigen, no
// standard-library template (see the header for why).
#include "engine/kernels/gemm_kernels.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace mtf::avx2 {

using Index = std::ptrdiff_t;

#if defined(__AVX2__) && defined(__FMA__)

bool compiled() { return true; }

namespace {

static_assert(kMr == 6 && kNr == 16, "the kernel's registers assume a 6 x 16 tile");

inline Index min_i(Index a, Index b) { return a < b ? a : b; }
inline const float* init_row(const RowInit<float>& init, Index i) {
  return init.data ? init.data + ((init.first_row + i) / init.group) * init.ld : nullptr;
}

// _mm256_maskload_ps / maskstore_ps masks for the first w (0..8) lanes: 8 - w entries into this table.
alignas(64) const int kLaneMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
inline __m256i lanes(Index w) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kLaneMask + 8 - w)); }

// Horizontal sum in a fixed order (the same bits wherever a row is computed).
inline float hsum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));  // lanes i + i+4
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));                                     // + i+2
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));                           // + i+1
}

// Transposes 8 rows of 8 floats in registers: on return r[c] holds column c of the input.
inline void transpose8x8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int q = 0; q < 4; ++q) {
    r[q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x20);
    r[4 + q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x31);
  }
}

// op(B)[p0 .. p0+kc, j0 .. j0+nc] -> ceil(nc / kNr) micro-panels, each (kc x kNr) row by row, columns
// past nc zero so the kernel always runs full width.
void pack_b(bool trans_b, Index kc, Index nc, const float* b, Index ldb, Index p0, Index j0, float* out) {
  for (Index jr = 0; jr < nc; jr += kNr) {
    const Index w = min_i(kNr, nc - jr);
    float* panel = out + jr * kc;
    if (!trans_b) {
      for (Index p = 0; p < kc; ++p) {  // row p of the panel: a contiguous slice of B's row p
        const float* src = b + (p0 + p) * ldb + j0 + jr;
        float* dst = panel + p * kNr;
        if (w == kNr) {
          _mm256_store_ps(dst, _mm256_loadu_ps(src));
          _mm256_store_ps(dst + 8, _mm256_loadu_ps(src + 8));
        } else {
          for (Index j = 0; j < kNr; ++j) dst[j] = j < w ? src[j] : 0.0f;
        }
      }
    } else {
      // op(B) = B^T, B stored (n x k): column j of the panel is a contiguous slice of B's row j; full
      // panels go 8 x 8 blocks at a time through registers.
      const float* src = b + (j0 + jr) * ldb + p0;
      Index p = 0;
      if (w == kNr) {
        for (; p + 8 <= kc; p += 8) {
          for (Index half = 0; half < kNr; half += 8) {
            __m256 r[8];
            for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + (half + i) * ldb + p);
            transpose8x8(r);
            for (int q = 0; q < 8; ++q) _mm256_store_ps(panel + (p + q) * kNr + half, r[q]);
          }
        }
      }
      for (; p < kc; ++p) {
        float* dst = panel + p * kNr;
        for (Index j = 0; j < kNr; ++j) dst[j] = j < w ? src[j * ldb + p] : 0.0f;
      }
    }
  }
}

// op(A)[i0 .. i0+mr, p0 .. p0+kc] -> one (kc x kMr) micro-panel, k-major, rows past mr zero.
void pack_a(bool trans_a, Index mr, Index kc, const float* a, Index lda, Index i0, Index p0, float* out) {
  if (trans_a) {  // A stored (k x m): the mr values of one k are contiguous in A's row p
    const float* src = a + p0 * lda + i0;
    for (Index p = 0; p < kc; ++p)
      for (Index i = 0; i < kMr; ++i) out[p * kMr + i] = i < mr ? src[p * lda + i] : 0.0f;
  } else {  // A (m x k): column p of the panel gathers one value of each row
    const float* src = a + i0 * lda + p0;
    for (Index p = 0; p < kc; ++p)
      for (Index i = 0; i < kMr; ++i) out[p * kMr + i] = i < mr ? src[i * lda + p] : 0.0f;
  }
}

// C[0 .. mr, 0 .. nr] += a_panel (kMr x kc) * b_panel (kc x kNr): 6 x 2 = 12 ymm accumulators of 16, one
// FMA chain per element over kc; then C is read and written once (through a scratch tile when the tile
// is partial). `first`: C = init.row(i)[col0 ..] + acc (C not read); `relu`: stored values max(., 0).
inline void kernel(Index kc, const float* __restrict a_panel, const float* __restrict b_panel, float* c,
                   Index ldc, Index mr, Index nr, bool first, const RowInit<float>& init, Index col0, bool relu) {
  __m256 acc[kMr][2];
#pragma GCC unroll 6
  for (int i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (Index p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_load_ps(b_panel), b1 = _mm256_load_ps(b_panel + 8);
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      const __m256 av = _mm256_broadcast_ss(a_panel + i);
      acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);
    }
    a_panel += kMr;
    b_panel += kNr;
  }
  const __m256 zero = _mm256_setzero_ps();
  const __m256i m0 = lanes(nr >= 8 ? 8 : nr), m1 = lanes(nr >= 16 ? 8 : (nr > 8 ? nr - 8 : 0));
#pragma GCC unroll 6
  for (int i = 0; i < kMr; ++i) {
    if (i >= mr) break;
    float* row = c + i * ldc;
    __m256 base0, base1;
    if (first) {
      const float* src = init_row(init, i);
      base0 = src ? _mm256_maskload_ps(src + col0, m0) : zero;
      base1 = src ? _mm256_maskload_ps(src + col0 + 8, m1) : zero;
    } else if (nr == kNr) {
      base0 = _mm256_loadu_ps(row);
      base1 = _mm256_loadu_ps(row + 8);
    } else {
      base0 = _mm256_maskload_ps(row, m0);
      base1 = _mm256_maskload_ps(row + 8, m1);
    }
    __m256 v0 = _mm256_add_ps(base0, acc[i][0]), v1 = _mm256_add_ps(base1, acc[i][1]);
    if (relu) {
      v0 = _mm256_max_ps(v0, zero);
      v1 = _mm256_max_ps(v1, zero);
    }
    if (nr == kNr) {
      _mm256_storeu_ps(row, v0);
      _mm256_storeu_ps(row + 8, v1);
    } else {
      _mm256_maskstore_ps(row, m0, v0);
      _mm256_maskstore_ps(row + 8, m1, v1);
    }
  }
}

// The stored value: acc (+ bias) when overwriting, else C + acc; then the ReLU if asked.
inline float finish(float acc, const float* c, bool overwrite, const float* bias, bool relu) {
  const float v = overwrite ? (bias ? *bias + acc : acc) : *c + acc;
  return relu ? (v > 0.0f ? v : 0.0f) : v;
}

// Where gemm_rows finds block (j0, p0) of op(B) (nc columns from j0, kc = min(kKc, k - p0) rows from p0)
// in panels packed whole: the column blocks before j0 are kNc wide (a multiple of kNr), kc x kNc each per
// k-block, so j0 k floats; within column block j0, the k-blocks before p0 hold round_up(nc, kNr) p0.
inline Index block_offset(Index j0, Index p0, Index nc, Index k) {
  return j0 * k + ((nc + kNr - 1) / kNr) * kNr * p0;
}

}  // namespace

std::size_t packed_b_size(Index n, Index k) { return std::size_t(((n + kNr - 1) / kNr) * kNr * k); }

void pack_b_whole(bool trans_b, Index n, Index k, const float* b, Index ldb, float* out) {
  for (Index j0 = 0; j0 < n; j0 += kNc) {  // the blocks gemm_rows packs, in its order
    const Index nc = min_i(kNc, n - j0);
    for (Index p0 = 0; p0 < k; p0 += kKc)
      pack_b(trans_b, min_i(kKc, k - p0), nc, b, ldb, p0, j0, out + block_offset(j0, p0, nc, k));
  }
}

void gemm_rows(bool trans_a, bool trans_b, Index rows, Index n, Index k, const float* a, Index lda,
               const float* b, Index ldb, float* c, Index ldc, bool overwrite, const RowInit<float>& init,
               bool relu, float* a_packed, float* b_packed, const float* b_panels) {
  for (Index j0 = 0; j0 < n; j0 += kNc) {
    const Index nc = min_i(kNc, n - j0);
    for (Index p0 = 0; p0 < k; p0 += kKc) {  // k-blocks in increasing order (see the header)
      const Index kc = min_i(kKc, k - p0);
      const float* block = b_panels ? b_panels + block_offset(j0, p0, nc, k) : b_packed;  // (kc x nc) panels
      if (!b_panels) pack_b(trans_b, kc, nc, b, ldb, p0, j0, b_packed);
      for (Index i0 = 0; i0 < rows; i0 += kMr) {
        const Index mr = min_i(kMr, rows - i0);
        pack_a(trans_a, mr, kc, a, lda, i0, p0, a_packed);
        RowInit<float> tile_init;  // init.from(i0)
        tile_init.data = init.data;
        tile_init.ld = init.ld;
        tile_init.group = init.group;
        tile_init.first_row = init.first_row + i0;
        for (Index jr = 0; jr < nc; jr += kNr)
          kernel(kc, a_packed, block + jr * kc, c + i0 * ldc + j0 + jr, ldc, mr, min_i(kNr, nc - jr),
                 overwrite && p0 == 0, tile_init, j0 + jr, relu && p0 + kc == k);
      }
    }
  }
}

// One row's dot product: 8-lane partial sums over p (masked tail), then hsum: the order depends on k
// only, so a row gives the same bits whichever group or thread computes it.
void gemv_rows(Index rows, Index k, const float* a, Index lda, const float* v, float* c, Index ldc,
               bool overwrite, const RowInit<float>& init, bool relu) {
  const Index k8 = k - k % 8;
  const __m256i tail = lanes(k - k8);
  Index i = 0;
  for (; i + 4 <= rows; i += 4) {  // four independent FMA chains share each load of v
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (Index p = 0; p < k8; p += 8) {
      const __m256 vv = _mm256_loadu_ps(v + p);
      for (int r = 0; r < 4; ++r) acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(a + (i + r) * lda + p), vv, acc[r]);
    }
    if (k8 < k) {
      const __m256 vv = _mm256_maskload_ps(v + k8, tail);
      for (int r = 0; r < 4; ++r)
        acc[r] = _mm256_fmadd_ps(_mm256_maskload_ps(a + (i + r) * lda + k8, tail), vv, acc[r]);
    }
    for (int r = 0; r < 4; ++r)
      c[(i + r) * ldc] = finish(hsum(acc[r]), c + (i + r) * ldc, overwrite, init_row(init, i + r), relu);
  }
  for (; i < rows; ++i) {
    __m256 acc = _mm256_setzero_ps();
    for (Index p = 0; p < k8; p += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i * lda + p), _mm256_loadu_ps(v + p), acc);
    if (k8 < k) acc = _mm256_fmadd_ps(_mm256_maskload_ps(a + i * lda + k8, tail), _mm256_maskload_ps(v + k8, tail), acc);
    c[i * ldc] = finish(hsum(acc), c + i * ldc, overwrite, init_row(init, i), relu);
  }
}

void gevm(Index n, Index k, const float* u, Index u_stride, const float* b, Index ldb, float* c, bool overwrite,
          const float* bias, bool relu) {
  for (Index j = 0; j < n; j += 32) {  // 32 columns = 4 accumulators; each one sums over r in order
    __m256i m[4];
    for (int v = 0; v < 4; ++v) {
      const Index w = n - j - 8 * v;
      m[v] = lanes(w < 0 ? 0 : (w > 8 ? 8 : w));
    }
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (Index r = 0; r < k; ++r) {
      const __m256 ur = _mm256_set1_ps(u[r * u_stride]);
      for (int v = 0; v < 4; ++v)
        acc[v] = _mm256_fmadd_ps(ur, _mm256_maskload_ps(b + r * ldb + j + 8 * v, m[v]), acc[v]);
    }
    for (int v = 0; v < 4; ++v) {
      float* dst = c + j + 8 * v;
      const __m256 base = overwrite ? (bias ? _mm256_maskload_ps(bias + j + 8 * v, m[v]) : _mm256_setzero_ps())
                                    : _mm256_maskload_ps(dst, m[v]);
      __m256 x = _mm256_add_ps(base, acc[v]);
      if (relu) x = _mm256_max_ps(x, _mm256_setzero_ps());
      _mm256_maskstore_ps(dst, m[v], x);
    }
  }
}

#else  // not compiled with AVX2 + FMA (a non-x86 build): dispatch never picks this kernel

bool compiled() { return false; }
void gemm_rows(bool, bool, Index, Index, Index, const float*, Index, const float*, Index, float*, Index, bool,
               const RowInit<float>&, bool, float*, float*, const float*) {}
std::size_t packed_b_size(Index, Index) { return 0; }
void pack_b_whole(bool, Index, Index, const float*, Index, float*) {}
void gemv_rows(Index, Index, const float*, Index, const float*, float*, Index, bool, const RowInit<float>&, bool) {}
void gevm(Index, Index, const float*, Index, const float*, Index, float*, bool, const float*, bool) {}

#endif

}  // namespace mtf::avx2
