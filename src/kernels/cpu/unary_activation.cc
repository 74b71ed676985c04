#include "kernels/cpu/unary_activation.h"

#include <cmath>

#include "kernels/cpu/avx512_util.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/parallel.h"

namespace fourbrain::kernels::cpu {
namespace {

constexpr float kSqrtHalf = 0.70710678118654752f;
constexpr float kSqrtTwoOverPi = 0.79788456080286536f;

float activate(float x, UnaryActivation act) {
  switch (act) {
    case UnaryActivation::kGelu:
      return 0.5f * x * (1.0f + std::erf(x * kSqrtHalf));
    case UnaryActivation::kGeluTanh:
      return 0.5f * x * (1.0f + std::tanh(kSqrtTwoOverPi * (x + 0.044715f * x * x * x)));
    case UnaryActivation::kTanh:
      return std::tanh(x);
  }
  return x;
}

void row_portable(const float* x, int64_t n, UnaryActivation act, void* out, DType out_dtype) {
  for (int64_t i = 0; i < n; ++i) {
    const float y = activate(x[i], act);
    if (out_dtype == DType::kBF16) {
      static_cast<uint16_t*>(out)[i] = f32_to_bf16(y);
    } else {
      static_cast<float*>(out)[i] = y;
    }
  }
}

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,fma")

// 1 + erf(x), without cancellation for negative x: with z = |x|, t = 1 / (1 + p z) and
// r = t * poly(t) * exp(-z^2) (so erf(z) = 1 - r), 1 + erf(x) is 2 - r for x >= 0 and r
// for x < 0.
__m512 one_plus_erf(__m512 x) {
  const __m512 z = _mm512_abs_ps(x);
  const __m512 t = _mm512_div_ps(
      _mm512_set1_ps(1.0f), _mm512_fmadd_ps(_mm512_set1_ps(0.3275911f), z, _mm512_set1_ps(1.0f)));
  __m512 poly = _mm512_set1_ps(1.061405429f);
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-1.453152027f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(1.421413741f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-0.284496736f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(0.254829592f));
  const __m512 e = avx512::exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_mul_ps(z, z)));
  const __m512 r = _mm512_mul_ps(_mm512_mul_ps(poly, t), e);
  const __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_mask_mov_ps(_mm512_sub_ps(_mm512_set1_ps(2.0f), r), negative, r);
}

// 1 + tanh(u) = 2 / (1 + exp(-2u)): no cancellation on either side, exp overflow gives 0.
__m512 one_plus_tanh(__m512 u) {
  const __m512 e = avx512::exp_ps(_mm512_mul_ps(u, _mm512_set1_ps(-2.0f)));
  return _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

void row_avx512(const float* x, int64_t n, UnaryActivation act, void* out, DType out_dtype) {
  const __m512 half = _mm512_set1_ps(0.5f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    __m512 y;
    if (act == UnaryActivation::kGelu) {
      y = _mm512_mul_ps(_mm512_mul_ps(half, v),
                        one_plus_erf(_mm512_mul_ps(v, _mm512_set1_ps(kSqrtHalf))));
    } else {  // kGeluTanh
      const __m512 cube = _mm512_mul_ps(_mm512_mul_ps(v, v), v);
      const __m512 inner = _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), cube, v);
      y = _mm512_mul_ps(_mm512_mul_ps(half, v),
                        one_plus_tanh(_mm512_mul_ps(_mm512_set1_ps(kSqrtTwoOverPi), inner)));
    }
    avx512::store_activation(out, out_dtype, i, m, y);
  }
}

#pragma GCC pop_options

}  // namespace

void unary_activation(const float* x, int64_t n_rows, int64_t width, UnaryActivation act, void* out,
                      DType out_dtype) {
  // tanh only runs on heads ([n_seqs, hidden]): the portable path is enough there.
  const bool fast = has_avx512() && act != UnaryActivation::kTanh;
  const size_t out_elem = out_dtype == DType::kBF16 ? 2 : 4;
  parallel_for_rows(n_rows, width, [&](int64_t r) {
    void* dst = static_cast<uint8_t*>(out) + static_cast<size_t>(r * width) * out_elem;
    if (fast) {
      row_avx512(x + r * width, width, act, dst, out_dtype);
    } else {
      row_portable(x + r * width, width, act, dst, out_dtype);
    }
  });
}

}  // namespace fourbrain::kernels::cpu
