#include "kernels/cpu/rope.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "kernels/cpu/isa.h"
#include "kernels/cpu/parallel.h"

namespace fourbrain::kernels::cpu {
namespace {

// cos and sin of position * inv_freq for positions [0, n_positions), [position][half].
struct RopeTable {
  int32_t n_positions = 0;
  std::vector<float> cos, sin;
};

void fill_cos_sin(const float* inv_freq, int half, int32_t position, float* cos, float* sin) {
  for (int i = 0; i < half; ++i) {
    const float freq = static_cast<float>(position) * inv_freq[i];
    cos[i] = static_cast<float>(std::cos(static_cast<double>(freq)));
    sin[i] = static_cast<float>(std::sin(static_cast<double>(freq)));
  }
}

std::shared_ptr<const RopeTable> build_table(int head_dim, float theta, int32_t n_positions) {
  const int half = head_dim / 2;
  std::vector<float> inv_freq(static_cast<size_t>(half));
  rope_inv_freq(head_dim, theta, inv_freq.data());
  auto table = std::make_shared<RopeTable>();
  table->n_positions = n_positions;
  table->cos.resize(static_cast<size_t>(n_positions) * half);
  table->sin.resize(static_cast<size_t>(n_positions) * half);
  parallel_for_rows(n_positions, 16 * half, [&](int64_t p) {
    fill_cos_sin(inv_freq.data(), half, static_cast<int32_t>(p), table->cos.data() + p * half,
                 table->sin.data() + p * half);
  });
  return table;
}

// A table covering at least positions [0, needed), from a process-wide cache.
std::shared_ptr<const RopeTable> table_for(int head_dim, float theta, int32_t needed) {
  static std::mutex mu;
  static std::map<std::pair<int, float>, std::shared_ptr<const RopeTable>> tables;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = tables[{head_dim, theta}];
  if (!slot || slot->n_positions < needed) {
    int32_t n = 4096;
    while (n < needed) n *= 2;
    slot = build_table(head_dim, theta, std::min(n, kRopeTableMaxPositions));
  }
  return slot;
}

// One head in place: RMSNorm with `weight`, then rotate pairs (i, i + half).
FB_MULTIVERSION void norm_rope_head(float* x, int head_dim, const float* weight, float eps,
                                    const float* cos, const float* sin) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int i = 0; i < head_dim; ++i) sum += x[i] * x[i];
  const float inv = 1.0f / std::sqrt(sum / static_cast<float>(head_dim) + eps);
  const int half = head_dim / 2;
  float* x1 = x;
  float* x2 = x + half;
  const float* w1 = weight;
  const float* w2 = weight + half;
#pragma omp simd
  for (int i = 0; i < half; ++i) {
    const float a = w1[i] * (x1[i] * inv);
    const float b = w2[i] * (x2[i] * inv);
    // HF: q * cos + rotate_half(q) * sin, as separate float ops (no fused multiply-add).
    x1[i] = a * cos[i] + (-b) * sin[i];
    x2[i] = b * cos[i] + a * sin[i];
  }
}

}  // namespace

void rope_inv_freq(int head_dim, float theta, float* inv_freq) {
  for (int i = 0; i < head_dim / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim);
    const float power = static_cast<float>(std::pow(static_cast<double>(theta), exponent));
    inv_freq[i] = 1.0f / power;
  }
}

void qk_norm_rope(const QkNormRopeArgs& a) {
  int32_t max_position = 0;
  for (int64_t t = 0; t < a.n_tokens; ++t) max_position = std::max(max_position, a.positions[t]);
  const auto table =
      table_for(a.head_dim, a.theta, std::min(max_position + 1, kRopeTableMaxPositions));
  const int half = a.head_dim / 2;
  std::vector<float> inv_freq(static_cast<size_t>(half));
  rope_inv_freq(a.head_dim, a.theta, inv_freq.data());
  const int heads = a.n_heads + a.n_kv_heads;
  parallel_for_rows(a.n_tokens, int64_t{heads} * a.head_dim, [&](int64_t t) {
    const int32_t position = a.positions[t];
    const float* cos;
    const float* sin;
    thread_local std::vector<float> own;
    if (position < table->n_positions) {
      cos = table->cos.data() + int64_t{position} * half;
      sin = table->sin.data() + int64_t{position} * half;
    } else {
      own.resize(static_cast<size_t>(2 * half));
      fill_cos_sin(inv_freq.data(), half, position, own.data(), own.data() + half);
      cos = own.data();
      sin = own.data() + half;
    }
    float* row = a.qkv + t * a.row_stride;
    for (int h = 0; h < heads; ++h) {
      norm_rope_head(row + int64_t{h} * a.head_dim, a.head_dim, h < a.n_heads ? a.q_norm : a.k_norm,
                     a.eps, cos, sin);
    }
  });
}

}  // namespace fourbrain::kernels::cpu
