// ServedModel: the one interface the runtime sees of a model, whatever its architecture.
//
// Serving a request is two steps. tokenize() turns one batch item (a text, or a
// query/document pair) into token ids; it runs on the caller's thread before the item is
// queued, so that the batcher can form batches by token count. run() computes a batch of
// tokenized items at once (packed as one ragged batch, split further by the model's own
// max_batch_tokens) and writes each item's floats where its job says.
//
// Every model type of the project (Qwen3 embedding and reranking today; BERT-family
// encoders next) implements this. A loaded model is immutable: tokenize() and run() may be
// called from several threads at once. Failures are Status values, never exceptions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "models/named_linear.h"

namespace fourbrain::models {

enum class ModelTask { kEmbedding, kReranking };

std::string_view model_task_name(ModelTask task);  // "embedding", "reranking"
std::optional<ModelTask> model_task_from_name(std::string_view name);

// One batch item before tokenization.
struct TaskItem {
  std::string_view text;                        // embedding: the text; reranking: the query
  std::string_view document;                    // reranking only
  std::optional<std::string_view> instruction;  // task instruction of the prompt, if any
  size_t max_length = 0;  // tokens per item, prompt included; 0: the model's default
};

// One tokenized item for run().
struct SequenceJob {
  std::span<const int32_t> ids;  // from tokenize(); non-empty
  int64_t dimensions = 0;        // embedding: Matryoshka width (0: full); else ignored
  float* output = nullptr;       // output_size(dimensions) floats
};

struct ServedModelOptions {
  bool bf16 = false;     // GEMMs in bf16 (on CPUs with native bf16) or f32
  int cuda_device = -1;  // -1: the CPU; else the GPU (bf16)
  bool fp8 = false;      // GPU, Qwen3: FP8 weights (quantized at load) and activations
  bool nvfp4 = false;    // GPU, Qwen3: NVFP4 weights (quantized at load), bf16 activations
  bool quantize_embeddings = false;  // with nvfp4: the embedding table in NVFP4 too (else bf16)
  bool fp8_precise_accumulation = false;  // fp8/nvfp4: f32 partial sums (see Qwen3LoadOptions)
  // GPU, Qwen3: the weights a quantized checkpoint stores run as stored, whatever the
  // precision of the rest (precision "auto"; see Qwen3LoadOptions).
  bool keep_checkpoint_quantization = false;
  int64_t max_batch_tokens = 8192;        // tokens per forward pass (bounds activation memory)
  size_t max_length = 8192;               // default tokens per item
};

class ServedModel {
 public:
  virtual ~ServedModel() = default;

  virtual ModelTask task() const = 0;
  virtual std::string_view architecture() const = 0;  // e.g. "qwen3"
  // Floats each item yields: the embedding width for `dimensions` (0: full), 1 for a score.
  // InvalidArgument if `dimensions` is out of range.
  virtual Result<int64_t> output_size(int64_t dimensions) const = 0;
  virtual Result<std::vector<int32_t>> tokenize(const TaskItem& item) const = 0;
  virtual Status run(std::span<const SequenceJob> jobs) const = 0;
  // Bytes this model holds in memory (weights and tables; mapped files included). On a GPU:
  // the device bytes it holds (weights, activation workspaces).
  virtual size_t memory_bytes() const = 0;
  // Of memory_bytes(), the activation workspaces (GPU models; 0 on the CPU).
  virtual size_t workspace_bytes() const { return 0; }
  // "cpu" or "cuda:N".
  virtual std::string device() const { return "cpu"; }
  // False once the model's device failed (a CUDA fault); its requests then fail and the
  // runtime should report the model not ready.
  virtual bool healthy() const { return true; }
  // The model's Linears with their checkpoint modules (calibration), or none.
  virtual std::vector<NamedLinear> named_linears() const { return {}; }
};

// The width of an embedding truncated to `dimensions` (0: all `hidden`), the Matryoshka
// rule every embedder follows; InvalidArgument outside [1, hidden].
Result<int64_t> embedding_width(int64_t dimensions, int64_t hidden);

// Loads the checkpoint folder `dir` for `task`, choosing the architecture from its
// config.json (model_type). NotFound / InvalidArgument / Unsupported name the file.
Result<std::unique_ptr<ServedModel>> load_served_model(ModelTask task, const std::string& dir,
                                                       const ServedModelOptions& options);

}  // namespace fourbrain::models
