#include "models/qwen3/qwen3_config.h"

#include <vector>

#include "base/file.h"
#include "formats/json.h"

namespace fourbrain::models {
namespace {

using formats::JsonValue;

// Collects every problem instead of stopping at the first.
class FieldReader {
 public:
  explicit FieldReader(const JsonValue& json) : json_(json) {}

  template <typename T>
  void required_int(const char* key, T& out) {
    auto value = json_.get_int(key);
    if (value.is_ok() && *value > 0) {
      out = static_cast<T>(*value);
    } else if (value.is_ok()) {
      problems_.push_back(std::string("\"") + key + "\" must be positive");
    } else {
      problems_.push_back(value.status().message());
    }
  }

  template <typename T>
  void optional_int(const char* key, T& out) {
    auto found = json_.find(key);
    if (!found || found->is_null()) return;
    if (!found->is_integer() || found->as_int() <= 0) {
      problems_.push_back(std::string("\"") + key + "\" must be a positive integer");
      return;
    }
    out = static_cast<T>(found->as_int());
  }

  void optional_double(const JsonValue& obj, const char* key, double& out) {
    auto found = obj.find(key);
    if (!found || found->is_null()) return;
    if (!found->is_number()) {
      problems_.push_back(std::string("\"") + key + "\" must be a number");
      return;
    }
    out = found->as_double();
  }

  void optional_bool(const char* key, bool& out) {
    auto found = json_.find(key);
    if (!found || found->is_null()) return;
    if (!found->is_bool()) {
      problems_.push_back(std::string("\"") + key + "\" must be true or false");
      return;
    }
    out = found->as_bool();
  }

  void problem(std::string text) { problems_.push_back(std::move(text)); }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  const JsonValue& json_;
  std::vector<std::string> problems_;
};

}  // namespace

Result<Qwen3Config> Qwen3Config::load(const std::string& config_json_path) {
  FB_ASSIGN_OR_RETURN(std::string text, read_file(config_json_path));
  return parse(text, config_json_path);
}

Result<Qwen3Config> Qwen3Config::parse(const std::string& text, const std::string& source) {
  FB_ASSIGN_OR_RETURN(JsonValue json, JsonValue::parse(text, source));
  if (!json.is_object()) return invalid_argument(source + ": expected a JSON object");
  Qwen3Config cfg;
  FieldReader reader(json);
  if (auto type = json.find("model_type");
      type && type->is_string() && type->as_string() != "qwen3") {
    reader.problem("model_type is \"" + std::string(type->as_string()) + "\", expected \"qwen3\"");
  }
  reader.required_int("hidden_size", cfg.hidden_size);
  reader.required_int("intermediate_size", cfg.intermediate_size);
  reader.required_int("num_hidden_layers", cfg.n_layers);
  reader.required_int("num_attention_heads", cfg.n_heads);
  cfg.n_kv_heads = cfg.n_heads;
  reader.optional_int("num_key_value_heads", cfg.n_kv_heads);
  reader.optional_int("head_dim", cfg.head_dim);
  reader.optional_int("vocab_size", cfg.vocab_size);
  reader.optional_int("num_labels", cfg.num_labels);
  reader.optional_double(json, "rms_norm_eps", cfg.rms_norm_eps);
  reader.optional_double(json, "rope_theta", cfg.rope_theta);
  if (auto rope = json.find("rope_parameters"); rope && rope->is_object()) {
    reader.optional_double(*rope, "rope_theta", cfg.rope_theta);
  }
  reader.optional_bool("tie_word_embeddings", cfg.tie_word_embeddings);
  if (auto archs = json.find("architectures");
      archs && archs->is_array() && archs->size() > 0 && archs->at(0).is_string()) {
    cfg.architecture = std::string(archs->at(0).as_string());
  }
  if (cfg.architecture == "Qwen3ForCausalLM") {
    cfg.head = Qwen3Head::kCausalLm;
  } else if (cfg.architecture == "Qwen3ForSequenceClassification") {
    cfg.head = Qwen3Head::kSequenceCls;
  } else if (cfg.architecture.empty() || cfg.architecture == "Qwen3Model") {
    cfg.head = Qwen3Head::kNone;
  } else {
    reader.problem("unsupported architecture \"" + cfg.architecture + "\"");
  }
  if (cfg.n_heads > 0 && cfg.n_kv_heads > 0 && cfg.n_heads % cfg.n_kv_heads != 0) {
    reader.problem("num_attention_heads (" + std::to_string(cfg.n_heads) +
                   ") is not a multiple of num_key_value_heads (" + std::to_string(cfg.n_kv_heads) +
                   ")");
  }
  if (cfg.head_dim % 2 != 0) reader.problem("head_dim must be even for RoPE");
  if (!reader.problems().empty()) {
    std::string message = source + ": ";
    for (size_t i = 0; i < reader.problems().size(); ++i) {
      message += (i ? "; " : "") + reader.problems()[i];
    }
    return invalid_argument(message);
  }
  return cfg;
}

}  // namespace fourbrain::models
