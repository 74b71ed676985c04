// Qwen3Model: the Qwen3 decoder stack on ragged batches, as HF transformers computes it
// (see ../shared/reference/qwen3.md §2), returning the final-normed hidden state of each
// sequence's last token — all that embedding (last-token pooling) and reranking (the
// yes/no logits at the last position) need.
//
// Loading memory-maps the checkpoint, validates it whole, and prepares the weights once
// (q/k/v and gate/up fused into one GEMM each). On the CPU the embedding table stays a view
// of the mapping. On a GPU (cuda_device >= 0) every weight the forward reads is uploaded
// once (bf16 GEMMs), and each concurrent forward takes an instance (stream + activation
// arena sized for max_batch_tokens) from a pool; a CUDA fault marks the model unhealthy.
// A loaded model is immutable: forward calls may run concurrently.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/ragged_batch.h"
#include "core/tensor.h"
#include "formats/safetensors.h"
#include "models/cuda_instances.h"
#include "models/named_linear.h"
#include "models/qwen3/qwen3_config.h"
#include "nn/linear.h"
#include "ops/ops.h"
#include "quant/quantized_checkpoint.h"

namespace fourbrain::models {

struct Qwen3LoadOptions {
  ops::MatmulPrecision precision = ops::MatmulPrecision::kF32;
  int cuda_device = -1;              // -1: the CPU; else the GPU's ordinal (bf16 only)
  int64_t max_batch_tokens = 8192;   // on a GPU: sizes each instance's activation arena
  bool quantize_embeddings = false;  // nvfp4 only: the embedding table in NVFP4 too
  // GEMMs on FP8 tensor cores (fp8; nvfp4 beyond 64 tokens on Hopper) promote their partial
  // sums to f32 as they go, instead of the faster default that keeps them in the tensor
  // cores' accumulator (ops::LinearWeight::prepare_fp8; docs/BENCHMARKS.md measures both).
  bool fp8_precise_accumulation = false;
  // On a GPU, the linear weights a quantized checkpoint stores (FP8 or NVFP4) run as stored,
  // with the codes and scales its quantizer chose, whatever `precision` (for the others)
  // says. Without it they still do where `precision` is their own; elsewhere (the CPU, a
  // different precision) they are dequantized as their library does (quant/stored_linear.h).
  bool keep_checkpoint_quantization = false;
};

// How the embedder and the reranker run their model.
struct Qwen3RunOptions {
  ops::MatmulPrecision precision = ops::MatmulPrecision::kF32;
  int64_t max_batch_tokens = 8192;        // tokens per ragged batch (bounds activation memory)
  int cuda_device = -1;                   // -1: the CPU
  bool quantize_embeddings = false;       // see Qwen3LoadOptions
  bool fp8_precise_accumulation = false;  // see Qwen3LoadOptions
  bool keep_checkpoint_quantization = false;  // see Qwen3LoadOptions
  Qwen3LoadOptions load_options() const {
    return {precision,
            cuda_device,
            max_batch_tokens,
            quantize_embeddings,
            fp8_precise_accumulation,
            keep_checkpoint_quantization};
  }
};

struct Qwen3Weights;

class Qwen3Model {
 public:
  static Result<std::unique_ptr<Qwen3Model>> load(const std::string& dir,
                                                  const Qwen3LoadOptions& options);

  const Qwen3Config& config() const { return config_; }
  // Rows of the embedding table (151669 or 151665 for the real models).
  int64_t vocab_size() const { return embed_tokens_.dim(0); }
  // Bytes of prepared weights this model holds (the mapped embedding table not included).
  size_t prepared_weight_bytes() const;
  // CPU: prepared weights plus the mapped embedding table. GPU: every device byte the model
  // holds (weights, the instances' arenas and cuBLASLt workspaces).
  size_t memory_bytes() const;
  bool on_cuda() const { return cuda_ != nullptr; }
  int cuda_device() const { return cuda_ ? cuda_->device() : -1; }
  // Device bytes of the instances' activation arenas (0 on the CPU).
  size_t workspace_bytes() const;
  // False once a CUDA fault has hit a forward pass (the device context is then unusable).
  bool healthy() const { return !cuda_ || cuda_->healthy(); }
  // Tests only (GPU): the next forward pass faults on the device (see
  // kernels::cuda::inject_fault_for_testing).
  Status inject_fault_for_testing() const;
  // Activation bytes a forward pass of `n_tokens` tokens (and as many sequences) needs on
  // a GPU: the arena size for max_batch_tokens.
  size_t arena_bytes(int64_t n_tokens) const;

  // f32 [n_seqs, hidden]: the final-normed hidden state at each sequence's last token.
  // Every sequence must be non-empty and its ids inside the vocabulary.
  Result<Tensor> forward_last_tokens(const RaggedBatch& batch) const;

  // A head made of chosen rows of the output matrix (lm_head, or embed_tokens when tied):
  // logits for just those tokens, never the full vocabulary. CausalLm checkpoints only.
  Result<nn::Linear> output_rows_head(const std::vector<int32_t>& token_ids) const;
  // The seq-cls score head [num_labels, hidden]. SequenceCls checkpoints only.
  Result<nn::Linear> score_head() const;
  // The decoder's Linears and the checkpoint modules of each (not the heads).
  std::vector<NamedLinear> named_linears() const;

 private:
  struct Layer {
    std::string prefix;     // its checkpoint names start so ("model.layers.3.")
    Tensor input_norm;      // f32 [hidden]
    nn::Linear qkv;         // [(n_heads + 2*n_kv_heads)*head_dim, hidden]
    Tensor q_norm, k_norm;  // f32 [head_dim]
    nn::Linear o_proj;      // [hidden, n_heads*head_dim]
    Tensor post_attn_norm;  // f32 [hidden]
    nn::Linear gate_up;     // [2*intermediate, hidden]
    nn::Linear down;        // [hidden, intermediate]
  };

  Status upload_nvfp4_embeddings();
  Status prepare_weights(const Qwen3Weights& w, const Qwen3LoadOptions& options);
  // The forward pass with activations from `scratch` (host or arena on the model's device).
  Result<Tensor> forward_on(const RaggedBatch& batch, Allocator& scratch) const;
  // A host tensor on the CPU; uploaded to the model's GPU otherwise.
  Result<Tensor> to_model_device(const Tensor& host) const;
  // Whether the ops feeding the GEMMs write FP8 rows (ops::LinearInput) for n tokens: when
  // the weights take them (FP8 weights; NVFP4 on Hopper beyond the small-batch kernel).
  // `readers`: the Linears, in every layer, that read the buffer; all of them must take them.
  bool fp8_rows(int64_t n, std::initializer_list<nn::Linear Layer::*> readers) const;
  // The Linear of checkpoint weights `names` (bound into `parts`, undefined where the
  // checkpoint keeps them quantized), stacked: see Qwen3LoadOptions for its precision.
  Result<nn::Linear> make_linear(const std::vector<std::string>& names, std::vector<Tensor> parts,
                                 const Qwen3LoadOptions& options);

  // The GPU the model runs on (null: the CPU); declared first so that it is destroyed
  // after the weights it holds.
  std::unique_ptr<CudaPlacement> cuda_;

  Qwen3Config config_;
  ops::MatmulPrecision precision_ = ops::MatmulPrecision::kF32;
  // Keeps the mapping alive for the borrowed tensors. On a GPU, quantized linear weights stay
  // as stored until make_linear takes them; on the CPU they are dequantized when opened.
  quant::QuantizedCheckpoint checkpoint_;
  int stored_linears_ = 0;          // Linears that run a stored quantized weight as it is stored
  Tensor embed_tokens_;             // [vocab, hidden], borrowed from the mapping (CPU)
  Tensor device_embed_tokens_;      // [vocab, hidden] on the GPU (GPU only; empty if NVFP4)
  // NVFP4 embedding table on the GPU (quantize_embeddings): codes u8 [vocab, hidden / 2],
  // e4m3 scales u8 [vocab, hidden / 16], one global scale.
  Tensor nvfp4_embed_codes_, nvfp4_embed_scales_;
  float nvfp4_embed_global_ = 0.0f;
  Tensor output_matrix_;  // [vocab, hidden] lm_head or tied embed_tokens (borrowed)
  Tensor score_;          // [num_labels, hidden] (borrowed), seq-cls only
  std::vector<Layer> layers_;
  Tensor final_norm_;  // f32 [hidden]
};

}  // namespace fourbrain::models
