#include "models/bert/bert_config.h"

#include <vector>

#include "base/file.h"
#include "formats/json.h"

namespace fourbrain::models {
namespace {

using formats::JsonValue;

// Collects every problem instead of stopping at the first.
class Fields {
 public:
  explicit Fields(const JsonValue& json) : json_(json) {}

  template <typename T>
  void integer(const char* key, T& out, bool required, int64_t min_value) {
    auto found = json_.find(key);
    if (!found || found->is_null()) {
      if (required) problems_.push_back(std::string("\"") + key + "\" is missing");
      return;
    }
    if (!found->is_integer() || found->as_int() < min_value) {
      problems_.push_back(std::string("\"") + key +
                          "\" must be an integer >= " + std::to_string(min_value));
      return;
    }
    out = static_cast<T>(found->as_int());
  }

  void number(const char* key, double& out) {
    auto found = json_.find(key);
    if (!found || found->is_null()) return;
    if (!found->is_number() || !(found->as_double() > 0.0)) {
      problems_.push_back(std::string("\"") + key + "\" must be a positive number");
      return;
    }
    out = found->as_double();
  }

  std::string string(const char* key) {
    auto found = json_.find(key);
    if (!found || found->is_null()) return "";
    if (!found->is_string()) {
      problems_.push_back(std::string("\"") + key + "\" must be a string");
      return "";
    }
    return std::string(found->as_string());
  }

  void problem(std::string text) { problems_.push_back(std::move(text)); }
  void unsupported(std::string text) { unsupported_.push_back(std::move(text)); }

  Status finish(const std::string& source) const {
    const bool invalid = !problems_.empty();
    const auto& list = invalid ? problems_ : unsupported_;
    if (list.empty()) return Status::ok();
    std::string message = source + ": ";
    for (size_t i = 0; i < list.size(); ++i) message += (i ? "; " : "") + list[i];
    return invalid ? invalid_argument(message) : fourbrain::unsupported(message);
  }

 private:
  const JsonValue& json_;
  std::vector<std::string> problems_;
  std::vector<std::string> unsupported_;
};

}  // namespace

Result<BertConfig> BertConfig::load(const std::string& config_json_path) {
  FB_ASSIGN_OR_RETURN(std::string text, read_file(config_json_path));
  return parse(text, config_json_path);
}

Result<BertConfig> BertConfig::parse(const std::string& text, const std::string& source) {
  FB_ASSIGN_OR_RETURN(JsonValue json, JsonValue::parse(text, source));
  if (!json.is_object()) return invalid_argument(source + ": expected a JSON object");
  BertConfig cfg;
  Fields f(json);
  cfg.model_type = f.string("model_type");
  if (cfg.model_type == "bert") {
    cfg.family = BertFamily::kBert;
  } else if (cfg.model_type == "roberta" || cfg.model_type == "xlm-roberta") {
    cfg.family = BertFamily::kRoberta;
    cfg.pad_token_id = 1;
  } else {
    f.problem("model_type is \"" + cfg.model_type +
              "\", expected \"bert\", \"roberta\" or \"xlm-roberta\"");
  }
  f.integer("vocab_size", cfg.vocab_size, false, 1);
  f.integer("hidden_size", cfg.hidden_size, true, 1);
  f.integer("intermediate_size", cfg.intermediate_size, true, 1);
  f.integer("num_hidden_layers", cfg.n_layers, true, 1);
  f.integer("num_attention_heads", cfg.n_heads, true, 1);
  f.integer("max_position_embeddings", cfg.max_position_embeddings, false, 1);
  f.integer("type_vocab_size", cfg.type_vocab_size, false, 1);
  f.integer("pad_token_id", cfg.pad_token_id, false, 0);
  f.integer("num_labels", cfg.num_labels, false, 1);
  f.number("layer_norm_eps", cfg.layer_norm_eps);
  if (cfg.n_heads > 0 && cfg.hidden_size % cfg.n_heads != 0) {
    f.problem("hidden_size (" + std::to_string(cfg.hidden_size) +
              ") is not a multiple of num_attention_heads (" + std::to_string(cfg.n_heads) + ")");
  }
  if (cfg.family == BertFamily::kRoberta && cfg.max_position_embeddings <= cfg.pad_token_id + 1) {
    f.problem("max_position_embeddings must exceed pad_token_id + 1");
  }
  // transformers writes num_labels only through id2label.
  if (auto labels = json.find("id2label");
      labels && labels->is_object() && !json.find("num_labels")) {
    int n = 0;
    labels->for_each_member([&](std::string_view, const JsonValue&) { ++n; });
    if (n > 0) cfg.num_labels = n;
  }
  const std::string act = f.string("hidden_act");
  if (act.empty() || act == "gelu") {
    cfg.hidden_act = BertActivation::kGelu;
  } else if (act == "gelu_new" || act == "gelu_pytorch_tanh" || act == "gelu_fast") {
    cfg.hidden_act = BertActivation::kGeluTanh;
  } else {
    f.unsupported("hidden_act \"" + act +
                  "\" is not supported (gelu, gelu_new, gelu_pytorch_tanh)");
  }
  const std::string pos_type = f.string("position_embedding_type");
  if (!pos_type.empty() && pos_type != "absolute") {
    f.unsupported("position_embedding_type \"" + pos_type + "\" is not supported (absolute only)");
  }
  if (auto archs = json.find("architectures");
      archs && archs->is_array() && archs->size() > 0 && archs->at(0).is_string()) {
    cfg.architecture = std::string(archs->at(0).as_string());
  }
  const std::string& a = cfg.architecture;
  if (a == "BertForSequenceClassification") {
    cfg.head = BertHead::kBertSeqCls;
  } else if (a == "RobertaForSequenceClassification" ||
             a == "XLMRobertaForSequenceClassification") {
    cfg.head = BertHead::kRobertaSeqCls;
  } else if (a.empty() || a == "BertModel" || a == "RobertaModel" || a == "XLMRobertaModel" ||
             a == "BertForMaskedLM" || a == "BertForPreTraining" || a == "RobertaForMaskedLM" ||
             a == "XLMRobertaForMaskedLM") {
    cfg.head = BertHead::kNone;  // the encoder alone; a masked-LM head is ignored
  } else {
    f.unsupported("architecture \"" + a + "\" is not supported");
  }
  if ((cfg.head == BertHead::kBertSeqCls) != (cfg.family == BertFamily::kBert) &&
      cfg.head != BertHead::kNone) {
    f.problem("architecture \"" + a + "\" does not match model_type \"" + cfg.model_type + "\"");
  }
  FB_RETURN_IF_ERROR(f.finish(source));
  return cfg;
}

}  // namespace fourbrain::models
