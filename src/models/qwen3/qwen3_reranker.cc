#include "models/qwen3/qwen3_reranker.h"

#include <cmath>

#include "models/job_batches.h"
#include "models/qwen3/qwen3_prompts.h"

namespace fourbrain::models {

Result<std::unique_ptr<Qwen3Reranker>> Qwen3Reranker::load(const std::string& dir,
                                                           const Qwen3RunOptions& options) {
  auto reranker = std::unique_ptr<Qwen3Reranker>(new Qwen3Reranker());
  FB_ASSIGN_OR_RETURN(reranker->tokenizer_, formats::Tokenizer::load(dir));
  FB_ASSIGN_OR_RETURN(reranker->model_, Qwen3Model::load(dir, options.load_options()));
  const Qwen3Config& config = reranker->model_->config();
  if (config.head == Qwen3Head::kCausalLm) {
    auto yes = reranker->tokenizer_->token_to_id("yes");
    auto no = reranker->tokenizer_->token_to_id("no");
    if (!yes || !no) return invalid_argument(dir + ": the tokenizer lacks the tokens yes/no");
    FB_ASSIGN_OR_RETURN(reranker->head_, reranker->model_->output_rows_head({*yes, *no}));
  } else if (config.head == Qwen3Head::kSequenceCls) {
    if (config.num_labels != 1) {
      return unsupported(dir + ": seq-cls rerankers need num_labels 1, got " +
                         std::to_string(config.num_labels));
    }
    FB_ASSIGN_OR_RETURN(reranker->head_, reranker->model_->score_head());
    reranker->two_row_head_ = false;
  } else {
    return invalid_argument(dir + ": not a reranker checkpoint (architecture \"" +
                            config.architecture + "\" has no output head)");
  }
  FB_ASSIGN_OR_RETURN(reranker->prefix_ids_,
                      reranker->tokenizer_->encode(std::string(kRerankPrefix), false));
  FB_ASSIGN_OR_RETURN(reranker->suffix_ids_,
                      reranker->tokenizer_->encode(std::string(kRerankSuffix), false));
  reranker->max_batch_tokens_ = options.max_batch_tokens;
  return reranker;
}

Result<std::vector<int32_t>> Qwen3Reranker::input_ids(const std::string& query,
                                                      const std::string& document,
                                                      const std::optional<std::string>& instruction,
                                                      size_t max_length) const {
  const size_t fixed = prefix_ids_.size() + suffix_ids_.size();
  if (max_length <= fixed) {
    return invalid_argument("max_length must exceed the " + std::to_string(fixed) +
                            " tokens of the reranker prompt");
  }
  const std::string body = format_rerank_body(
      instruction ? *instruction : std::string(kDefaultQwen3Task), query, document);
  FB_ASSIGN_OR_RETURN(std::vector<int32_t> body_ids,
                      tokenizer_->encode(body, true, max_length - fixed));
  std::vector<int32_t> ids;
  ids.reserve(fixed + body_ids.size());
  ids.insert(ids.end(), prefix_ids_.begin(), prefix_ids_.end());
  ids.insert(ids.end(), body_ids.begin(), body_ids.end());
  ids.insert(ids.end(), suffix_ids_.begin(), suffix_ids_.end());
  return ids;
}

Result<std::vector<float>> Qwen3Reranker::score(const RerankRequest& request) const {
  std::vector<std::vector<int32_t>> seqs;
  seqs.reserve(request.documents.size());
  for (size_t i = 0; i < request.documents.size(); ++i) {
    auto ids =
        input_ids(request.query, request.documents[i], request.instruction, request.max_length);
    if (!ids.is_ok()) return ids.status().with_context("document " + std::to_string(i));
    seqs.push_back(std::move(ids).value());
  }
  std::vector<float> scores(seqs.size());
  std::vector<SequenceJob> jobs(seqs.size());
  for (size_t i = 0; i < seqs.size(); ++i) jobs[i] = {seqs[i], 0, &scores[i]};
  FB_RETURN_IF_ERROR(run(jobs));
  return scores;
}

Status Qwen3Reranker::run(std::span<const SequenceJob> jobs) const {
  for (auto [begin, end] : plan_batches(jobs, max_batch_tokens_)) {
    const auto group = jobs.subspan(begin, end - begin);
    FB_ASSIGN_OR_RETURN(Tensor last, model_->forward_last_tokens(ragged_batch_of(group)));
    FB_ASSIGN_OR_RETURN(Tensor logits,
                        Tensor::empty(DType::kF32, {last.dim(0), head_.out_features()}));
    FB_RETURN_IF_ERROR(head_.forward(last, logits));
    for (size_t r = 0; r < group.size(); ++r) {
      const float* row = logits.data<float>() + static_cast<int64_t>(r) * logits.dim(1);
      const double margin = two_row_head_ ? double(row[0]) - double(row[1]) : double(row[0]);
      *group[r].output = static_cast<float>(1.0 / (1.0 + std::exp(-margin)));
    }
  }
  return Status::ok();
}

}  // namespace fourbrain::models
