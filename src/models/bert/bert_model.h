// BertModel: a BERT-family encoder (BERT, RoBERTa, XLM-RoBERTa; post-LN, absolute learned
// positions, bidirectional attention) on ragged batches, as HF transformers computes it:
//   x = LayerNorm(word[id] + type[type_id] + position[pos])
//   per layer: x = LayerNorm(x + Wo·attention(Wqkv·x + b) + bo)
//              x = LayerNorm(x + W2·gelu(W1·x + b1) + b2)
// returning the last hidden state of every token, one pooled row per sequence, or the
// sequence-classification logits (heads on the first token, see BertConfig).
//
// Loading memory-maps the checkpoint, validates it whole, and prepares the weights once
// (query/key/value fused into one GEMM with one bias; biases added inside the GEMMs). The
// embedding tables stay views of the mapping. Positions come from the family: BERT counts
// from 0, RoBERTa/XLM-R from pad_token_id + 1 (pad tokens get pad_token_id), per sequence,
// so a sequence gives the same result alone or inside any batch.
//
// On a GPU (cuda_device >= 0, bf16 GEMMs) the tables and weights are uploaded once and each
// forward pass runs on an instance of the model's CudaPlacement; results come back to the
// host. The classification head (a few rows) runs on the host in f32.
//
// A loaded model is immutable: forward calls may run concurrently. Bad inputs (empty
// batch or sequence, a sequence longer than the position table, ids or type ids out of
// range) are InvalidArgument.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/ragged_batch.h"
#include "core/tensor.h"
#include "formats/safetensors.h"
#include "models/bert/bert_config.h"
#include "models/cuda_instances.h"
#include "models/named_linear.h"
#include "nn/linear.h"
#include "ops/ops.h"

namespace fourbrain::models {

struct BertLoadOptions {
  ops::MatmulPrecision precision = ops::MatmulPrecision::kF32;
  int cuda_device = -1;             // -1: the CPU; else the GPU (bf16 only)
  int64_t max_batch_tokens = 8192;  // on a GPU: sizes each instance's activation arena
};

struct BertWeights;

class BertModel {
 public:
  static Result<std::unique_ptr<BertModel>> load(const std::string& dir,
                                                 const BertLoadOptions& options);

  const BertConfig& config() const { return config_; }
  ops::MatmulPrecision precision() const { return precision_; }
  int64_t vocab_size() const { return word_embeddings_.dim(0); }
  bool has_classifier() const { return config_.head != BertHead::kNone; }
  // Prepared weights plus the mapped embedding tables the model reads (on a GPU: every
  // device byte the model holds).
  size_t memory_bytes() const;
  bool on_cuda() const { return cuda_ != nullptr; }
  int cuda_device() const { return cuda_ ? cuda_->device() : -1; }
  size_t workspace_bytes() const { return cuda_ ? cuda_->workspace_bytes() : 0; }
  bool healthy() const { return !cuda_ || cuda_->healthy(); }

  // f32 [n_tokens, hidden]: the last hidden state of every token. `type_ids` holds one token
  // type id per token of the batch, or is empty (all 0).
  Result<Tensor> forward(const RaggedBatch& batch, std::span<const int32_t> type_ids) const;
  // f32 [n_seqs, hidden]: one pooled row per sequence. For kFirst / kLast the last layer's
  // feed-forward block runs on those rows only.
  Result<Tensor> forward_pooled(const RaggedBatch& batch, std::span<const int32_t> type_ids,
                                ops::TokenPooling pooling) const;
  // f32 [n_seqs, num_labels]: the classification head's logits (no activation).
  // Sequence-classification checkpoints only.
  Result<Tensor> classify(const RaggedBatch& batch, std::span<const int32_t> type_ids) const;
  // The encoder's Linears and the checkpoint modules of each (not the heads).
  std::vector<NamedLinear> named_linears() const;

 private:
  struct Layer {
    std::string prefix;               // its checkpoint names start so ("encoder.layer.3.")
    nn::Linear qkv;                   // [3*hidden, hidden] + bias
    nn::Linear attn_out;              // [hidden, hidden] + bias
    Tensor attn_norm_w, attn_norm_b;  // f32 [hidden]
    nn::Linear intermediate;          // [intermediate, hidden] + bias
    nn::Linear output;                // [hidden, intermediate] + bias
    Tensor out_norm_w, out_norm_b;    // f32 [hidden]
  };

  // The encoder with activations from `scratch` (host, or an arena on the model's GPU);
  // with `rows` (i32 [m]) only those rows of the output are computed and returned
  // ([m, hidden]), the last layer's attention still seeing every token.
  Result<Tensor> encode(const RaggedBatch& batch, std::span<const int32_t> type_ids,
                        const std::vector<int32_t>* rows, Allocator& scratch) const;
  // forward_pooled() on `scratch`'s device.
  Result<Tensor> pooled_on(const RaggedBatch& batch, std::span<const int32_t> type_ids,
                           ops::TokenPooling pooling, Allocator& scratch) const;
  // Runs `pass` on the CPU or on a GPU instance, the result copied to the host.
  Result<Tensor> run_pass(const std::function<Result<Tensor>(Allocator&)>& pass) const;
  // Activation bytes of a forward pass of `n_tokens` tokens on a GPU (the arena size).
  size_t arena_bytes(int64_t n_tokens) const;
  Status prepare_weights(const BertWeights& w, ops::MatmulPrecision p);
  Status check_inputs(const RaggedBatch& batch, std::span<const int32_t> type_ids) const;
  std::vector<int32_t> position_ids(const RaggedBatch& batch) const;

  // The GPU the model runs on (null: the CPU); first, so it outlives the weights.
  std::unique_ptr<CudaPlacement> cuda_;
  BertConfig config_;
  ops::MatmulPrecision precision_ = ops::MatmulPrecision::kF32;
  formats::Checkpoint checkpoint_;  // keeps the mapping alive for the borrowed tensors
  Tensor word_embeddings_;          // [vocab, hidden], borrowed from the mapping
  Tensor position_embeddings_;      // [max_position_embeddings, hidden], borrowed
  Tensor token_type_embeddings_;    // [type_vocab_size, hidden], borrowed
  Tensor emb_norm_w_, emb_norm_b_;  // f32 [hidden]
  std::vector<Layer> layers_;
  nn::Linear head_dense_;  // pooler.dense (BERT) or classifier.dense (RoBERTa), + tanh
  nn::Linear head_out_;    // classifier (BERT) or classifier.out_proj (RoBERTa)
};

}  // namespace fourbrain::models
