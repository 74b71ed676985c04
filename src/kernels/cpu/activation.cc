#include "kernels/cpu/activation.h"

#include <cmath>

#include "kernels/cpu/avx512_util.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/parallel.h"

namespace fourbrain::kernels::cpu {
namespace {

void silu_mul_row_portable(const float* gate, const float* up, int64_t n, void* out,
                           DType out_dtype) {
  for (int64_t i = 0; i < n; ++i) {
    const float y = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
    if (out_dtype == DType::kBF16) {
      static_cast<uint16_t*>(out)[i] = f32_to_bf16(y);
    } else {
      static_cast<float*>(out)[i] = y;
    }
  }
}

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,fma")

void silu_mul_row_avx512(const float* gate, const float* up, int64_t n, void* out,
                         DType out_dtype) {
  const __m512 one = _mm512_set1_ps(1.0f);
  int64_t i = 0;
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n - i)) - 1);
    const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
    const __m512 u = _mm512_maskz_loadu_ps(m, up + i);
    const __m512 e = avx512::exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), g));
    const __m512 y = _mm512_mul_ps(_mm512_div_ps(g, _mm512_add_ps(one, e)), u);
    avx512::store_activation(out, out_dtype, i, m, y);
  }
}

#pragma GCC pop_options

}  // namespace

void silu_mul(const float* gate_up, int64_t n_rows, int64_t width, void* out, DType out_dtype) {
  const bool fast = has_avx512();
  const size_t out_elem = out_dtype == DType::kBF16 ? 2 : 4;
  parallel_for_rows(n_rows, 2 * width, [&](int64_t r) {
    const float* gate = gate_up + r * 2 * width;
    void* dst = static_cast<uint8_t*>(out) + static_cast<size_t>(r * width) * out_elem;
    if (fast) {
      silu_mul_row_avx512(gate, gate + width, width, dst, out_dtype);
    } else {
      silu_mul_row_portable(gate, gate + width, width, dst, out_dtype);
    }
  });
}

}  // namespace fourbrain::kernels::cpu
