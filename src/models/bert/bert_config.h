// BertConfig: the hyper-parameters of a BERT-family encoder checkpoint (BERT, RoBERTa,
// XLM-RoBERTa), read from its config.json.
//
// The family decides the position ids: BERT counts from 0; RoBERTa/XLM-R count from
// pad_token_id + 1 and give pad tokens position pad_token_id (HF's
// create_position_ids_from_input_ids). The architecture decides the head: *Model (or none
// named) has none; BertForSequenceClassification has pooler (dense + tanh on [CLS]) then
// classifier; (XLM)RobertaForSequenceClassification has classifier.dense + tanh +
// classifier.out_proj on <s>. Missing or wrong fields are all reported in one
// InvalidArgument naming config.json; what we cannot run (relative position embeddings,
// other activations, other heads) is Unsupported. A plain value.
#pragma once

#include <string>

#include "base/status.h"

namespace fourbrain::models {

enum class BertFamily { kBert, kRoberta };  // kRoberta: model_type "roberta" or "xlm-roberta"

enum class BertHead {
  kNone,           // BertModel / XLMRobertaModel / RobertaModel (and *ForMaskedLM, head unused)
  kBertSeqCls,     // BertForSequenceClassification: pooler.dense + tanh, classifier
  kRobertaSeqCls,  // (XLM)RobertaForSequenceClassification: classifier.dense + tanh, out_proj
};

enum class BertActivation { kGelu, kGeluTanh };

struct BertConfig {
  std::string model_type;    // "bert", "roberta", "xlm-roberta"
  std::string architecture;  // e.g. "BertModel"; empty if config.json names none
  BertFamily family = BertFamily::kBert;
  BertHead head = BertHead::kNone;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int n_layers = 0;
  int n_heads = 0;
  BertActivation hidden_act = BertActivation::kGelu;
  double layer_norm_eps = 1e-12;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  int32_t pad_token_id = 0;
  int num_labels = 1;

  int head_dim() const { return static_cast<int>(hidden_size / n_heads); }
  // First position id of a sequence: 0 for BERT, pad_token_id + 1 for RoBERTa/XLM-R.
  int32_t position_offset() const { return family == BertFamily::kRoberta ? pad_token_id + 1 : 0; }
  // Longest sequence the position table can hold.
  int64_t max_tokens() const { return max_position_embeddings - position_offset(); }

  static Result<BertConfig> load(const std::string& config_json_path);
  static Result<BertConfig> parse(const std::string& text, const std::string& source);
};

}  // namespace fourbrain::models
