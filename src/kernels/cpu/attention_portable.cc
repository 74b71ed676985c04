// The portable attention task: plain C++ the compiler vectorises (cloned for AVX2 and
// AVX-512 where the CPU has them). One query row at a time against key blocks of
// kKeyBlock, with one online-softmax rescale per block. Used when AVX-512 is missing or
// head_dim is not a multiple of 16; the AVX-512 task is the tuned one.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/cpu/attention_internal.h"
#include "kernels/cpu/isa.h"

namespace fourbrain::kernels::cpu::attention_detail {
namespace {

// acc[0:d] = sum_j softmax_j(scale * q·k_j) * v_j over keys [0, n_keys), where key j and
// value j sit j * stride floats after `keys` and `values`. Returns the softmax denominator;
// acc is left unnormalised.
FB_MULTIVERSION float attend_row(const float* q, const float* keys, const float* values,
                                 int64_t stride, int32_t n_keys, int d, float scale, float* scores,
                                 float* acc) {
  float max = -std::numeric_limits<float>::infinity();
  float sum = 0.0f;
  std::fill(acc, acc + d, 0.0f);
  for (int32_t kb = 0; kb < n_keys; kb += kKeyBlock) {
    const int nk = std::min(kKeyBlock, n_keys - kb);
    float block_max = max;
    for (int j = 0; j < nk; ++j) {
      const float* k = keys + (kb + j) * stride;
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
      for (int x = 0; x < d; ++x) dot += q[x] * k[x];
      scores[j] = dot * scale;
      block_max = std::max(block_max, scores[j]);
    }
    const float alpha = std::exp(max - block_max);  // 0 on the first block
    sum *= alpha;
#pragma omp simd
    for (int x = 0; x < d; ++x) acc[x] *= alpha;
    for (int j = 0; j < nk; ++j) {
      const float p = std::exp(scores[j] - block_max);
      const float* v = values + (kb + j) * stride;
      sum += p;
#pragma omp simd
      for (int x = 0; x < d; ++x) acc[x] += p * v[x];
    }
    max = block_max;
  }
  return sum;
}

}  // namespace

void run_task_portable(const AttentionArgs& a, const Task& t, Workspace& ws) {
  const int n_rep = a.n_heads / a.n_kv_heads;
  const int d = a.head_dim;
  if (ws.floats.size() < static_cast<size_t>(d + kKeyBlock))
    ws.floats.resize(static_cast<size_t>(d + kKeyBlock));
  float* acc = ws.floats.data();
  float* scores = acc + d;
  const float* base = a.qkv + t.token_begin * a.qkv_row_stride;
  const float* keys = base + int64_t{a.n_heads + t.kv_head} * d;
  const float* values = base + int64_t{a.n_heads + a.n_kv_heads + t.kv_head} * d;
  for (int32_t i = t.q_begin; i < t.q_end; ++i) {
    const int32_t n_keys = a.causal ? i + 1 : t.seq_len;
    for (int r = 0; r < n_rep; ++r) {
      const int64_t head_col = int64_t{t.kv_head * n_rep + r} * d;
      const float* q = base + i * a.qkv_row_stride + head_col;
      const float inv =
          1.0f / attend_row(q, keys, values, a.qkv_row_stride, n_keys, d, a.scale, scores, acc);
      const int64_t out_offset = (t.token_begin + i) * a.out_row_stride + head_col;
      if (a.out_dtype == DType::kBF16) {
        auto* out = static_cast<uint16_t*>(a.out) + out_offset;
        for (int x = 0; x < d; ++x) out[x] = f32_to_bf16(acc[x] * inv);
      } else {
        float* out = static_cast<float*>(a.out) + out_offset;
        for (int x = 0; x < d; ++x) out[x] = acc[x] * inv;
      }
    }
  }
}

}  // namespace fourbrain::kernels::cpu::attention_detail
