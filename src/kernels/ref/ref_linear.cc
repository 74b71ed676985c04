#include "kernels/ref/ref.h"

namespace fourbrain::kernels::ref {

void matmul(const float* x, const float* w, int64_t m, int64_t n, int64_t k, float* y) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0.0;
      for (int64_t p = 0; p < k; ++p) sum += double{x[i * k + p]} * double{w[j * k + p]};
      y[i * n + j] = static_cast<float>(sum);
    }
  }
}

float round_bf16(float x) { return bf16_to_f32(f32_to_bf16(x)); }

}  // namespace fourbrain::kernels::ref
