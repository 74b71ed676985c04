#include <cmath>
#include <vector>

#include "kernels/ref/ref.h"

namespace fourbrain::kernels::ref {

void add(const float* a, const float* b, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void matmul_bias(const float* x, const float* w, const float* bias, int64_t m, int64_t n, int64_t k,
                 float* y) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = bias[j];
      for (int64_t p = 0; p < k; ++p) sum += double{x[i * k + p]} * double{w[j * k + p]};
      y[i * n + j] = static_cast<float>(sum);
    }
  }
}

void layer_norm(const float* x, const float* weight, const float* bias, int64_t n_rows,
                int64_t width, float eps, float* out) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* row = x + r * width;
    double mean = 0.0, var = 0.0;
    for (int64_t i = 0; i < width; ++i) mean += row[i];
    mean /= static_cast<double>(width);
    for (int64_t i = 0; i < width; ++i) var += (row[i] - mean) * (row[i] - mean);
    var /= static_cast<double>(width);
    const double rstd = 1.0 / std::sqrt(var + eps);
    for (int64_t i = 0; i < width; ++i) {
      out[r * width + i] = static_cast<float>((row[i] - mean) * rstd * weight[i] + bias[i]);
    }
  }
}

void add_layer_norm(const float* x, const float* residual, const float* weight, const float* bias,
                    int64_t n_rows, int64_t width, float eps, float* out) {
  std::vector<float> sum(static_cast<size_t>(n_rows * width));
  for (size_t i = 0; i < sum.size(); ++i) sum[i] = x[i] + residual[i];
  layer_norm(sum.data(), weight, bias, n_rows, width, eps, out);
}

void unary_activation(const float* x, int64_t n, int act, float* out) {
  const double pi = std::acos(-1.0);
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i];
    double y = 0.0;
    if (act == 0) {
      y = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    } else if (act == 1) {
      y = 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / pi) * (v + 0.044715 * v * v * v)));
    } else {
      y = std::tanh(v);
    }
    out[i] = static_cast<float>(y);
  }
}

void pool_tokens(const float* x, int64_t width, const int32_t* cu_seqlens, int64_t n_seqs, int mode,
                 float* out) {
  for (int64_t s = 0; s < n_seqs; ++s) {
    const int64_t begin = cu_seqlens[s], end = cu_seqlens[s + 1];
    for (int64_t c = 0; c < width; ++c) {
      double value = 0.0;
      if (mode == 0) {
        for (int64_t t = begin; t < end; ++t) value += x[t * width + c];
        if (end > begin) value /= static_cast<double>(end - begin);
      } else {
        value = x[(mode == 1 ? begin : end - 1) * width + c];
      }
      out[s * width + c] = static_cast<float>(value);
    }
  }
}

}  // namespace fourbrain::kernels::ref
