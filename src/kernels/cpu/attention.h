// Ragged grouped-query attention on the CPU, flash-attention style: keys are visited in
// blocks with an online softmax, so no [L, L] score matrix is ever stored and memory use
// is a few small per-thread tiles whatever the sequence length.
//
// Work is split into tasks of (sequence, kv head, query block); the query heads sharing a
// kv head are processed together so every key/value row loaded serves all of them. Tasks
// are ordered longest first and handed out dynamically to the OpenMP threads, which keeps
// mixed-length batches balanced. A task's arithmetic depends only on its own sequence, so
// a sequence gives bit-identical output alone or inside any batch.
//
// The caller validates sizes (ops/ does); the kernel trusts them. Thread-safe: calls on
// disjoint outputs may run concurrently. Never fails.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace fourbrain::kernels::cpu {

struct AttentionArgs {
  // [n_tokens, row_stride] f32: n_heads query heads, then n_kv_heads key heads, then
  // n_kv_heads value heads, each head_dim wide.
  const float* qkv = nullptr;
  int64_t qkv_row_stride = 0;
  const int32_t* cu_seqlens = nullptr;  // [n_seqs + 1], non-decreasing, starts at 0
  int64_t n_seqs = 0;
  int n_heads = 0;
  int n_kv_heads = 0;  // divides n_heads
  int head_dim = 0;
  bool causal = false;
  float scale = 0.0f;   // usually 1 / sqrt(head_dim)
  void* out = nullptr;  // [n_tokens, out_row_stride] of out_dtype (f32 or bf16)
  DType out_dtype = DType::kF32;
  int64_t out_row_stride = 0;
};

void attention(const AttentionArgs& args);

}  // namespace fourbrain::kernels::cpu
