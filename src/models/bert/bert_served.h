// BERT-family embedding and reranking checkpoints (model_type bert, roberta, xlm-roberta)
// behind the ServedModel interface.
//
// Embedding: tokenize() encodes the text with the checkpoint's tokenizer ([CLS] text [SEP]
// / <s> text </s>), truncated to the item's max_length or the model's default (the
// sentence-transformers max_seq_length, capped by ServedModelOptions::max_length); an
// instruction, if given, is prepended verbatim to the text (sentence-transformers' prompt,
// e.g. "query: " for E5). run() pools and normalises as BertEmbedder does; `dimensions`
// truncates (and renormalises a normalising model).
// Reranking: tokenize() encodes the (query, document) pair with the tokenizer's pair
// template, truncated longest-first; run() recomputes the token type ids from the ids (type
// 1 after the first separator, the token that ends the first text in the template, found
// once at load from encode_pair("a", "b")) and returns CrossEncoder's score. Instructions
// are refused (InvalidArgument): cross-encoders have no prompt.
// A max_length above the position table is clamped to it.
#pragma once

#include <memory>
#include <string>

#include "models/served_model.h"

namespace fourbrain::models {

Result<std::unique_ptr<ServedModel>> load_bert_served(ModelTask task, const std::string& dir,
                                                      const ServedModelOptions& options);

}  // namespace fourbrain::models
