// Qwen3's attention prologue: per-head RMSNorm of the q and k heads, then half-split
// rotary position embedding (pairs i and i + head_dim/2), in place on the fused qkv rows.
//
// cos/sin follow HF's float32 recipe: inv_freq = 1 / theta^(float(2i) / d), freq =
// float(position) * inv_freq, then cos/sin of that float. pow/cos/sin are evaluated in
// double and rounded once, so they are correctly rounded where torch's SLEEF versions are
// within 1 ulp; freq itself matches torch bit for bit. Tables for positions below
// kRopeTableMaxPositions are built once per (head_dim, theta) and shared (thread-safe,
// grown on demand); rarer, larger positions are computed on the fly.
//
// Sizes are trusted (ops/ validates). Thread-safe on disjoint rows; never fails.
#pragma once

#include <cstdint>

namespace fourbrain::kernels::cpu {

constexpr int32_t kRopeTableMaxPositions = 1 << 16;

struct QkNormRopeArgs {
  float* qkv = nullptr;  // [n_tokens, row_stride]: q heads, then k heads (then v, untouched)
  int64_t row_stride = 0;
  int64_t n_tokens = 0;
  int n_heads = 0;
  int n_kv_heads = 0;
  int head_dim = 0;               // even
  const float* q_norm = nullptr;  // [head_dim]
  const float* k_norm = nullptr;  // [head_dim]
  float eps = 0.0f;
  const int32_t* positions = nullptr;  // [n_tokens], each >= 0
  float theta = 0.0f;
};

void qk_norm_rope(const QkNormRopeArgs& args);

// inv_freq[i] for i < head_dim / 2, exactly as HF computes it in float32.
void rope_inv_freq(int head_dim, float theta, float* inv_freq);

}  // namespace fourbrain::kernels::cpu
