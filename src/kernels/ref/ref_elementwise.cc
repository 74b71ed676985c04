#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/ref/ref.h"

namespace fourbrain::kernels::ref {
namespace {

double inv_rms(const float* x, int64_t width, float eps) {
  double sum = 0.0;
  for (int64_t i = 0; i < width; ++i) sum += double{x[i]} * double{x[i]};
  return 1.0 / std::sqrt(sum / static_cast<double>(width) + eps);
}

}  // namespace

void rms_norm(const float* x, const float* weight, int64_t n_rows, int64_t width, float eps,
              float* out) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* row = x + r * width;
    const double inv = inv_rms(row, width, eps);
    for (int64_t i = 0; i < width; ++i) {
      out[r * width + i] = static_cast<float>(double{weight[i]} * row[i] * inv);
    }
  }
}

void add_rms_norm(float* residual, const float* x, const float* weight, int64_t n_rows,
                  int64_t width, float eps, float* out) {
  for (int64_t i = 0; i < n_rows * width; ++i) residual[i] += x[i];
  rms_norm(residual, weight, n_rows, width, eps, out);
}

void l2_normalize_rows(float* x, int64_t n_rows, int64_t width) {
  for (int64_t r = 0; r < n_rows; ++r) {
    float* row = x + r * width;
    double sum = 0.0;
    for (int64_t i = 0; i < width; ++i) sum += double{row[i]} * row[i];
    const double denom = std::fmax(std::sqrt(sum), 1e-12);
    for (int64_t i = 0; i < width; ++i) row[i] = static_cast<float>(row[i] / denom);
  }
}

void silu_mul(const float* gate_up, int64_t n_rows, int64_t width, float* out) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* gate = gate_up + r * 2 * width;
    const float* up = gate + width;
    for (int64_t i = 0; i < width; ++i) {
      const double g = gate[i];
      out[r * width + i] = static_cast<float>(g / (1.0 + std::exp(-g)) * up[i]);
    }
  }
}

void embedding_lookup(const void* table, DType table_dtype, int64_t width, const int32_t* ids,
                      int64_t n_ids, float* out) {
  const auto* bytes = static_cast<const uint8_t*>(table);
  for (int64_t i = 0; i < n_ids; ++i) {
    for (int64_t c = 0; c < width; ++c) {
      const int64_t e = int64_t{ids[i]} * width + c;
      if (table_dtype == DType::kF32) {
        std::memcpy(&out[i * width + c], bytes + 4 * e, 4);
      } else {
        uint16_t bits;
        std::memcpy(&bits, bytes + 2 * e, 2);
        out[i * width + c] = table_dtype == DType::kBF16 ? bf16_to_f32(bits) : f16_to_f32(bits);
      }
    }
  }
}

void qk_norm_rope(float* qkv, int64_t row_stride, int64_t n_tokens, int n_heads, int n_kv_heads,
                  int head_dim, const float* q_norm, const float* k_norm, float eps,
                  const int32_t* positions, float theta) {
  const int half = head_dim / 2;
  std::vector<float> normed(static_cast<size_t>(head_dim));
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int h = 0; h < n_heads + n_kv_heads; ++h) {
      float* x = qkv + t * row_stride + int64_t{h} * head_dim;
      rms_norm(x, h < n_heads ? q_norm : k_norm, 1, head_dim, eps, normed.data());
      for (int i = 0; i < half; ++i) {
        // HF: inv_freq = 1 / theta ** (float(2i) / d) and freq = float(pos) * inv_freq, in f32.
        const float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim);
        const float inv_freq = 1.0f / std::pow(theta, exponent);
        const double freq = static_cast<float>(positions[t]) * inv_freq;
        const double c = std::cos(freq), s = std::sin(freq);
        x[i] = static_cast<float>(normed[i] * c - normed[i + half] * s);
        x[i + half] = static_cast<float>(normed[i + half] * c + normed[i] * s);
      }
    }
  }
}

}  // namespace fourbrain::kernels::ref
