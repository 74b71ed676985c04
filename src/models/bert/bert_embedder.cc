#include "models/bert/bert_embedder.h"

#include <algorithm>

#include "models/job_batches.h"
#include "ops/ops.h"

namespace fourbrain::models {
namespace {

ops::TokenPooling token_pooling(EmbeddingPooling pooling) {
  switch (pooling) {
    case EmbeddingPooling::kMean:
      return ops::TokenPooling::kMean;
    case EmbeddingPooling::kCls:
      return ops::TokenPooling::kFirst;
    case EmbeddingPooling::kLastToken:
      return ops::TokenPooling::kLast;
  }
  return ops::TokenPooling::kMean;
}

}  // namespace

Result<std::unique_ptr<BertEmbedder>> BertEmbedder::load(const std::string& dir,
                                                         const BertEmbedderOptions& options) {
  if (options.max_batch_tokens < 1) return invalid_argument("max_batch_tokens must be positive");
  auto embedder = std::unique_ptr<BertEmbedder>(new BertEmbedder());
  FB_ASSIGN_OR_RETURN(embedder->model_, BertModel::load(dir, {options.precision, options.cuda_device,
                                                     options.max_batch_tokens}));
  FB_ASSIGN_OR_RETURN(embedder->config_,
                      SentenceEmbeddingConfig::load(dir, embedder->model_->config()));
  if (options.pooling) embedder->config_.pooling = *options.pooling;
  if (options.normalize) embedder->config_.normalize = *options.normalize;
  embedder->max_batch_tokens_ = options.max_batch_tokens;
  return embedder;
}

Result<int64_t> BertEmbedder::output_size(int64_t dimensions) const {
  return embedding_width(dimensions, hidden_size());
}

Status BertEmbedder::run(std::span<const SequenceJob> jobs) const {
  const int64_t hidden = hidden_size();
  for (const SequenceJob& job : jobs) FB_RETURN_IF_ERROR(output_size(job.dimensions).status());
  for (auto [begin, end] : plan_batches(jobs, max_batch_tokens_)) {
    const auto group = jobs.subspan(begin, end - begin);
    FB_ASSIGN_OR_RETURN(Tensor pooled, model_->forward_pooled(ragged_batch_of(group), {},
                                                              token_pooling(config_.pooling)));
    for (size_t r = 0; r < group.size(); ++r) {
      FB_ASSIGN_OR_RETURN(const int64_t dims, output_size(group[r].dimensions));
      Tensor row = Tensor::borrow(DType::kF32, {1, dims}, group[r].output, nullptr);
      std::copy_n(pooled.data<float>() + static_cast<int64_t>(r) * hidden, dims, row.data<float>());
      if (config_.normalize) FB_RETURN_IF_ERROR(ops::l2_normalize_rows(row));
    }
  }
  return Status::ok();
}

Result<std::vector<std::vector<float>>> BertEmbedder::embed(
    const std::vector<std::vector<int32_t>>& ids, int64_t dimensions) const {
  FB_ASSIGN_OR_RETURN(const int64_t dims, output_size(dimensions));
  std::vector<std::vector<float>> out(ids.size(), std::vector<float>(static_cast<size_t>(dims)));
  std::vector<SequenceJob> jobs(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].empty()) return invalid_argument("sequence " + std::to_string(i) + " is empty");
    jobs[i] = {ids[i], dimensions, out[i].data()};
  }
  FB_RETURN_IF_ERROR(run(jobs));
  return out;
}

}  // namespace fourbrain::models
