// AVX-512 building blocks shared by the hand-vectorised kernels: a vector exp, a 16x16
// transpose, and f32 -> bf16 rounding of a vector.
//
// Include this only from .cc files that call the functions from code guarded by
// has_avx512(); the header switches the AVX-512 target on for its own functions only
// (push/pop), so including it never changes the ISA of the including file's other code.
// Everything is inline and stateless.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "core/dtype.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,fma")

namespace fourbrain::kernels::cpu::avx512 {

// e^x with about 1 ulp error on [-87.3, 88.7] (Cephes expf polynomial after a two-constant
// ln 2 range reduction). Below -87.3 (including -inf) it returns exactly 0 instead of a
// denormal: softmax masks rely on exp(-inf) == 0. Above 88.72 it returns +inf. The clamp
// keeps every intermediate normal: a denormal out of vscalefps costs a microcode assist
// (~100 cycles), which masked (-inf) scores would otherwise hit all the time.
inline __m512 exp_ps(__m512 x) {
  const __m512 clamped =
      _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.7f));
  const __m512 n =
      _mm512_roundscale_ps(_mm512_mul_ps(clamped, _mm512_set1_ps(1.44269504088896341f)),
                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), clamped);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  const __m512 r2 = _mm512_mul_ps(r, r);
  const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, r2, r), _mm512_set1_ps(1.0f));
  __m512 result = _mm512_scalef_ps(y, n);
  const __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.3f), _CMP_LT_OQ);
  const __mmask16 huge = _mm512_cmp_ps_mask(x, _mm512_set1_ps(88.72f), _CMP_GT_OQ);
  result = _mm512_mask_mov_ps(result, huge, _mm512_set1_ps(__builtin_inff()));
  return _mm512_mask_mov_ps(result, tiny, _mm512_setzero_ps());
}

// Rounds 16 floats to bf16 (nearest even, NaN stays NaN) exactly like f32_to_bf16().
inline __m256i cvt_bf16(__m512 x) {
  const __m512i bits = _mm512_castps_si512(x);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_srli_epi32(
      _mm512_add_epi32(bits, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
  const __m512i quiet = _mm512_or_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(0x40));
  const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  return _mm512_cvtepi32_epi16(_mm512_mask_mov_epi32(rounded, nan, quiet));
}

// Stores up to 16 activations (mask m) at element i of `out`, f32 or bf16 (rounded as above).
inline void store_activation(void* out, DType dtype, int64_t i, __mmask16 m, __m512 y) {
  if (dtype == DType::kBF16) {
    _mm256_mask_storeu_epi16(static_cast<uint16_t*>(out) + i, m, cvt_bf16(y));
  } else {
    _mm512_mask_storeu_ps(static_cast<float*>(out) + i, m, y);
  }
}

// Widens 16 bf16 values to f32 (exact).
inline __m512 load_bf16(const uint16_t* src) {
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// In-register transpose of a 16x16 block: rows[i] element j -> rows[j] element i.
inline void transpose16(__m512 rows[16]) {
  // 1) Interleave row pairs: t[2k], t[2k+1] hold rows 2k, 2k+1 for columns 4l+{0,1}, 4l+{2,3}
  //    of each 128-bit lane l.
  __m512 t[16];
  for (int k = 0; k < 16; k += 2) {
    t[k] = _mm512_unpacklo_ps(rows[k], rows[k + 1]);
    t[k + 1] = _mm512_unpackhi_ps(rows[k], rows[k + 1]);
  }
  // 2) u[4q + c], lane l = rows 4q..4q+3 at column 4l + c.
  __m512 u[16];
  for (int q = 0; q < 16; q += 4) {
    const __m512d t0 = _mm512_castps_pd(t[q]), t1 = _mm512_castps_pd(t[q + 1]);
    const __m512d t2 = _mm512_castps_pd(t[q + 2]), t3 = _mm512_castps_pd(t[q + 3]);
    u[q] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
    u[q + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
    u[q + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
    u[q + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
  }
  // 3) Output row 4l + c gathers lane l of u[c], u[4 + c], u[8 + c], u[12 + c].
  for (int c = 0; c < 4; ++c) {
    const __m512 v02 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88);
    const __m512 v13 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xdd);
    const __m512 w02 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88);
    const __m512 w13 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xdd);
    rows[c] = _mm512_shuffle_f32x4(v02, w02, 0x88);
    rows[8 + c] = _mm512_shuffle_f32x4(v02, w02, 0xdd);
    rows[4 + c] = _mm512_shuffle_f32x4(v13, w13, 0x88);
    rows[12 + c] = _mm512_shuffle_f32x4(v13, w13, 0xdd);
  }
}

}  // namespace fourbrain::kernels::cpu::avx512

#pragma GCC pop_options
