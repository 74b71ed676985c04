#include <cmath>
#include <vector>

#include "kernels/ref/ref.h"

namespace fourbrain::kernels::ref {

void attention(const float* qkv, int64_t row_stride, const int32_t* cu_seqlens, int64_t n_seqs,
               int n_heads, int n_kv_heads, int head_dim, bool causal, float* out) {
  const int n_rep = n_heads / n_kv_heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  for (int64_t s = 0; s < n_seqs; ++s) {
    const int64_t begin = cu_seqlens[s];
    const int64_t len = cu_seqlens[s + 1] - begin;
    std::vector<double> scores(static_cast<size_t>(len));
    for (int h = 0; h < n_heads; ++h) {
      const int g = h / n_rep;
      const int64_t q_col = int64_t{h} * head_dim;
      const int64_t k_col = int64_t{n_heads + g} * head_dim;
      const int64_t v_col = int64_t{n_heads + n_kv_heads + g} * head_dim;
      for (int64_t i = 0; i < len; ++i) {
        const float* q = qkv + (begin + i) * row_stride + q_col;
        const int64_t n_keys = causal ? i + 1 : len;
        double max = -INFINITY;
        for (int64_t j = 0; j < n_keys; ++j) {
          const float* k = qkv + (begin + j) * row_stride + k_col;
          double dot = 0.0;
          for (int x = 0; x < head_dim; ++x) dot += double{q[x]} * double{k[x]};
          scores[static_cast<size_t>(j)] = dot * scale;
          max = std::fmax(max, dot * scale);
        }
        double sum = 0.0;
        for (int64_t j = 0; j < n_keys; ++j) {
          scores[static_cast<size_t>(j)] = std::exp(scores[static_cast<size_t>(j)] - max);
          sum += scores[static_cast<size_t>(j)];
        }
        float* o = out + (begin + i) * int64_t{n_heads} * head_dim + q_col;
        for (int x = 0; x < head_dim; ++x) {
          double acc = 0.0;
          for (int64_t j = 0; j < n_keys; ++j) {
            acc += scores[static_cast<size_t>(j)] * qkv[(begin + j) * row_stride + v_col + x];
          }
          o[x] = static_cast<float>(acc / sum);
        }
      }
    }
  }
}

}  // namespace fourbrain::kernels::ref
