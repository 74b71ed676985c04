// ModelSetup: what a model's config.pbtxt says about serving it, checked and completed.
//
// fourbrain models are `backend: "fourbrain"` plus parameters { key: "task" } naming the
// task (embedding, reranking). The tensors of each task are fixed (docs/protocol.md); a
// config may leave input/output out and they are filled in, as Triton's auto-complete
// does. Everything a config may not say (other backends, GPU instances on a CPU build,
// unknown parameters, wrong tensor names or types) is refused with a message naming the
// model and the field. Plain functions on values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/model_config/model_config.pb.h"
#include "models/served_model.h"
#include "runtime/dynamic_batcher.h"

namespace fourbrain::runtime {

struct ModelSetup {
  models::ModelTask task = models::ModelTask::kEmbedding;
  // backend: "docling": PDF conversion (input "document", outputs "json" and "markdown"),
  // no checkpoint; parameters "ocr" (auto, force, off) and "ocr_lang" (tesseract's).
  bool document_converter = false;
  std::string ocr = "auto";
  std::string ocr_lang;
  // parameters { key: "checkpoint" }: a checkpoint folder outside the repository (see
  // checkpoint_location.h), served as version 1 in place of version folders.
  std::string checkpoint;
  models::ServedModelOptions model_options;
  SchedulingPolicy scheduling;
};

// Default batch size when a config leaves max_batch_size at 0.
inline constexpr int kDefaultMaxBatchSize = 64;

// Completes `config` in place (name, backend, tensors of the task, max_batch_size,
// instance groups) and derives the setup. `name` is the model's folder name.
Result<ModelSetup> complete_model_config(const std::string& name, inference::ModelConfig& config);

// The versions to serve, out of those present on disk (ascending), per the policy
// (default: the latest one).
// complete_model_config() of a `backend: "docling"` config (document_model_setup.cc).
Result<ModelSetup> complete_document_config(const std::string& name,
                                            inference::ModelConfig& config);

std::vector<int64_t> select_versions(const inference::ModelConfig& config,
                                     std::vector<int64_t> available);

}  // namespace fourbrain::runtime
