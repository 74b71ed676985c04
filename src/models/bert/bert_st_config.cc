#include "models/bert/bert_st_config.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "base/file.h"
#include "formats/json.h"

namespace fourbrain::models {
namespace {

using formats::JsonValue;

// The JSON object in `path`, or nullopt when the file does not exist.
Result<std::optional<JsonValue>> optional_json(const std::string& path) {
  if (!file_exists(path)) return std::optional<JsonValue>();
  FB_ASSIGN_OR_RETURN(JsonValue json, JsonValue::parse_file(path));
  return std::optional<JsonValue>(std::move(json));
}

// "sentence_transformers.models.Pooling" -> "Pooling".
std::string_view short_type(std::string_view type) {
  const size_t dot = type.rfind('.');
  return dot == std::string_view::npos ? type : type.substr(dot + 1);
}

// A positive max length from `key` of the JSON file, if it names a sane one
// (tokenizer_config.json says 1e30 for "no limit").
Result<size_t> length_from(const std::string& path, const char* key) {
  FB_ASSIGN_OR_RETURN(auto json, optional_json(path));
  if (!json || !json->is_object()) return size_t{0};
  auto value = json->find(key);
  if (!value || !value->is_integer() || value->as_int() <= 0 || value->as_int() > (1 << 24)) {
    return size_t{0};
  }
  return static_cast<size_t>(value->as_int());
}

size_t cap_length(size_t length, const BertConfig& config) {
  const auto limit = static_cast<size_t>(config.max_tokens());
  return length == 0 ? limit : std::min(length, limit);
}

// Pooling modes named by a 1_Pooling/config.json, old (booleans) or new ("pooling_mode").
Result<std::vector<std::string>> pooling_modes(const JsonValue& json, const std::string& source) {
  std::vector<std::string> modes;
  if (auto mode = json.find("pooling_mode")) {
    if (mode->is_string()) {
      modes.emplace_back(mode->as_string());
    } else if (mode->is_array()) {
      for (size_t i = 0; i < mode->size(); ++i) {
        if (!mode->at(i).is_string()) return invalid_argument(source + ": bad \"pooling_mode\"");
        modes.emplace_back(mode->at(i).as_string());
      }
    } else {
      return invalid_argument(source + ": \"pooling_mode\" must be a string or a list");
    }
    return modes;
  }
  static constexpr std::pair<const char*, const char*> kOldKeys[] = {
      {"pooling_mode_cls_token", "cls"},
      {"pooling_mode_mean_tokens", "mean"},
      {"pooling_mode_max_tokens", "max"},
      {"pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len_tokens"},
      {"pooling_mode_weightedmean_tokens", "weightedmean"},
      {"pooling_mode_lasttoken", "lasttoken"},
  };
  for (const auto& [key, name] : kOldKeys) {
    if (auto v = json.find(key); v && v->is_bool() && v->as_bool()) modes.emplace_back(name);
  }
  return modes;
}

Result<EmbeddingPooling> read_pooling(const std::string& path, bool& include_prompt) {
  FB_ASSIGN_OR_RETURN(JsonValue json, JsonValue::parse_file(path));
  if (!json.is_object()) return invalid_argument(path + ": expected a JSON object");
  FB_ASSIGN_OR_RETURN(std::vector<std::string> modes, pooling_modes(json, path));
  if (auto v = json.find("include_prompt"); v && v->is_bool()) include_prompt = v->as_bool();
  if (modes.size() != 1) {
    std::string names;
    for (const auto& m : modes) names += (names.empty() ? "" : ", ") + m;
    return unsupported(path + ": " + std::to_string(modes.size()) + " pooling modes (" + names +
                       "); exactly one of mean, cls, lasttoken is supported");
  }
  const std::string& m = modes[0];
  if (m == "mean" || m == "mean_tokens") return EmbeddingPooling::kMean;
  if (m == "cls" || m == "cls_token") return EmbeddingPooling::kCls;
  if (m == "lasttoken") return EmbeddingPooling::kLastToken;
  return unsupported(path + ": pooling mode \"" + m +
                     "\" is not supported (supported: mean, cls, lasttoken)");
}

// "torch.nn.modules.activation.Sigmoid" -> true, "...Identity" -> false.
Result<bool> sigmoid_from(const JsonValue& value, const std::string& source) {
  if (value.is_null()) return true;
  if (!value.is_string()) return invalid_argument(source + ": \"activation_fn\" must be a string");
  const std::string_view name = short_type(value.as_string());
  if (name == "Sigmoid") return true;
  if (name == "Identity") return false;
  return unsupported(source + ": activation_fn \"" + std::string(value.as_string()) +
                     "\" is not supported (Sigmoid or Identity)");
}

}  // namespace

std::string_view embedding_pooling_name(EmbeddingPooling pooling) {
  switch (pooling) {
    case EmbeddingPooling::kMean:
      return "mean";
    case EmbeddingPooling::kCls:
      return "cls";
    case EmbeddingPooling::kLastToken:
      return "lasttoken";
  }
  return "unknown";
}

Result<SentenceEmbeddingConfig> SentenceEmbeddingConfig::load(const std::string& dir,
                                                              const BertConfig& config) {
  SentenceEmbeddingConfig out;
  const std::string modules_path = join_path(dir, "modules.json");
  FB_ASSIGN_OR_RETURN(auto modules, optional_json(modules_path));
  if (modules) {
    if (!modules->is_array()) return invalid_argument(modules_path + ": expected a JSON list");
    bool pooled = false;
    for (size_t i = 0; i < modules->size(); ++i) {
      const JsonValue m = modules->at(i);
      auto type = m.find("type");
      auto path = m.find("path");
      if (!m.is_object() || !type || !type->is_string()) {
        return invalid_argument(modules_path + ": module " + std::to_string(i) + " has no type");
      }
      const std::string_view kind = short_type(type->as_string());
      const std::string sub = path && path->is_string() ? std::string(path->as_string()) : "";
      if (kind == "Transformer" && i == 0) {
        if (!sub.empty()) {
          return unsupported(modules_path + ": the Transformer module lives in \"" + sub +
                             "\"; only a checkpoint at the top of the folder is supported");
        }
      } else if (kind == "Pooling" && !pooled) {
        FB_ASSIGN_OR_RETURN(out.pooling, read_pooling(join_path(join_path(dir, sub), "config.json"),
                                                      out.include_prompt));
        pooled = true;
      } else if (kind == "Normalize" && pooled) {
        out.normalize = true;
      } else {
        return unsupported(modules_path + ": module " + std::to_string(i) + " (" +
                           std::string(type->as_string()) +
                           ") is not supported (Transformer, Pooling, Normalize in that order)");
      }
    }
    if (!pooled) return unsupported(modules_path + ": no Pooling module");
  }
  const std::string st_path = join_path(dir, "sentence_bert_config.json");
  FB_ASSIGN_OR_RETURN(auto st_config, optional_json(st_path));
  if (st_config && st_config->is_object()) {
    if (auto lower = st_config->find("do_lower_case");
        lower && lower->is_bool() && lower->as_bool()) {
      return unsupported(st_path + ": do_lower_case true is not supported");
    }
  }
  FB_ASSIGN_OR_RETURN(out.max_length, length_from(st_path, "max_seq_length"));
  if (out.max_length == 0) {
    FB_ASSIGN_OR_RETURN(out.max_length,
                        length_from(join_path(dir, "tokenizer_config.json"), "model_max_length"));
  }
  out.max_length = cap_length(out.max_length, config);
  return out;
}

Result<CrossEncoderConfig> CrossEncoderConfig::load(const std::string& dir,
                                                    const BertConfig& config) {
  CrossEncoderConfig out;
  out.sigmoid = config.num_labels == 1;
  const std::string st_path = join_path(dir, "config_sentence_transformers.json");
  FB_ASSIGN_OR_RETURN(auto st_config, optional_json(st_path));
  const std::string config_path = join_path(dir, "config.json");
  FB_ASSIGN_OR_RETURN(JsonValue hf_config, JsonValue::parse_file(config_path));
  if (auto fn = st_config ? st_config->find("activation_fn") : std::nullopt) {
    FB_ASSIGN_OR_RETURN(out.sigmoid, sigmoid_from(*fn, st_path));
  } else if (auto st = hf_config.find("sentence_transformers"); st && st->is_object()) {
    if (auto fn2 = st->find("activation_fn")) {
      FB_ASSIGN_OR_RETURN(out.sigmoid, sigmoid_from(*fn2, config_path));
    }
  }
  FB_ASSIGN_OR_RETURN(out.max_length,
                      length_from(join_path(dir, "tokenizer_config.json"), "model_max_length"));
  out.max_length = cap_length(out.max_length, config);
  return out;
}

}  // namespace fourbrain::models
