#include "models/qwen3/qwen3_served.h"

#include "models/qwen3/qwen3_embedder.h"
#include "models/qwen3/qwen3_reranker.h"

namespace fourbrain::models {
namespace {

Qwen3RunOptions run_options(const ServedModelOptions& options) {
  Qwen3RunOptions run;
  run.precision = options.fp8      ? ops::MatmulPrecision::kFp8
                  : options.nvfp4 ? ops::MatmulPrecision::kNvfp4
                  : options.bf16  ? ops::MatmulPrecision::kBF16
                                 : ops::MatmulPrecision::kF32;
  run.max_batch_tokens = options.max_batch_tokens;
  run.cuda_device = options.cuda_device;
  run.quantize_embeddings = options.quantize_embeddings;
  run.fp8_precise_accumulation = options.fp8_precise_accumulation;
  run.keep_checkpoint_quantization = options.keep_checkpoint_quantization;
  return run;
}

std::string device_name(const Qwen3Model& model) {
  return model.on_cuda() ? "cuda:" + std::to_string(model.cuda_device()) : "cpu";
}

std::optional<std::string> to_string_opt(const std::optional<std::string_view>& s) {
  if (!s) return std::nullopt;
  return std::string(*s);
}

class Qwen3EmbeddingModel final : public ServedModel {
 public:
  Qwen3EmbeddingModel(std::unique_ptr<Qwen3Embedder> embedder, size_t max_length)
      : embedder_(std::move(embedder)), max_length_(max_length) {}

  ModelTask task() const override { return ModelTask::kEmbedding; }
  std::string_view architecture() const override { return "qwen3"; }
  Result<int64_t> output_size(int64_t dimensions) const override {
    return embedder_->output_size(dimensions);
  }
  Result<std::vector<int32_t>> tokenize(const TaskItem& item) const override {
    return embedder_->input_ids(std::string(item.text), to_string_opt(item.instruction),
                                item.max_length ? item.max_length : max_length_);
  }
  Status run(std::span<const SequenceJob> jobs) const override { return embedder_->run(jobs); }
  size_t memory_bytes() const override { return embedder_->model().memory_bytes(); }
  std::string device() const override { return device_name(embedder_->model()); }
  size_t workspace_bytes() const override { return embedder_->model().workspace_bytes(); }
  bool healthy() const override { return embedder_->model().healthy(); }
  std::vector<NamedLinear> named_linears() const override {
    return embedder_->model().named_linears();
  }

 private:
  std::unique_ptr<Qwen3Embedder> embedder_;
  size_t max_length_;
};

class Qwen3RerankingModel final : public ServedModel {
 public:
  Qwen3RerankingModel(std::unique_ptr<Qwen3Reranker> reranker, size_t max_length)
      : reranker_(std::move(reranker)), max_length_(max_length) {}

  ModelTask task() const override { return ModelTask::kReranking; }
  std::string_view architecture() const override { return "qwen3"; }
  Result<int64_t> output_size(int64_t) const override { return 1; }
  Result<std::vector<int32_t>> tokenize(const TaskItem& item) const override {
    return reranker_->input_ids(std::string(item.text), std::string(item.document),
                                to_string_opt(item.instruction),
                                item.max_length ? item.max_length : max_length_);
  }
  Status run(std::span<const SequenceJob> jobs) const override { return reranker_->run(jobs); }
  size_t memory_bytes() const override { return reranker_->model().memory_bytes(); }
  std::string device() const override { return device_name(reranker_->model()); }
  size_t workspace_bytes() const override { return reranker_->model().workspace_bytes(); }
  bool healthy() const override { return reranker_->model().healthy(); }
  std::vector<NamedLinear> named_linears() const override {
    return reranker_->model().named_linears();
  }

 private:
  std::unique_ptr<Qwen3Reranker> reranker_;
  size_t max_length_;
};

}  // namespace

Result<std::unique_ptr<ServedModel>> load_qwen3_served(ModelTask task, const std::string& dir,
                                                       const ServedModelOptions& options) {
  if (task == ModelTask::kEmbedding) {
    FB_ASSIGN_OR_RETURN(auto embedder, Qwen3Embedder::load(dir, run_options(options)));
    return std::unique_ptr<ServedModel>(
        new Qwen3EmbeddingModel(std::move(embedder), options.max_length));
  }
  FB_ASSIGN_OR_RETURN(auto reranker, Qwen3Reranker::load(dir, run_options(options)));
  return std::unique_ptr<ServedModel>(
      new Qwen3RerankingModel(std::move(reranker), options.max_length));
}

}  // namespace fourbrain::models
