#include "kernels/cpu/norm.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/convert.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/parallel.h"

namespace fourbrain::kernels::cpu {
namespace {

// 1 / sqrt(mean + eps) in f32, as torch.rsqrt (a true division, not an approximation).
float inv_rms(float sum_sq, int64_t width, float eps) {
  const float mean = sum_sq / static_cast<float>(width);
  return 1.0f / std::sqrt(mean + eps);
}

FB_MULTIVERSION float add_and_sum_squares(float* residual, const float* x, int64_t n) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) {
    const float r = residual[i] + x[i];
    residual[i] = r;
    sum += r * r;
  }
  return sum;
}

FB_MULTIVERSION void divide(float* x, float denom, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] / denom;
}

void finish_row(const float* r, float inv, const float* weight, int64_t width, void* out,
                DType out_dtype, int64_t row) {
  if (out_dtype == DType::kBF16) {
    float* tmp = staging_row(width);
    scale_by_weight(r, inv, weight, width, tmp);
    store_f32_as(tmp, width, static_cast<uint16_t*>(out) + row * width, out_dtype);
  } else {
    scale_by_weight(r, inv, weight, width, static_cast<float*>(out) + row * width);
  }
}

}  // namespace

FB_MULTIVERSION float sum_of_squares(const float* x, int64_t n) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) sum += x[i] * x[i];
  return sum;
}

// HF order: (x * inv_rms) first, then weight * that.
FB_MULTIVERSION void scale_by_weight(const float* x, float inv_rms, const float* weight, int64_t n,
                                     float* out) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) out[i] = weight[i] * (x[i] * inv_rms);
}

void rms_norm(const float* x, const float* weight, int64_t n_rows, int64_t width, float eps,
              void* out, DType out_dtype) {
  parallel_for_rows(n_rows, width, [&](int64_t i) {
    const float* row = x + i * width;
    finish_row(row, inv_rms(sum_of_squares(row, width), width, eps), weight, width, out, out_dtype,
               i);
  });
}

void add_rms_norm(float* residual, const float* x, const float* weight, int64_t n_rows,
                  int64_t width, float eps, void* out, DType out_dtype) {
  parallel_for_rows(n_rows, width, [&](int64_t i) {
    float* row = residual + i * width;
    const float sum = add_and_sum_squares(row, x + i * width, width);
    finish_row(row, inv_rms(sum, width, eps), weight, width, out, out_dtype, i);
  });
}

void l2_normalize_rows(float* x, int64_t n_rows, int64_t width) {
  parallel_for_rows(n_rows, width, [&](int64_t i) {
    float* row = x + i * width;
    divide(row, std::max(std::sqrt(sum_of_squares(row, width)), 1e-12f), width);
  });
}

}  // namespace fourbrain::kernels::cpu
