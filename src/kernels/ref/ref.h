// Reference kernels: naive, obviously correct versions of every CPU/GPU kernel, used only
// by tests. They favour clarity over speed and accumulate in double, so they are the
// closest thing to the exact math the fast kernels approximate. Single-threaded,
// stateless, thread-safe; sizes are trusted.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace fourbrain::kernels::ref {

// y [m, n] = x [m, k] · wᵀ (w [n, k]).
void matmul(const float* x, const float* w, int64_t m, int64_t n, int64_t k, float* y);

// out = x / sqrt(mean(x^2) + eps) * weight, per row of width `width`.
void rms_norm(const float* x, const float* weight, int64_t n_rows, int64_t width, float eps,
              float* out);

// residual += x; out = rms_norm(residual) * weight.
void add_rms_norm(float* residual, const float* x, const float* weight, int64_t n_rows,
                  int64_t width, float eps, float* out);

// x /= max(||x||, 1e-12) per row.
void l2_normalize_rows(float* x, int64_t n_rows, int64_t width);

// out = silu(gate) * up for gate_up [n_rows, 2 * width].
void silu_mul(const float* gate_up, int64_t n_rows, int64_t width, float* out);

// out [n, width] f32 = table rows (f32/bf16/f16).
void embedding_lookup(const void* table, DType table_dtype, int64_t width, const int32_t* ids,
                      int64_t n_ids, float* out);

// Per-head RMSNorm of q and k heads, then half-split RoPE, in place (HF Qwen3 order).
void qk_norm_rope(float* qkv, int64_t row_stride, int64_t n_tokens, int n_heads, int n_kv_heads,
                  int head_dim, const float* q_norm, const float* k_norm, float eps,
                  const int32_t* positions, float theta);

// Ragged GQA attention, two-pass softmax in double; out [n_tokens, n_heads * head_dim].
void attention(const float* qkv, int64_t row_stride, const int32_t* cu_seqlens, int64_t n_seqs,
               int n_heads, int n_kv_heads, int head_dim, bool causal, float* out);

// Encoder ops (ref_encoder.cc).

// out = a + b elementwise.
void add(const float* a, const float* b, int64_t n, float* out);

// y [m, n] = x [m, k] · wᵀ + bias [n].
void matmul_bias(const float* x, const float* w, const float* bias, int64_t m, int64_t n, int64_t k,
                 float* y);

// out = (x - mean) / sqrt(var + eps) * weight + bias per row (biased variance).
void layer_norm(const float* x, const float* weight, const float* bias, int64_t n_rows,
                int64_t width, float eps, float* out);

// out = layer_norm(x + residual) * weight + bias.
void add_layer_norm(const float* x, const float* residual, const float* weight, const float* bias,
                    int64_t n_rows, int64_t width, float eps, float* out);

// 0: gelu (erf), 1: gelu (tanh approximation), 2: tanh; out[i] = act(x[i]).
void unary_activation(const float* x, int64_t n, int act, float* out);

// 0: mean, 1: first row, 2: last row of each sequence; out [n_seqs, width]. Empty
// sequences pool to zeros.
void pool_tokens(const float* x, int64_t width, const int32_t* cu_seqlens, int64_t n_seqs, int mode,
                 float* out);

// Rounds to bf16 and back (what a bf16 GEMM input sees).
float round_bf16(float x);

}  // namespace fourbrain::kernels::ref
