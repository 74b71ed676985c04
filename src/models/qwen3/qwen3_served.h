// Qwen3 embedding and reranking checkpoints behind the ServedModel interface.
#pragma once

#include <memory>
#include <string>

#include "models/served_model.h"

namespace fourbrain::models {

Result<std::unique_ptr<ServedModel>> load_qwen3_served(ModelTask task, const std::string& dir,
                                                       const ServedModelOptions& options);

}  // namespace fourbrain::models
