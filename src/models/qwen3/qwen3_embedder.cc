#include "models/qwen3/qwen3_embedder.h"

#include <algorithm>
#include <cmath>

#include "models/qwen3/qwen3_prompts.h"
#include "ops/ops.h"

namespace fourbrain::models {

std::vector<std::pair<size_t, size_t>> plan_batches(const std::vector<std::vector<int32_t>>& seqs,
                                                    int64_t max_tokens) {
  std::vector<std::pair<size_t, size_t>> groups;
  size_t begin = 0;
  int64_t tokens = 0;
  for (size_t i = 0; i < seqs.size(); ++i) {
    const auto len = static_cast<int64_t>(seqs[i].size());
    if (i > begin && tokens + len > max_tokens) {
      groups.emplace_back(begin, i);
      begin = i;
      tokens = 0;
    }
    tokens += len;
  }
  if (begin < seqs.size()) groups.emplace_back(begin, seqs.size());
  return groups;
}

Result<std::unique_ptr<Qwen3Embedder>> Qwen3Embedder::load(const std::string& dir,
                                                           const Qwen3RunOptions& options) {
  auto embedder = std::unique_ptr<Qwen3Embedder>(new Qwen3Embedder());
  FB_ASSIGN_OR_RETURN(embedder->tokenizer_, formats::Tokenizer::load(dir));
  FB_ASSIGN_OR_RETURN(embedder->model_, Qwen3Model::load(dir, {options.precision}));
  auto eos = embedder->tokenizer_->token_to_id("<|endoftext|>");
  if (!eos) return invalid_argument(dir + ": the tokenizer has no <|endoftext|> token");
  embedder->eos_id_ = *eos;
  const auto& suffix = embedder->tokenizer_->template_suffix_ids();
  embedder->tokenizer_appends_eos_ = !suffix.empty() && suffix.back() == *eos;
  embedder->max_batch_tokens_ = options.max_batch_tokens;
  return embedder;
}

Result<std::vector<int32_t>> Qwen3Embedder::input_ids(const std::string& text,
                                                      const std::optional<std::string>& instruction,
                                                      size_t max_length) const {
  if (max_length < 2) return invalid_argument("max_length must be at least 2");
  const std::string prompt = instruction ? format_embedding_query(*instruction, text) : text;
  if (tokenizer_appends_eos_) return tokenizer_->encode(prompt, true, max_length);
  // Older tokenizer files: append <|endoftext|> by hand, as the card once told users to.
  FB_ASSIGN_OR_RETURN(std::vector<int32_t> ids, tokenizer_->encode(prompt, true, max_length - 1));
  ids.push_back(eos_id_);
  return ids;
}

Result<EmbedResult> Qwen3Embedder::embed(const EmbedRequest& request) const {
  const int64_t hidden = hidden_size();
  const int64_t dims = request.dimensions == 0 ? hidden : request.dimensions;
  if (dims < 1 || dims > hidden) {
    return invalid_argument("dimensions must be between 1 and " + std::to_string(hidden) +
                            ", got " + std::to_string(request.dimensions));
  }
  std::vector<std::vector<int32_t>> seqs;
  seqs.reserve(request.texts.size());
  for (size_t i = 0; i < request.texts.size(); ++i) {
    auto ids = input_ids(request.texts[i], request.instruction, request.max_length);
    if (!ids.is_ok()) return ids.status().with_context("text " + std::to_string(i));
    seqs.push_back(std::move(ids).value());
  }
  EmbedResult result;
  for (const auto& seq : seqs) result.n_tokens += static_cast<int64_t>(seq.size());
  std::vector<std::vector<float>>& out = result.embeddings;
  out.reserve(seqs.size());
  for (auto [begin, end] : plan_batches(seqs, max_batch_tokens_)) {
    const std::span<const std::vector<int32_t>> group(seqs.data() + begin, end - begin);
    FB_ASSIGN_OR_RETURN(Tensor pooled, model_->forward_last_tokens(RaggedBatch::from_sequences(group)));
    // Matryoshka: truncate, then normalise (the card's order).
    FB_ASSIGN_OR_RETURN(Tensor vectors, Tensor::empty(DType::kF32, {pooled.dim(0), dims}));
    for (int64_t r = 0; r < pooled.dim(0); ++r) {
      std::copy_n(pooled.data<float>() + r * hidden, dims, vectors.data<float>() + r * dims);
    }
    FB_RETURN_IF_ERROR(ops::l2_normalize_rows(vectors));
    for (int64_t r = 0; r < vectors.dim(0); ++r) {
      const float* row = vectors.data<float>() + r * dims;
      out.emplace_back(row, row + dims);
    }
  }
  return result;
}

}  // namespace fourbrain::models
