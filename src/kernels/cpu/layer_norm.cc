#include "kernels/cpu/layer_norm.h"

#include <cmath>

#include "kernels/cpu/convert.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/parallel.h"

namespace fourbrain::kernels::cpu {
namespace {

FB_MULTIVERSION float row_sum(const float* x, int64_t n) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  return sum;
}

FB_MULTIVERSION float squared_deviations(const float* x, float mean, int64_t n) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) {
    const float d = x[i] - mean;
    sum += d * d;
  }
  return sum;
}

FB_MULTIVERSION void add_rows(const float* a, const float* b, int64_t n, float* out) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

FB_MULTIVERSION void normalize_row(const float* x, float mean, float rstd, const float* weight,
                                   const float* bias, int64_t n, float* out) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) out[i] = (x[i] - mean) * rstd * weight[i] + bias[i];
}

// Normalises one f32 row into `out` (which may be `row`).
void norm_row(const float* row, const float* weight, const float* bias, int64_t width, float eps,
              float* out) {
  const float mean = row_sum(row, width) / static_cast<float>(width);
  const float var = squared_deviations(row, mean, width) / static_cast<float>(width);
  normalize_row(row, mean, 1.0f / std::sqrt(var + eps), weight, bias, width, out);
}

}  // namespace

void layer_norm(const float* x, const float* weight, const float* bias, int64_t n_rows,
                int64_t width, float eps, void* out, DType out_dtype) {
  parallel_for_rows(n_rows, width, [&](int64_t i) {
    const float* row = x + i * width;
    if (out_dtype == DType::kBF16) {
      float* tmp = staging_row(width);
      norm_row(row, weight, bias, width, eps, tmp);
      store_f32_as(tmp, width, static_cast<uint16_t*>(out) + i * width, out_dtype);
    } else {
      norm_row(row, weight, bias, width, eps, static_cast<float*>(out) + i * width);
    }
  });
}

void add_layer_norm(const float* x, const float* residual, const float* weight, const float* bias,
                    int64_t n_rows, int64_t width, float eps, float* out) {
  parallel_for_rows(n_rows, width, [&](int64_t i) {
    float* dst = out + i * width;
    // Elementwise, index by index: safe when out is x or residual.
    add_rows(x + i * width, residual + i * width, width, dst);
    norm_row(dst, weight, bias, width, eps, dst);
  });
}

}  // namespace fourbrain::kernels::cpu
