// Device-neutral tensor ops used by nn/ and models/.
//
// Each op validates dtypes and shapes (InvalidArgument naming the op and the shapes),
// then dispatches on (device, dtype) to a kernel in kernels/. Activations are f32
// [n_tokens, features] row-major unless stated. Outputs are preallocated by the caller
// and may not alias inputs unless the op says "in place". Ops are thread-compatible:
// concurrent calls on disjoint outputs are safe; each op may use all cores internally.
//
// bf16 activations: ops whose output feeds a linear (rms_norm, add_rms_norm, layer_norm,
// attention, silu_mul, activation) also accept a bf16 `out` (the f32 result rounded once), and
// linear accepts a bf16 x when its weight was prepared with kBF16. Under kBF16 that skips a
// separate f32 -> bf16 pass over the activations before every GEMM, with identical results.
//
// Backends: CPU, and CUDA for the ops of the Qwen3 decoder (embedding_lookup, rms_norm,
// add_rms_norm, qk_norm_rope, attention, silu_mul, linear, gather_rows) and of the encoders
// (layer_norm, add_layer_norm, add, activation, pool_tokens, convert). CUDA ops run on
// the calling thread's current context (kernels::cuda::ContextScope), asynchronously; they
// do not read index tensors (ids, positions, cu_seqlens) on the host, so the caller must
// pass valid ones. On CUDA, qkv and gate_up may also be bf16 and linear may write bf16.
// Other ops given CUDA tensors return Unsupported.
#pragma once

#include <cstdint>
#include <memory>

#include "base/status.h"
#include "core/tensor.h"

namespace fourbrain::ops {

// Precision of the GEMMs: kF32 keeps everything in f32 (used to match HF f32 exactly);
// kBF16 rounds the GEMM inputs to bf16 and accumulates in f32 (AMX / avx512_bf16).
// kFp8 (CUDA only): E4M3 weights with per-channel scales and activations quantized per token
// at run time (prepare_fp8 makes such weights).
// kNvfp4 (CUDA only): 4-bit E2M1 weights with E4M3 scales per 16 inputs and a global scale,
// bf16 activations (prepare_nvfp4). On Hopper, more than 64 tokens run on FP8 tensor cores:
// the weights decoded to E4M3 (code x block scale, rounded once), activations per token.
enum class MatmulPrecision { kF32, kBF16, kFp8, kNvfp4 };

// A weight matrix W [out_features, in_features] (and optionally a bias [out_features])
// prepared once for repeated y = x · Wᵀ (+ bias) products (converted and, where the backend
// wants, re-laid out; the backend adds the bias inside the GEMM).
// Immutable after prepare(); safe to use from many threads.
class LinearWeight {
 public:
  // `weight` is bf16, f16 or f32 [out, in]; `bias` (null: none) is bf16, f16 or f32 [out] and
  // is kept in f32 whatever the precision. Both are host tensors read during prepare() only.
  // With `device_memory` (a CUDA allocator) the weight is uploaded there for the CUDA
  // backend, which runs kBF16 only.
  static Result<std::shared_ptr<const LinearWeight>> prepare(const Tensor& weight,
                                                             MatmulPrecision precision,
                                                             const Tensor* bias = nullptr,
                                                             Allocator* device_memory = nullptr);
  // An FP8 weight for the CUDA backend from already quantized parts: `codes` u8 (E4M3)
  // [out, in] and `scales` f32 [out] (dequant multipliers), host tensors uploaded to
  // `device_memory` (a CUDA allocator). `fast_accumulation`: the GEMMs keep their partial
  // sums in the tensor cores' accumulator (kernels::cuda::Fp8GemmArgs).
  static Result<std::shared_ptr<const LinearWeight>> prepare_fp8(const Tensor& codes,
                                                                 const Tensor& scales,
                                                                 Allocator& device_memory,
                                                                 bool fast_accumulation = false);
  // An NVFP4 weight for the CUDA backend: `packed` u8 [out, in / 2] (two E2M1 codes a byte,
  // the even input in the low nibble), `block_scales` u8 (E4M3) [out, in / 16] and
  // `global_scale` (w = code x block scale x global, ModelOpt's export semantics); in % 64
  // and out % 8 must be 0. Host tensors, uploaded to `device_memory`; the weight keeps its
  // 4.5 bits per value on the device. `fast_accumulation` as prepare_fp8's, for the FP8
  // GEMMs of larger batches on Hopper.
  static Result<std::shared_ptr<const LinearWeight>> prepare_nvfp4(const Tensor& packed,
                                                                   const Tensor& block_scales,
                                                                   float global_scale,
                                                                   Allocator& device_memory,
                                                                   bool fast_accumulation = false);
  virtual ~LinearWeight() = default;
  virtual int64_t out_features() const = 0;
  virtual int64_t in_features() const = 0;
  virtual MatmulPrecision precision() const = 0;
  virtual bool has_bias() const = 0;
  // Bytes this prepared weight holds.
  virtual size_t nbytes() const = 0;
  // Whether an x of n rows had best come as FP8 rows (LinearInput): FP8 weights, and weights
  // whose product at n rows runs on FP8 tensor cores anyway (NVFP4 on Hopper, n > 64).
  virtual bool takes_fp8_rows(int64_t /*n*/) const { return false; }
};

// y [n, out] = x [n, in] · Wᵀ (+ bias). x f32 (or bf16 for a kBF16 weight), y f32.
// On CUDA: x bf16, y f32 or bf16 (kFp8 weights quantize x per token first).
Status linear(const Tensor& x, const LinearWeight& weight, Tensor& y);

// y [n, out] += x [n, in] · Wᵀ (+ bias): a residual add. y f32. On CUDA the add is the
// GEMM's epilogue (beta = 1), so the product never makes a pass of its own.
Status linear_accumulate(const Tensor& x, const LinearWeight& weight, Tensor& y);

// Activations quantized per row (token) to FP8 E4M3, as an FP8 weight's GEMM reads them
// (CUDA only): codes u8 [n, k] and scales f32 [n]; value = code x scale, with scale = the
// row's amax / 448 (1 for a zero row) and codes rounded to nearest even and saturated.
struct Fp8Rows {
  Tensor codes;
  Tensor scales;
};

// What a linear reads: activations (a tensor, as linear() takes them) or, for an FP8 weight
// on CUDA, FP8 rows written directly by the op that produced them (rms_norm, silu_mul), so
// no pass of its own quantizes them before each GEMM.
class LinearInput {
 public:
  LinearInput(Tensor values) : values_(std::move(values)) {}  // NOLINT: a tensor is an input
  explicit LinearInput(Fp8Rows rows) : rows_(std::move(rows)), is_fp8_(true) {}
  // Codes and scales for n rows of k FP8 activations from `allocator`.
  static Result<LinearInput> fp8_rows(int64_t n, int64_t k, Allocator& allocator);

  bool is_fp8() const { return is_fp8_; }
  const Tensor& values() const { return values_; }
  Tensor& values() { return values_; }
  const Fp8Rows& fp8() const { return rows_; }
  Fp8Rows& fp8() { return rows_; }
  LinearInput slice_rows(int64_t begin, int64_t end) const;

 private:
  Tensor values_;
  Fp8Rows rows_;
  bool is_fp8_ = false;
};

// linear() and linear_accumulate() from either kind of input; FP8 rows need an FP8 weight.
Status linear(const LinearInput& x, const LinearWeight& weight, Tensor& y);
Status linear_accumulate(const LinearInput& x, const LinearWeight& weight, Tensor& y);

// rms_norm() and silu_mul() into either kind of input; FP8 rows are quantized from the f32
// results (CUDA only).
Status rms_norm(const Tensor& x, const Tensor& weight, float eps, LinearInput& out);
Status silu_mul(const Tensor& gate_up, LinearInput& out);
// x bf16 [n, k] (CUDA) as FP8 rows `out` [n, k]: what an FP8 weight does to a bf16 x.
Status quantize_fp8_rows(const Tensor& x, Fp8Rows& out);

// Rows of `table` (bf16/f16/f32 [vocab, hidden]) for each id (i32 [n]) into out f32 [n, hidden].
// An id outside the table is InvalidArgument.
Status embedding_lookup(const Tensor& table, const Tensor& ids, Tensor& out);
// The same from an NVFP4 table (CUDA only): `packed` u8 [v, h / 2], `scales` u8 (e4m3)
// [v, h / 16], value = code x scale x global_scale; out f32 [n, h].
Status embedding_lookup_nvfp4(const Tensor& packed, const Tensor& scales, float global_scale,
                              const Tensor& ids, Tensor& out);

// out = rms_norm(x) * weight, as HF Qwen3RMSNorm in f32: x * rsqrt(mean(x²) + eps) * w.
// x f32 [n, h], weight f32 [h], out f32/bf16 [n, h] (an f32 out may alias x).
Status rms_norm(const Tensor& x, const Tensor& weight, float eps, Tensor& out);

// In place: residual += x; out = rms_norm(residual) * weight. out f32/bf16 (an f32 out may be
// x itself).
Status add_rms_norm(Tensor& residual, const Tensor& x, const Tensor& weight, float eps,
                    Tensor& out);

// In place on qkv f32 [n, (n_heads + 2*n_kv_heads) * head_dim] (q, then k, then v columns):
// per-head RMSNorm of q (q_norm f32 [head_dim]) and k (k_norm), then half-split RoPE
// (pairs i, i + head_dim/2) with theta `rope_theta` at positions (i32 [n]).
Status qk_norm_rope(Tensor& qkv, int n_heads, int n_kv_heads, int head_dim, const Tensor& q_norm,
                    const Tensor& k_norm, float eps, const Tensor& positions, float rope_theta);

// Ragged grouped-query attention. qkv as above (after qk_norm_rope); cu_seqlens i32
// [n_seqs + 1] with cu_seqlens[0] = 0 and cu_seqlens[n_seqs] = n; out f32/bf16
// [n, n_heads*head_dim]. Every sequence length must be <= max_seqlen.
// Query head h reads kv head h / (n_heads / n_kv_heads). Scale 1/sqrt(head_dim).
// `causal` masks keys after the query within each sequence; sequences never see each other.
Status attention(const Tensor& qkv, const Tensor& cu_seqlens, int max_seqlen, int n_heads,
                 int n_kv_heads, int head_dim, bool causal, Tensor& out);

// gate_up f32 [n, 2*inter] (gate columns, then up columns) -> out f32/bf16 [n, inter] =
// silu(gate) * up.
Status silu_mul(const Tensor& gate_up, Tensor& out);

// Encoder ops (BERT family).

// out = layer_norm(x) * weight + bias, as torch.nn.LayerNorm in f32 (biased variance).
// x f32 [n, h], weight and bias f32 [h], out f32/bf16 [n, h] (an f32 out may be x itself).
Status layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                  Tensor& out);

// out = layer_norm(x + residual) * weight + bias: BERT's post-LN residual step. x, residual,
// out f32 [n, h]; out may be x or residual itself (not a partial overlap).
Status add_layer_norm(const Tensor& x, const Tensor& residual, const Tensor& weight,
                      const Tensor& bias, float eps, Tensor& out);

// out = a + b, all f32 of one shape; out may be a or b itself.
Status add(const Tensor& a, const Tensor& b, Tensor& out);

enum class Activation {
  kGelu,      // exact erf form: hidden_act "gelu"
  kGeluTanh,  // tanh approximation: "gelu_new", "gelu_pytorch_tanh", "gelu_fast"
  kTanh,
};

// out = act(x); x f32 [n, d], out f32/bf16 [n, d] (an f32 out may be x itself).
Status activation(const Tensor& x, Activation act, Tensor& out);

enum class TokenPooling {
  kMean,   // mean of the sequence's rows (an empty sequence gives zeros)
  kFirst,  // first row: [CLS] / <s>
  kLast,   // last row (last-token pooling)
};

// One row per sequence of a ragged batch: x f32 [n, d], cu_seqlens i32 [n_seqs + 1] (from 0
// to n, non-decreasing), out f32 [n_seqs, d]. kFirst/kLast need every sequence non-empty.
Status pool_tokens(const Tensor& x, const Tensor& cu_seqlens, TokenPooling mode, Tensor& out);

// dst bf16 = src f32 rounded (same shape): a bf16 GEMM input made from an f32 tensor.
Status convert(const Tensor& src, Tensor& dst);

// In place: each row of x f32 [n, d] divided by its L2 norm (rows of zeros stay zero),
// as torch.nn.functional.normalize(p=2, eps=1e-12).
Status l2_normalize_rows(Tensor& x);

}  // namespace fourbrain::ops
