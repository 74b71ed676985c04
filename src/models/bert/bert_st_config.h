// What sentence-transformers does around a BERT-family encoder, read from the files it
// saves beside the checkpoint, so that fourbrain computes what SentenceTransformer.encode
// and CrossEncoder.predict return.
//
// Embedders: modules.json lists Transformer, then Pooling (<path>/config.json, old keys
// pooling_mode_mean_tokens / _cls_token / _lasttoken / ... or the new "pooling_mode"), then
// optionally Normalize. Mean, CLS and last-token pooling are supported; max, mean_sqrt_len,
// weightedmean, several modes at once, Dense or other modules are Unsupported, naming the
// file. Without modules.json, sentence-transformers' default for a plain HF model applies:
// mean pooling, no normalisation. The default max length is sentence_bert_config.json's
// max_seq_length, else tokenizer_config.json's model_max_length, capped at what the position
// table holds.
//
// Cross-encoders: the score activation is config_sentence_transformers.json's activation_fn
// (sentence-transformers >= 5), else config.json's sentence_transformers.activation_fn
// (3.x/4.x), else sigmoid when num_labels == 1 (CrossEncoder's default). Sigmoid and
// Identity are supported. The max length is tokenizer_config.json's model_max_length,
// capped likewise.
//
// Plain values; loading reads small JSON files only.
#pragma once

#include <cstddef>
#include <string>

#include "base/status.h"
#include "models/bert/bert_config.h"

namespace fourbrain::models {

enum class EmbeddingPooling { kMean, kCls, kLastToken };

std::string_view embedding_pooling_name(EmbeddingPooling pooling);  // "mean", "cls", "lasttoken"

struct SentenceEmbeddingConfig {
  EmbeddingPooling pooling = EmbeddingPooling::kMean;
  bool normalize = false;      // a Normalize module follows the pooling
  bool include_prompt = true;  // Pooling's include_prompt (false: prompt tokens not pooled)
  size_t max_length = 0;       // default tokens per text, special tokens included

  // Reads `dir`'s sentence-transformers files; `config` caps the max length.
  static Result<SentenceEmbeddingConfig> load(const std::string& dir, const BertConfig& config);
};

struct CrossEncoderConfig {
  bool sigmoid = true;    // score = sigmoid(logit); false: the raw logit
  size_t max_length = 0;  // default tokens per pair, special tokens included

  static Result<CrossEncoderConfig> load(const std::string& dir, const BertConfig& config);
};

}  // namespace fourbrain::models
