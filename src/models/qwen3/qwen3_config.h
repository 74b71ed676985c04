// Qwen3Config: the hyper-parameters of a Qwen3 checkpoint, read from its config.json.
//
// Accepts what transformers writes, old and new (rope_theta at the top level or in
// rope_parameters; torch_dtype or dtype). Missing required fields and wrong types are all
// reported in one InvalidArgument naming config.json. A plain value.
#pragma once

#include <string>

#include "base/status.h"

namespace fourbrain::models {

enum class Qwen3Head {
  kNone,        // Qwen3Model (embedding checkpoints): no output head
  kCausalLm,    // Qwen3ForCausalLM (rerankers): lm_head, tied or not
  kSequenceCls  // Qwen3ForSequenceClassification ("seq-cls" rerankers): score [1, hidden]
};

struct Qwen3Config {
  std::string architecture;  // e.g. "Qwen3ForCausalLM"; empty if config.json names none
  Qwen3Head head = Qwen3Head::kNone;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int n_layers = 0;
  int n_heads = 0;
  int n_kv_heads = 0;
  int head_dim = 128;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  bool tie_word_embeddings = false;
  int num_labels = 1;

  static Result<Qwen3Config> load(const std::string& config_json_path);
  static Result<Qwen3Config> parse(const std::string& text, const std::string& source);
};

}  // namespace fourbrain::models
