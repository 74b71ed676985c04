#include "models/bert/bert_cross_encoder.h"

#include <algorithm>
#include <cmath>

#include "models/job_batches.h"

namespace fourbrain::models {

Result<std::unique_ptr<BertCrossEncoder>> BertCrossEncoder::load(
    const std::string& dir, const BertCrossEncoderOptions& options) {
  if (options.max_batch_tokens < 1) return invalid_argument("max_batch_tokens must be positive");
  auto encoder = std::unique_ptr<BertCrossEncoder>(new BertCrossEncoder());
  FB_ASSIGN_OR_RETURN(encoder->model_, BertModel::load(dir, {options.precision, options.cuda_device,
                                                     options.max_batch_tokens}));
  const BertConfig& c = encoder->model_->config();
  if (!encoder->model_->has_classifier()) {
    return invalid_argument(dir +
                            ": a cross-encoder needs a sequence-classification checkpoint, "
                            "not architecture \"" +
                            c.architecture + "\"");
  }
  if (c.num_labels != 1) {
    return unsupported(dir + ": num_labels is " + std::to_string(c.num_labels) +
                       "; a reranker needs a single-logit classifier");
  }
  FB_ASSIGN_OR_RETURN(encoder->config_, CrossEncoderConfig::load(dir, c));
  if (options.sigmoid) encoder->config_.sigmoid = *options.sigmoid;
  if (c.type_vocab_size > 1) encoder->separator_id_ = options.separator_id;
  encoder->max_batch_tokens_ = options.max_batch_tokens;
  return encoder;
}

std::vector<int32_t> BertCrossEncoder::pair_type_ids(std::span<const int32_t> ids) const {
  std::vector<int32_t> types(ids.size(), 0);
  if (!separator_id_) return types;
  const auto sep = std::find(ids.begin(), ids.end(), *separator_id_);
  if (sep != ids.end()) std::fill(types.begin() + (sep - ids.begin()) + 1, types.end(), 1);
  return types;
}

Status BertCrossEncoder::score_group(std::span<const SequenceJob> group,
                                     std::span<const int32_t> type_ids) const {
  FB_ASSIGN_OR_RETURN(Tensor logits, model_->classify(ragged_batch_of(group), type_ids));
  for (size_t r = 0; r < group.size(); ++r) {
    const float logit = logits.data<float>()[r];
    *group[r].output = config_.sigmoid ? 1.0f / (1.0f + std::exp(-logit)) : logit;
  }
  return Status::ok();
}

Status BertCrossEncoder::run(std::span<const SequenceJob> jobs) const {
  for (auto [begin, end] : plan_batches(jobs, max_batch_tokens_)) {
    const auto group = jobs.subspan(begin, end - begin);
    std::vector<int32_t> types;
    if (uses_type_ids()) {
      for (const SequenceJob& job : group) {
        const std::vector<int32_t> t = pair_type_ids(job.ids);
        types.insert(types.end(), t.begin(), t.end());
      }
    }
    FB_RETURN_IF_ERROR(score_group(group, types));
  }
  return Status::ok();
}

Result<std::vector<float>> BertCrossEncoder::score(
    const std::vector<std::vector<int32_t>>& ids,
    const std::vector<std::vector<int32_t>>& type_ids) const {
  if (!type_ids.empty() && type_ids.size() != ids.size()) {
    return invalid_argument(std::to_string(type_ids.size()) + " type id lists for " +
                            std::to_string(ids.size()) + " sequences");
  }
  std::vector<float> scores(ids.size());
  std::vector<SequenceJob> jobs(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].empty()) return invalid_argument("sequence " + std::to_string(i) + " is empty");
    if (!type_ids.empty() && type_ids[i].size() != ids[i].size()) {
      return invalid_argument("sequence " + std::to_string(i) + ": " +
                              std::to_string(type_ids[i].size()) + " type ids for " +
                              std::to_string(ids[i].size()) + " ids");
    }
    jobs[i] = {ids[i], 0, &scores[i]};
  }
  for (auto [begin, end] : plan_batches(jobs, max_batch_tokens_)) {
    std::vector<int32_t> types;
    for (size_t i = begin; !type_ids.empty() && i < end; ++i) {
      types.insert(types.end(), type_ids[i].begin(), type_ids[i].end());
    }
    FB_RETURN_IF_ERROR(score_group(std::span(jobs).subspan(begin, end - begin), types));
  }
  return scores;
}

}  // namespace fourbrain::models
