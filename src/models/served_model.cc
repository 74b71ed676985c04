#include "models/served_model.h"

#include "formats/json.h"
#include "models/bert/bert_served.h"
#include "models/qwen3/qwen3_served.h"

namespace fourbrain::models {

std::string_view model_task_name(ModelTask task) {
  switch (task) {
    case ModelTask::kEmbedding:
      return "embedding";
    case ModelTask::kReranking:
      return "reranking";
  }
  return "unknown";
}

std::optional<ModelTask> model_task_from_name(std::string_view name) {
  if (name == "embedding") return ModelTask::kEmbedding;
  if (name == "reranking") return ModelTask::kReranking;
  return std::nullopt;
}

Result<int64_t> embedding_width(int64_t dimensions, int64_t hidden) {
  if (dimensions == 0) return hidden;
  if (dimensions < 1 || dimensions > hidden) {
    return invalid_argument("dimensions must be between 1 and " + std::to_string(hidden) +
                            ", got " + std::to_string(dimensions));
  }
  return dimensions;
}

Result<std::unique_ptr<ServedModel>> load_served_model(ModelTask task, const std::string& dir,
                                                       const ServedModelOptions& options) {
  const std::string config_path = dir + "/config.json";
  FB_ASSIGN_OR_RETURN(formats::JsonValue config, formats::JsonValue::parse_file(config_path));
  FB_ASSIGN_OR_RETURN(std::string model_type, config.get_string("model_type"));
  if (model_type == "qwen3") return load_qwen3_served(task, dir, options);
  if (model_type == "bert" || model_type == "roberta" || model_type == "xlm-roberta") {
    return load_bert_served(task, dir, options);
  }
  return unsupported(config_path + ": model_type \"" + model_type +
                     "\" is not supported (supported: qwen3, bert, roberta, xlm-roberta)");
}

}  // namespace fourbrain::models
