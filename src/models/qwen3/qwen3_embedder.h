// Qwen3Embedder: text -> embedding with a Qwen3-Embedding checkpoint, as the model card
// computes it: optional instruction prompt, tokenizer with <|endoftext|> appended (added
// here if the checkpoint's tokenizer does not), last-token pooling, L2 normalisation, and
// Matryoshka truncation to `dimensions` followed by renormalisation.
//
// Texts are packed into ragged batches of at most max_batch_tokens tokens. Immutable
// after load; embed() may be called from several threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/tokenizer/tokenizer.h"
#include "models/qwen3/qwen3_model.h"
#include "models/served_model.h"

namespace fourbrain::models {

struct EmbedRequest {
  std::vector<std::string> texts;
  std::optional<std::string> instruction;  // if set, texts are queries: "Instruct: ...\nQuery:"
  int64_t dimensions = 0;                  // 0: the model's hidden size
  size_t max_length = 8192;                // tokens per text, <|endoftext|> included
};

struct EmbedResult {
  std::vector<std::vector<float>> embeddings;  // one per text, in input order
  int64_t n_tokens = 0;                        // tokens the model processed
};

class Qwen3Embedder {
 public:
  static Result<std::unique_ptr<Qwen3Embedder>> load(const std::string& dir,
                                                     const Qwen3RunOptions& options);

  // The token ids the model sees for one text (prompt applied, truncated, EOS last).
  Result<std::vector<int32_t>> input_ids(const std::string& text,
                                         const std::optional<std::string>& instruction,
                                         size_t max_length) const;
  Result<EmbedResult> embed(const EmbedRequest& request) const;
  // Embeds tokenized sequences, each truncated to its job's dimensions and normalised.
  Status run(std::span<const SequenceJob> jobs) const;
  // Width of an embedding of `dimensions` (0: full); InvalidArgument if out of range.
  Result<int64_t> output_size(int64_t dimensions) const;

  int64_t hidden_size() const { return model_->config().hidden_size; }
  const Qwen3Model& model() const { return *model_; }
  const formats::Tokenizer& tokenizer() const { return *tokenizer_; }

 private:
  std::unique_ptr<formats::Tokenizer> tokenizer_;
  std::unique_ptr<Qwen3Model> model_;
  int32_t eos_id_ = 0;
  bool tokenizer_appends_eos_ = false;
  int64_t max_batch_tokens_ = 0;
};

}  // namespace fourbrain::models
