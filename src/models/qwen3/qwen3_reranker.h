// Qwen3Reranker: relevance of documents to a query with a Qwen3-Reranker checkpoint,
// as the model card computes it: the official chat prompt (system text, <Instruct>,
// <Query>, <Document>, empty think block), the body truncated on the right to
// max_length - len(prefix) - len(suffix) tokens, and score = sigmoid(logit("yes") -
// logit("no")) from only those two rows of the output head. "seq-cls" conversions
// (Qwen3ForSequenceClassification, one score row = W[yes] - W[no]) give the same score.
//
// Immutable after load; score() may be called from several threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/tokenizer/tokenizer.h"
#include "models/qwen3/qwen3_model.h"
#include "models/served_model.h"
#include "nn/linear.h"

namespace fourbrain::models {

struct RerankRequest {
  std::string query;
  std::vector<std::string> documents;
  std::optional<std::string> instruction;  // default: the card's web-search instruction
  size_t max_length = 8192;                // whole prompt, prefix and suffix included
};

class Qwen3Reranker {
 public:
  static Result<std::unique_ptr<Qwen3Reranker>> load(const std::string& dir,
                                                     const Qwen3RunOptions& options);

  // The token ids the model sees for one (query, document) pair.
  Result<std::vector<int32_t>> input_ids(const std::string& query, const std::string& document,
                                         const std::optional<std::string>& instruction,
                                         size_t max_length) const;
  // One score in [0, 1] per document, in input order.
  Result<std::vector<float>> score(const RerankRequest& request) const;
  // Scores tokenized pairs (from input_ids): one float per job.
  Status run(std::span<const SequenceJob> jobs) const;

  const Qwen3Model& model() const { return *model_; }
  const formats::Tokenizer& tokenizer() const { return *tokenizer_; }

 private:
  std::unique_ptr<formats::Tokenizer> tokenizer_;
  std::unique_ptr<Qwen3Model> model_;
  nn::Linear head_;  // [yes, no] rows of the output matrix, or the seq-cls score row
  bool two_row_head_ = true;
  std::vector<int32_t> prefix_ids_, suffix_ids_;
  int64_t max_batch_tokens_ = 0;
};

}  // namespace fourbrain::models
