#include "models/qwen3/qwen3_embedder.h"

#include <algorithm>
#include <cmath>

#include "models/job_batches.h"
#include "models/qwen3/qwen3_prompts.h"
#include "ops/ops.h"

namespace fourbrain::models {

Result<std::unique_ptr<Qwen3Embedder>> Qwen3Embedder::load(const std::string& dir,
                                                           const Qwen3RunOptions& options) {
  auto embedder = std::unique_ptr<Qwen3Embedder>(new Qwen3Embedder());
  FB_ASSIGN_OR_RETURN(embedder->tokenizer_, formats::Tokenizer::load(dir));
  FB_ASSIGN_OR_RETURN(embedder->model_, Qwen3Model::load(dir, options.load_options()));
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

Result<int64_t> Qwen3Embedder::output_size(int64_t dimensions) const {
  return embedding_width(dimensions, hidden_size());
}

Result<EmbedResult> Qwen3Embedder::embed(const EmbedRequest& request) const {
  FB_ASSIGN_OR_RETURN(const int64_t dims, output_size(request.dimensions));
  std::vector<std::vector<int32_t>> seqs;
  seqs.reserve(request.texts.size());
  for (size_t i = 0; i < request.texts.size(); ++i) {
    auto ids = input_ids(request.texts[i], request.instruction, request.max_length);
    if (!ids.is_ok()) return ids.status().with_context("text " + std::to_string(i));
    seqs.push_back(std::move(ids).value());
  }
  EmbedResult result;
  result.embeddings.assign(seqs.size(), std::vector<float>(dims));
  std::vector<SequenceJob> jobs(seqs.size());
  for (size_t i = 0; i < seqs.size(); ++i) {
    result.n_tokens += static_cast<int64_t>(seqs[i].size());
    jobs[i] = {seqs[i], dims, result.embeddings[i].data()};
  }
  FB_RETURN_IF_ERROR(run(jobs));
  return result;
}

Status Qwen3Embedder::run(std::span<const SequenceJob> jobs) const {
  const int64_t hidden = hidden_size();
  for (auto [begin, end] : plan_batches(jobs, max_batch_tokens_)) {
    const auto group = jobs.subspan(begin, end - begin);
    FB_ASSIGN_OR_RETURN(Tensor pooled, model_->forward_last_tokens(ragged_batch_of(group)));
    for (size_t r = 0; r < group.size(); ++r) {
      FB_ASSIGN_OR_RETURN(const int64_t dims, output_size(group[r].dimensions));
      // Matryoshka: truncate, then normalise (the card's order).
      Tensor row = Tensor::borrow(DType::kF32, {1, dims}, group[r].output, nullptr);
      std::copy_n(pooled.data<float>() + static_cast<int64_t>(r) * hidden, dims, row.data<float>());
      FB_RETURN_IF_ERROR(ops::l2_normalize_rows(row));
    }
  }
  return Status::ok();
}

}  // namespace fourbrain::models
