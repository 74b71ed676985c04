#include "models/bert/bert_served.h"

#include <algorithm>

#include "formats/tokenizer/tokenizer.h"
#include "models/bert/bert_cross_encoder.h"
#include "models/bert/bert_embedder.h"

namespace fourbrain::models {
namespace {

std::string device_name(const BertModel& model) {
  return model.on_cuda() ? "cuda:" + std::to_string(model.cuda_device()) : "cpu";
}

ops::MatmulPrecision precision_of(const ServedModelOptions& options) {
  return options.bf16 ? ops::MatmulPrecision::kBF16 : ops::MatmulPrecision::kF32;
}

// Tokens for one item: its own max_length (clamped to the position table) or the default.
Result<size_t> item_length(const TaskItem& item, size_t default_length, const BertConfig& config) {
  const size_t length = item.max_length
                            ? std::min(item.max_length, static_cast<size_t>(config.max_tokens()))
                            : default_length;
  if (length < 2) return invalid_argument("max_length must be at least 2");
  return length;
}

class BertEmbeddingModel final : public ServedModel {
 public:
  BertEmbeddingModel(std::unique_ptr<formats::Tokenizer> tokenizer,
                     std::unique_ptr<BertEmbedder> embedder, size_t max_length)
      : tokenizer_(std::move(tokenizer)), embedder_(std::move(embedder)), max_length_(max_length) {}

  ModelTask task() const override { return ModelTask::kEmbedding; }
  std::string_view architecture() const override {
    return embedder_->model().config().model_type;  // "bert", "roberta", "xlm-roberta"
  }
  Result<int64_t> output_size(int64_t dimensions) const override {
    return embedder_->output_size(dimensions);
  }
  Result<std::vector<int32_t>> tokenize(const TaskItem& item) const override {
    FB_ASSIGN_OR_RETURN(size_t length, item_length(item, max_length_, embedder_->model().config()));
    if (!item.instruction) return tokenizer_->encode(item.text, true, length);
    if (!embedder_->config().include_prompt) {
      return invalid_argument(
          "this model's pooling excludes the prompt (include_prompt false); "
          "instructions are not supported");
    }
    std::string prompt(*item.instruction);
    prompt.append(item.text);
    return tokenizer_->encode(prompt, true, length);
  }
  Status run(std::span<const SequenceJob> jobs) const override { return embedder_->run(jobs); }
  size_t memory_bytes() const override { return embedder_->model().memory_bytes(); }
  size_t workspace_bytes() const override { return embedder_->model().workspace_bytes(); }
  std::string device() const override { return device_name(embedder_->model()); }
  bool healthy() const override { return embedder_->model().healthy(); }
  std::vector<NamedLinear> named_linears() const override {
    return embedder_->model().named_linears();
  }

 private:
  std::unique_ptr<formats::Tokenizer> tokenizer_;
  std::unique_ptr<BertEmbedder> embedder_;
  size_t max_length_;
};

class BertRerankingModel final : public ServedModel {
 public:
  BertRerankingModel(std::unique_ptr<formats::Tokenizer> tokenizer,
                     std::unique_ptr<BertCrossEncoder> encoder, size_t max_length)
      : tokenizer_(std::move(tokenizer)), encoder_(std::move(encoder)), max_length_(max_length) {}

  ModelTask task() const override { return ModelTask::kReranking; }
  std::string_view architecture() const override { return encoder_->model().config().model_type; }
  Result<int64_t> output_size(int64_t) const override { return 1; }
  Result<std::vector<int32_t>> tokenize(const TaskItem& item) const override {
    if (item.instruction) {
      return invalid_argument("cross-encoder rerankers take no instruction");
    }
    FB_ASSIGN_OR_RETURN(size_t length, item_length(item, max_length_, encoder_->model().config()));
    FB_ASSIGN_OR_RETURN(formats::Encoding pair,
                        tokenizer_->encode_pair(item.text, item.document, length));
    return std::move(pair.ids);
  }
  Status run(std::span<const SequenceJob> jobs) const override { return encoder_->run(jobs); }
  size_t memory_bytes() const override { return encoder_->model().memory_bytes(); }
  size_t workspace_bytes() const override { return encoder_->model().workspace_bytes(); }
  std::string device() const override { return device_name(encoder_->model()); }
  bool healthy() const override { return encoder_->model().healthy(); }
  std::vector<NamedLinear> named_linears() const override {
    return encoder_->model().named_linears();
  }

 private:
  std::unique_ptr<formats::Tokenizer> tokenizer_;
  std::unique_ptr<BertCrossEncoder> encoder_;
  size_t max_length_;
};

// The token that ends the first text of the tokenizer's pair template, if the template
// gives the second text type id 1; checks that run()'s rule reproduces the template.
Result<std::optional<int32_t>> pair_separator(const formats::Tokenizer& tokenizer,
                                              const std::string& dir) {
  FB_ASSIGN_OR_RETURN(formats::Encoding probe, tokenizer.encode_pair("a", "b", 0));
  const auto first_b = std::find(probe.type_ids.begin(), probe.type_ids.end(), 1);
  if (first_b == probe.type_ids.end()) return std::optional<int32_t>();
  const auto at = first_b - probe.type_ids.begin();
  if (at == 0 || probe.ids.size() != probe.type_ids.size()) {
    return unsupported(dir + ": the tokenizer's pair template starts with type id 1");
  }
  const int32_t sep = probe.ids[static_cast<size_t>(at - 1)];
  const auto first_sep = std::find(probe.ids.begin(), probe.ids.end(), sep) - probe.ids.begin();
  const bool rule_holds = first_sep == at - 1 && std::all_of(first_b, probe.type_ids.end(),
                                                             [](int32_t t) { return t == 1; });
  if (!rule_holds) {
    return unsupported(dir +
                       ": the tokenizer's pair template gives token type ids that "
                       "cannot be recomputed from the ids");
  }
  return std::optional<int32_t>(sep);
}

}  // namespace

Result<std::unique_ptr<ServedModel>> load_bert_served(ModelTask task, const std::string& dir,
                                                      const ServedModelOptions& options) {
  FB_ASSIGN_OR_RETURN(std::unique_ptr<formats::Tokenizer> tokenizer, formats::Tokenizer::load(dir));
  if (task == ModelTask::kEmbedding) {
    BertEmbedderOptions eo;
    eo.precision = precision_of(options);
    eo.max_batch_tokens = options.max_batch_tokens;
    eo.cuda_device = options.cuda_device;
    FB_ASSIGN_OR_RETURN(auto embedder, BertEmbedder::load(dir, eo));
    const size_t max_length = std::min(options.max_length, embedder->config().max_length);
    return std::unique_ptr<ServedModel>(
        new BertEmbeddingModel(std::move(tokenizer), std::move(embedder), max_length));
  }
  BertCrossEncoderOptions co;
  co.precision = precision_of(options);
  co.max_batch_tokens = options.max_batch_tokens;
  co.cuda_device = options.cuda_device;
  FB_ASSIGN_OR_RETURN(co.separator_id, pair_separator(*tokenizer, dir));
  FB_ASSIGN_OR_RETURN(auto encoder, BertCrossEncoder::load(dir, co));
  const size_t max_length = std::min(options.max_length, encoder->config().max_length);
  return std::unique_ptr<ServedModel>(
      new BertRerankingModel(std::move(tokenizer), std::move(encoder), max_length));
}

}  // namespace fourbrain::models
