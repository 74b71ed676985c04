// BertEmbedder: token ids -> sentence embedding with a BERT-family checkpoint, as
// sentence-transformers' encode() computes it: the encoder's last hidden states, pooled
// (mean / CLS / last token, from 1_Pooling) and L2-normalised when a Normalize module
// follows (see bert_st_config.h). `dimensions` truncates the vector; a normalising model
// renormalises the truncated vector (as Qwen3-Embedding's Matryoshka truncation does).
//
// Token ids come from the caller (the served adapter tokenizes); every token has type id 0,
// as a single text's template gives. Sequences are packed into ragged batches of at most
// max_batch_tokens tokens. Immutable after load; run() and embed() may be called from
// several threads.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "models/bert/bert_model.h"
#include "models/bert/bert_st_config.h"
#include "models/served_model.h"

namespace fourbrain::models {

struct BertEmbedderOptions {
  ops::MatmulPrecision precision = ops::MatmulPrecision::kF32;
  int64_t max_batch_tokens = 8192;          // tokens per ragged batch
  int cuda_device = -1;                     // -1: the CPU; else the GPU (bf16 only)
  std::optional<EmbeddingPooling> pooling;  // overrides the checkpoint's Pooling module
  std::optional<bool> normalize;            // overrides whether a Normalize module follows
};

class BertEmbedder {
 public:
  static Result<std::unique_ptr<BertEmbedder>> load(const std::string& dir,
                                                    const BertEmbedderOptions& options);

  // The sentence-transformers setup in effect (options applied).
  const SentenceEmbeddingConfig& config() const { return config_; }
  const BertModel& model() const { return *model_; }
  int64_t hidden_size() const { return model_->config().hidden_size; }
  // Width of an embedding of `dimensions` (0: full); InvalidArgument if out of range.
  Result<int64_t> output_size(int64_t dimensions) const;

  // Embeds tokenized sequences into each job's output (output_size(job.dimensions) floats).
  Status run(std::span<const SequenceJob> jobs) const;
  // Convenience for tests and tools: one embedding per id sequence.
  Result<std::vector<std::vector<float>>> embed(const std::vector<std::vector<int32_t>>& ids,
                                                int64_t dimensions = 0) const;

 private:
  std::unique_ptr<BertModel> model_;
  SentenceEmbeddingConfig config_;
  int64_t max_batch_tokens_ = 0;
};

}  // namespace fourbrain::models
