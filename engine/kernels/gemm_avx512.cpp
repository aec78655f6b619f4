// engine/kernels/gemm_avx512.cpp — the AVX-512 GEMM kernels (engine/kernels/gemm_kernels.hpp), compiled
// with -mavx512f -mfma whatever the rest of the build's flags. Only intrinsics and this file's own static
// helpers: no Eigen, no standard-library template (see the header for why).
#include "engine/kernels/gemm_kernels.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace mtf::avx512 {

using Index = std::ptrdiff_t;

#if defined(__AVX512F__)

bool compiled() { return true; }

namespace {

inline Index min_i(Index a, Index b) { return a < b ? a : b; }
inline Index clamp_i(Index v, Index lo, Index hi) { return v < lo ? lo : (v > hi ? hi : v); }
// init.row(i) and init.from(r0), without instantiating RowInit's inline members in this file.
inline const float* init_row(const RowInit<float>& init, Index i) {
  return init.data ? init.data + ((init.first_row + i) / init.group) * init.ld : nullptr;
}
inline RowInit<float> init_from(const RowInit<float>& init, Index r0) {
  RowInit<float> r;
  r.data = init.data;
  r.ld = init.ld;
  r.group = init.group;
  r.first_row = init.first_row + r0;
  return r;
}

static_assert(kMr == 12 && kNr == 32, "the packing masks and the kernel's registers assume a 12 x 32 tile");

// ------------------------------------------------------------------------------------------- packing

// Transposes 16 rows of 16 floats in registers: on return r[c] holds column c of the input.
// Stage 1 (unpack + shuffle_ps) leaves, in 128-bit lane L of u[4i + q], rows 4i..4i+3 of column 4L + q;
// stage 2 (two shuffle_f32x4 rounds) gathers lane L of u[q], u[4+q], u[8+q], u[12+q] into column 4L + q.
inline void transpose16x16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  __m512 u[16];
  for (int i = 0; i < 16; i += 4) {
    u[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int q = 0; q < 4; ++q) {
    const __m512 x = _mm512_shuffle_f32x4(u[q], u[4 + q], 0x44);       // lanes 0, 1 of both
    const __m512 y = _mm512_shuffle_f32x4(u[q], u[4 + q], 0xEE);       // lanes 2, 3 of both
    const __m512 x2 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0x44);
    const __m512 y2 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0xEE);
    r[q] = _mm512_shuffle_f32x4(x, x2, 0x88);       // lane 0 of u[q], u[4+q], u[8+q], u[12+q]
    r[4 + q] = _mm512_shuffle_f32x4(x, x2, 0xDD);   // lane 1
    r[8 + q] = _mm512_shuffle_f32x4(y, y2, 0x88);   // lane 2
    r[12 + q] = _mm512_shuffle_f32x4(y, y2, 0xDD);  // lane 3
  }
}

// op(B)[p0 .. p0+kc, j0 .. j0+nc] -> ceil(nc / kNr) micro-panels, each (kc x kNr) row by row, columns
// past nc zero so the kernel can always run full width.
void pack_b(bool trans_b, Index kc, Index nc, const float* b, Index ldb, Index p0, Index j0, float* out) {
  for (Index jr = 0; jr < nc; jr += kNr) {
    const Index w = min_i(kNr, nc - jr);
    float* panel = out + jr * kc;
    if (!trans_b) {
      // op(B) = B (k x n): row p of the panel is a contiguous slice of B's row p.
      for (Index p = 0; p < kc; ++p) {
        const float* src = b + (p0 + p) * ldb + j0 + jr;
        float* dst = panel + p * kNr;
        if (w == kNr) {
          for (Index v = 0; v < kNr; v += 16) _mm512_store_ps(dst + v, _mm512_loadu_ps(src + v));
        } else {
          for (Index j = 0; j < kNr; ++j) dst[j] = j < w ? src[j] : 0.0f;
        }
      }
    } else {
      // op(B) = B^T with B stored (n x k) (the forward pass's W^T): column j of the panel is a
      // contiguous slice of B's row j. Full panels go 16 x 16 blocks at a time through registers.
      const float* src = b + (j0 + jr) * ldb + p0;
      Index p = 0;
      if (w == kNr) {
        for (; p + 16 <= kc; p += 16) {
          for (Index half = 0; half < kNr; half += 16) {
            __m512 r[16];
            for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + (half + i) * ldb + p);
            transpose16x16(r);
            for (int q = 0; q < 16; ++q) _mm512_store_ps(panel + (p + q) * kNr + half, r[q]);
          }
        }
      }
      for (; p < kc; ++p) {
        float* dst = panel + p * kNr;
        Index j = 0;
        for (; j < w; ++j) dst[j] = src[j * ldb + p];
        for (; j < kNr; ++j) dst[j] = 0.0f;
      }
    }
  }
}

// op(A)[i0 .. i0+mr, p0 .. p0+kc] -> one (kc x kMr) micro-panel, column by column (k-major), rows
// past mr zero.
void pack_a(bool trans_a, Index mr, Index kc, const float* a, Index lda, Index i0, Index p0, float* out) {
  const __mmask16 rows = __mmask16((1u << mr) - 1u);  // mr <= kMr = 12
  if (trans_a) {
    // op(A) = A^T with A stored (k x m): the mr values of one k are contiguous in A's row p.
    const float* src = a + p0 * lda + i0;
    for (Index p = 0; p < kc; ++p)
      _mm512_mask_storeu_ps(out + p * kMr, __mmask16(0x0FFF), _mm512_maskz_loadu_ps(rows, src + p * lda));
  } else {
    // op(A) = A (m x k) (the forward pass's activations): 16 values of each row at a time, transposed
    // through registers (rows past mr are zero), each column stored as kMr consecutive floats.
    const float* src = a + i0 * lda + p0;
    Index p = 0;
    for (; p + 16 <= kc; p += 16) {
      __m512 r[16];
      for (int i = 0; i < 16; ++i) r[i] = i < mr ? _mm512_loadu_ps(src + i * lda + p) : _mm512_setzero_ps();
      transpose16x16(r);
      for (int q = 0; q < 16; ++q) _mm512_mask_storeu_ps(out + (p + q) * kMr, __mmask16(0x0FFF), r[q]);
    }
    for (; p < kc; ++p)
      for (Index i = 0; i < kMr; ++i) out[p * kMr + i] = i < mr ? src[i * lda + p] : 0.0f;
  }
}

// --------------------------------------------------------------------------------------- micro-kernel

// C[0 .. mr, 0 .. nr] += a_panel (kMr x kc) * b_panel (kc x 16 kVecs). The accumulators start at zero
// and run one FMA chain per element over the kc depth; only then is C read and written (masked columns
// for a partial tile, rows past mr skipped). 12 x 2 = 24 accumulators of the 32 zmm registers.
// With `first` set (the product's first k-block when C is to be overwritten) row i of the tile is stored
// as init.row(i)[col0 ..] + acc (or acc when init is empty) and C is never read. With
// `relu` set (the product's last k-block of a fused linear + ReLU) the stored values are max(., 0).
// kVecs = 1: the left half of the panel only, for a tile at most 16 wide (the 12-wide heads): half the FMAs
// of a full tile, the same arithmetic per element.
template <int kVecs>
inline void kernel(Index kc, const float* __restrict a_panel, const float* __restrict b_panel, float* c,
                   Index ldc, Index mr, Index nr, bool first, const RowInit<float>& init, Index col0, bool relu) {
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
    const Index w = clamp_i(nr - 16 * v, 0, 16);
    mask[v] = w == 16 ? __mmask16(0xFFFF) : __mmask16((1u << w) - 1u);
  }
  const __m512 floor = relu ? _mm512_setzero_ps() : _mm512_set1_ps(-__builtin_inff());  // max(x, -inf) = x
  if (first) {
#pragma GCC unroll 24
    for (int i = 0; i < kMr; ++i) {
      if (i >= mr) break;
      const float* src = init_row(init, i);
#pragma GCC unroll 2
      for (int v = 0; v < kVecs; ++v) {
        const __m512 base = src ? _mm512_maskz_loadu_ps(mask[v], src + col0 + 16 * v) : _mm512_setzero_ps();
        _mm512_mask_storeu_ps(c + i * ldc + 16 * v, mask[v], _mm512_max_ps(_mm512_add_ps(base, acc[i][v]), floor));
      }
    }
    return;
  }
#pragma GCC unroll 24
  for (int i = 0; i < kMr; ++i) {
    if (i >= mr) break;
    float* row = c + i * ldc;
#pragma GCC unroll 2
    for (int v = 0; v < kVecs; ++v) {
      if (nr == kNr)
        _mm512_storeu_ps(row + 16 * v,
                         _mm512_max_ps(_mm512_add_ps(_mm512_loadu_ps(row + 16 * v), acc[i][v]), floor));
      else if (mask[v])
        _mm512_mask_storeu_ps(
            row + 16 * v, mask[v],
            _mm512_max_ps(_mm512_add_ps(_mm512_maskz_loadu_ps(mask[v], row + 16 * v), acc[i][v]), floor));
    }
  }
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
        for (Index jr = 0; jr < nc; jr += kNr) {
          const Index nr = min_i(kNr, nc - jr);
          (nr > 16 ? kernel<2> : kernel<1>)(kc, a_packed, block + jr * kc, c + i0 * ldc + j0 + jr, ldc, mr, nr,
                                            overwrite && p0 == 0, init_from(init, i0), j0 + jr, relu && p0 + kc == k);
        }
      }
    }
  }
}


namespace {
// The stored value: acc (+ bias) when overwriting, else C + acc; then the ReLU if asked.
inline float finish(float acc, float* c, bool overwrite, const float* bias, bool relu) {
  const float v = overwrite ? (bias ? *bias + acc : acc) : *c + acc;
  return relu ? (v > 0.0f ? v : 0.0f) : v;
}
// One row's dot product: 16-lane partial sums over p (masked tail), then one horizontal add. The order
// depends on k only, so a row gives the same bits whichever group or thread computes it.
inline __m512 dot_step(__m512 acc, const float* a, const float* v, Index p, __mmask16 m) {
  return _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + p), _mm512_maskz_loadu_ps(m, v + p), acc);
}
}  // namespace

void gemv_rows(Index rows, Index k, const float* a, Index lda, const float* v, float* c, Index ldc,
               bool overwrite, const RowInit<float>& init, bool relu) {
  Index i = 0;
  for (; i + 4 <= rows; i += 4) {  // four independent FMA chains share each load of v
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    for (Index p = 0; p < k; p += 16) {
      const __mmask16 m = k - p >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (k - p)) - 1u);
      for (int r = 0; r < 4; ++r) acc[r] = dot_step(acc[r], a + (i + r) * lda, v, p, m);
    }
    for (int r = 0; r < 4; ++r)
      c[(i + r) * ldc] = finish(_mm512_reduce_add_ps(acc[r]), c + (i + r) * ldc, overwrite, init_row(init, i + r), relu);
  }
  for (; i < rows; ++i) {
    __m512 acc = _mm512_setzero_ps();
    for (Index p = 0; p < k; p += 16) {
      const __mmask16 m = k - p >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (k - p)) - 1u);
      acc = dot_step(acc, a + i * lda, v, p, m);
    }
    c[i * ldc] = finish(_mm512_reduce_add_ps(acc), c + i * ldc, overwrite, init_row(init, i), relu);
  }
}

void gevm(Index n, Index k, const float* u, Index u_stride, const float* b, Index ldb, float* c, bool overwrite,
          const float* bias, bool relu) {
  for (Index j = 0; j < n; j += 64) {  // 64 columns = 4 accumulators; each one sums over r in order
    __mmask16 m[4];
    for (int v = 0; v < 4; ++v) {
      const Index w = clamp_i(n - j - 16 * v, 0, 16);
      m[v] = w == 16 ? __mmask16(0xFFFF) : __mmask16((1u << w) - 1u);
    }
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    for (Index r = 0; r < k; ++r) {
      const __m512 ur = _mm512_set1_ps(u[r * u_stride]);
      for (int v = 0; v < 4; ++v)
        acc[v] = _mm512_fmadd_ps(ur, _mm512_maskz_loadu_ps(m[v], b + r * ldb + j + 16 * v), acc[v]);
    }
    const __m512 floor = relu ? _mm512_setzero_ps() : _mm512_set1_ps(-__builtin_inff());
    for (int v = 0; v < 4; ++v) {
      float* dst = c + j + 16 * v;
      const __m512 base = overwrite ? (bias ? _mm512_maskz_loadu_ps(m[v], bias + j + 16 * v) : _mm512_setzero_ps())
                                    : _mm512_maskz_loadu_ps(m[v], dst);
      _mm512_mask_storeu_ps(dst, m[v], _mm512_max_ps(_mm512_add_ps(base, acc[v]), floor));
    }
  }
}

#else  // not compiled with AVX-512 (a non-x86 build): dispatch never picks this kernel

bool compiled() { return false; }
void gemm_rows(bool, bool, Index, Index, Index, const float*, Index, const float*, Index, float*, Index, bool,
               const RowInit<float>&, bool, float*, float*, const float*) {}
std::size_t packed_b_size(Index, Index) { return 0; }
void pack_b_whole(bool, Index, Index, const float*, Index, float*) {}
void gemv_rows(Index, Index, const float*, Index, const float*, float*, Index, bool, const RowInit<float>&, bool) {}
void gevm(Index, Index, const float*, Index, const float*, Index, float*, bool, const float*, bool) {}

#endif

}  // namespace mtf::avx512
