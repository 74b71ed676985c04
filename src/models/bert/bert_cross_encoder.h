// BertCrossEncoder: relevance of a (query, document) pair with a BERT-family
// sequence-classification checkpoint (num_labels 1), as sentence-transformers'
// CrossEncoder.predict computes it: the classifier's logit on [CLS] / <s>, through a sigmoid
// by default (see bert_st_config.h; options can ask for the raw logit).
//
// Token type ids of a pair: run() gets only token ids (SequenceJob), so it recomputes them
// with the pair template's rule: type 0 up to and including the first `separator_id`
// token, type 1 after it ([CLS] a [SEP] | b [SEP]). Models with one token type (RoBERTa,
// XLM-R) use 0 everywhere, and so does a cross-encoder loaded without a separator.
// (A query that itself contains the literal separator text, e.g. "[SEP]", gets type 1 from
// there on, where HF would still give 0.) score() takes explicit type ids instead.
//
// Immutable after load; run() and score() may be called from several threads.
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

struct BertCrossEncoderOptions {
  ops::MatmulPrecision precision = ops::MatmulPrecision::kF32;
  int64_t max_batch_tokens = 8192;
  int cuda_device = -1;  // -1: the CPU; else the GPU (bf16 only)
  std::optional<bool> sigmoid;          // overrides the checkpoint's activation_fn
  std::optional<int32_t> separator_id;  // the token that ends the first text ([SEP])
};

class BertCrossEncoder {
 public:
  static Result<std::unique_ptr<BertCrossEncoder>> load(const std::string& dir,
                                                        const BertCrossEncoderOptions& options);

  const CrossEncoderConfig& config() const { return config_; }
  const BertModel& model() const { return *model_; }
  // True when the model reads token type ids (type_vocab_size > 1 and a separator is known).
  bool uses_type_ids() const { return separator_id_.has_value(); }

  // The token type ids run() gives a pair's ids (see the header comment).
  std::vector<int32_t> pair_type_ids(std::span<const int32_t> ids) const;
  // One score per job (job.output: 1 float).
  Status run(std::span<const SequenceJob> jobs) const;
  // One score per sequence with explicit token type ids (empty: all 0).
  Result<std::vector<float>> score(const std::vector<std::vector<int32_t>>& ids,
                                   const std::vector<std::vector<int32_t>>& type_ids) const;

 private:
  // Scores jobs [begin, end) with their type ids concatenated.
  Status score_group(std::span<const SequenceJob> group, std::span<const int32_t> type_ids) const;

  std::unique_ptr<BertModel> model_;
  CrossEncoderConfig config_;
  std::optional<int32_t> separator_id_;
  int64_t max_batch_tokens_ = 0;
};

}  // namespace fourbrain::models
