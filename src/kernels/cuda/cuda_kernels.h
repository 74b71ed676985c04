// The CUDA kernels behind ops/ for the Qwen3 decoder, as host-callable launchers: raw device
// pointers, sizes and the Context whose stream runs them. Plain C++ (no CUDA headers).
//
// Launchers validate nothing that ops/ already validated (shapes, dtypes); index values
// (token ids, positions, cu_seqlens, rows) are read on the device only and must be valid.
// They return launch errors at once; faults during execution surface at synchronize().
// Activations are row-major; `DType` arguments pick f32 or bf16 storage.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "core/dtype.h"
#include "kernels/cuda/cuda_backend.h"

namespace fourbrain::kernels::cuda {

// out f32 [n, hidden] = rows of table (f32/bf16/f16 [vocab, hidden]) at ids.
Status embedding_lookup(Context& ctx, const void* table, DType table_dtype, int64_t hidden,
                        const int32_t* ids, int64_t n, float* out);

// out (f32/bf16) [n, h] = x * rsqrt(mean(x²) + eps) * weight, in f32. out may alias x (f32).
Status rms_norm(Context& ctx, const float* x, const float* weight, float eps, int64_t n,
                int64_t h, void* out, DType out_dtype);

// The same norm as FP8 rows (see quantize_fp8_rows): codes (e4m3 [n, h]) and scales ([n])
// of the f32 normed values, so the FP8 GEMM that reads them needs no pass of its own.
Status rms_norm_fp8(Context& ctx, const float* x, const float* weight, float eps, int64_t n,
                    int64_t h, uint8_t* codes, float* scales);

// residual += x; out = rms_norm(residual) * weight. One pass over the rows.
Status add_rms_norm(Context& ctx, float* residual, const float* x, const float* weight,
                    float eps, int64_t n, int64_t h, void* out, DType out_dtype);

// In place on qkv (f32/bf16 [n, (n_heads + 2*n_kv_heads) * head_dim]): per-head RMSNorm of
// the q and k heads, then half-split RoPE at `positions` (i32 [n]); v untouched.
struct QkNormRopeArgs {
  void* qkv = nullptr;
  DType dtype = DType::kF32;
  int64_t n_tokens = 0;
  int n_heads = 0, n_kv_heads = 0, head_dim = 0;
  const float* q_norm = nullptr;  // f32 [head_dim]
  const float* k_norm = nullptr;  // f32 [head_dim]
  float eps = 1e-6f;
  const int32_t* positions = nullptr;
  float theta = 10000.0f;
};
Status qk_norm_rope(Context& ctx, const QkNormRopeArgs& args);

// Ragged grouped-query flash attention over packed sequences (no padding): bf16 tensor-core
// products, f32 online softmax. head_dim 32, 64 or 128 (Unsupported otherwise).
struct AttentionArgs {
  const void* qkv = nullptr;  // f32/bf16 [n, (n_heads + 2*n_kv_heads) * head_dim]
  DType qkv_dtype = DType::kBF16;
  const int32_t* cu_seqlens = nullptr;  // i32 [n_seqs + 1], on the device
  int n_seqs = 0;
  int max_seqlen = 0;
  int n_heads = 0, n_kv_heads = 0, head_dim = 0;
  bool causal = true;
  float scale = 1.0f;
  void* out = nullptr;  // f32/bf16 [n, n_heads * head_dim]
  DType out_dtype = DType::kBF16;
};
Status attention(Context& ctx, const AttentionArgs& args);

// out (f32/bf16) [n, inter] = silu(gate) * up, from gate_up (f32/bf16) [n, 2*inter].
Status silu_mul(Context& ctx, const void* gate_up, DType in_dtype, int64_t n, int64_t inter,
                void* out, DType out_dtype);
// The same as FP8 rows: codes (e4m3 [n, inter]) and scales ([n]) of the f32 products.
Status silu_mul_fp8(Context& ctx, const void* gate_up, DType in_dtype, int64_t n, int64_t inter,
                    uint8_t* codes, float* scales);

// out [m, row_bytes] = rows of x at `rows` (i32 [m]).
Status gather_rows(Context& ctx, const void* x, size_t row_bytes, const int32_t* rows,
                   int64_t m, void* out);

// y (f32/bf16) [n, out_features] = x (bf16 [n, k]) · wᵀ (w bf16 [out_features, k])
// (+ bias f32 [out_features], fused into the GEMM's epilogue), through cuBLASLt with f32
// accumulation. With `accumulate` the product is added to y (beta = 1: a residual add in
// the GEMM's own write). Algorithms are chosen once per shape and cached in the context.
struct GemmArgs {
  const uint16_t* x = nullptr;
  const uint16_t* w = nullptr;
  const float* bias = nullptr;  // null: none
  int64_t n = 0, out_features = 0, k = 0;
  void* y = nullptr;
  DType y_dtype = DType::kF32;
  bool accumulate = false;
};
Status gemm_bf16(Context& ctx, const GemmArgs& args);

// FP8 (E4M3) GEMMs with dynamic per-token activation scales, on Hopper and later:
// y (f32/bf16) [n, out] (+)= diag(x_scales) · (xq · wqᵀ) · diag(w_scales), through cuBLASLt's
// outer-vector scaling; xq e4m3 [n, k], wq e4m3 [out, k]. Sums are f32: by default the
// tensor cores' partial sums are promoted to f32 as the k loop goes; fast accumulation
// leaves them in the tensor cores' own accumulator (faster, fewer exact bits: cuBLASLt's
// FAST_ACCUM, what CUTLASS's FP8FastAccum kernels do).
struct Fp8GemmArgs {
  const uint8_t* x = nullptr;
  const float* x_scales = nullptr;  // [n]
  const uint8_t* w = nullptr;
  const float* w_scales = nullptr;  // [out_features]
  int64_t n = 0, out_features = 0, k = 0;
  void* y = nullptr;
  DType y_dtype = DType::kBF16;
  bool accumulate = false;  // y += (f32 y only)
  bool fast_accumulation = false;
};
Status gemm_fp8(Context& ctx, const Fp8GemmArgs& args);

// NVFP4 weights (e2m1 codes, e4m3 scales per 16 columns, one f32 global scale: w = code x
// block scale x global, ModelOpt's weight_scale_2), on GPUs without FP4 tensor cores.
// The weight is kept in one buffer in the "tiled" layout (ops/linear_cuda.cc lays it out)
// that the kernels stream with 16-byte copies: rows in blocks of kNvfp4BlockTiles 8-row
// tiles; per row block, per 64-column chunk, per tile a 288-byte unit:
//   bytes 0..255: lane l (row l / 4 of the tile, t = l % 4) has 8 bytes, two words; word w
//     holds the codes of 16-column steps j = 2w and 2w + 1, the mma B-fragment inputs
//     (2t, 2t+1, 2t+8, 2t+9) of each step: the magnitudes (3 bits) in nibbles 0..3 (step
//     2w) and 4..7 (step 2w + 1), the signs in the nibbles' top bits, placed so that a
//     mask or a shift puts them on the bf16 sign bits (nvfp4_tiled_layout says where);
//   bytes 256..287: the tile's 8 rows x 4 block scales (e4m3) of the chunk.
// k % 64 == 0, out % 8 == 0; the buffer holds out * k / 2 + out * k / 16 bytes.
constexpr int64_t kNvfp4BlockTiles = 32;
constexpr int64_t kNvfp4UnitBytes = 288;
constexpr int64_t kNvfp4SmallBatch = 64;
struct Nvfp4GemmArgs {
  const uint16_t* x = nullptr;  // bf16 [n, k]
  const uint8_t* w = nullptr;   // tiled codes and block scales
  float global_scale = 1.0f;
  int64_t n = 0, out_features = 0, k = 0;
  void* y = nullptr;  // f32/bf16 [n, out]
  DType y_dtype = DType::kBF16;
  bool accumulate = false;  // y += (f32 y only)
};
// y (+)= x · Wᵀ for n <= kNvfp4SmallBatch, reading the 4-bit weights directly (bf16 tensor
// cores, f32 accumulation, split over k in thread-block clusters; compute capability 9.0+).
bool nvfp4_small_batch_supported(const Context& ctx);
Status gemm_nvfp4_small(Context& ctx, const Nvfp4GemmArgs& args);
// out (f32 [n, hidden]) = rows `ids` of an NVFP4 embedding table: `packed` u8
// [v, hidden / 2] row-major (even column in the low nibble), e4m3 `scales` [v, hidden / 16].
Status embedding_lookup_nvfp4(Context& ctx, const int32_t* ids, int64_t n, int64_t hidden,
                             const uint8_t* packed, const uint8_t* scales, float global_scale,
                             float* out);
// W as bf16 [out, k] from the tiled layout (for cuBLASLt's bf16 GEMM at larger n).
Status dequantize_nvfp4(Context& ctx, const uint8_t* w, float global_scale, int64_t out_features,
                        int64_t k, uint16_t* w_bf16);
// W as e4m3 [out, k] from the tiled layout, for the FP8 GEMM at larger n on Hopper: code x
// block scale x row_multipliers[row] (f32 [out], powers of two on the device), rounded to
// nearest even and saturated; the GEMM's per-row scale then holds global / multiplier.
Status dequantize_nvfp4_fp8(Context& ctx, const uint8_t* w, const float* row_multipliers,
                            int64_t out_features, int64_t k, uint8_t* w_fp8);

// Dynamic per-token FP8: xq (e4m3 [n, k]) and scales ([n]) = amax(row) / 448 (1 for a zero
// row) from x (bf16 [n, k]); e4m3 rounds to nearest even and saturates.
Status quantize_fp8_rows(Context& ctx, const uint16_t* x, int64_t n, int64_t k, uint8_t* xq,
                         float* scales);

// Device scratch owned by the context, at least `bytes` (grown when needed, which waits for
// the stream); valid until the next call on the same context.
Result<void*> context_scratch(Context& ctx, size_t bytes);

// Encoder (BERT-family) kernels. All math in f32.

// out (f32/bf16) [n, h] = layer_norm(x + residual) * weight + bias, as torch.nn.LayerNorm
// (biased variance); residual may be null. out may alias x or residual (f32).
Status layer_norm(Context& ctx, const float* x, const float* residual, const float* weight,
                  const float* bias, float eps, int64_t n, int64_t h, void* out,
                  DType out_dtype);

// out = a + b over `count` floats; out may alias a or b.
Status add(Context& ctx, const float* a, const float* b, int64_t count, float* out);

enum class Activation { kGelu, kGeluTanh, kTanh };
// out (f32/bf16) = act(x) over `count` values; an f32 out may alias x.
Status activation(Context& ctx, const float* x, int64_t count, Activation act, void* out,
                  DType out_dtype);

enum class Pooling { kMean, kFirst, kLast };
// out f32 [n_seqs, d]: one row per sequence of x f32 [n, d] (cu_seqlens on the device).
Status pool_tokens(Context& ctx, const float* x, const int32_t* cu_seqlens, int64_t n_seqs,
                   int64_t d, Pooling mode, float* out);

// out bf16 = x f32, `count` values (a GEMM input from the f32 residual stream).
Status convert_to_bf16(Context& ctx, const float* x, int64_t count, uint16_t* out);

}  // namespace fourbrain::kernels::cuda
