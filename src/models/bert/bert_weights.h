// The BERT-family weight table: HF tensor names -> our slots, with expected shapes.
//
// Key prefixes as transformers saves them: none (BertModel, XLMRobertaModel, and
// sentence-transformers checkpoints), "bert." (BertFor*), "roberta." ((XLM)RobertaFor*).
// Per layer: attention.self.{query,key,value}, attention.output.{dense,LayerNorm},
// intermediate.dense, output.{dense,LayerNorm}, each with weight and bias. The pooler is
// required only by BertForSequenceClassification (optional otherwise, then unused).
// Ignored without complaint: the position_ids / token_type_ids buffers older transformers
// saved, and masked-LM / NSP heads ("cls.", "lm_head."), which no embedding uses.
//
// bind_bert_weights validates the whole checkpoint and reports every missing, unexpected,
// mis-shaped or mis-typed tensor in one InvalidArgument. The returned tensors are borrowed
// views into the checkpoint mapping.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "core/tensor.h"
#include "formats/safetensors.h"
#include "models/bert/bert_config.h"

namespace fourbrain::models {

struct BertDense {
  Tensor weight;  // [out, in]
  Tensor bias;    // [out]
};

struct BertNorm {
  Tensor weight;  // [hidden]
  Tensor bias;    // [hidden]
};

struct BertLayerWeights {
  BertDense query, key, value;  // [hidden, hidden]
  BertDense attn_out;           // [hidden, hidden]
  BertNorm attn_norm;
  BertDense intermediate;  // [intermediate, hidden]
  BertDense output;        // [hidden, intermediate]
  BertNorm output_norm;
};

struct BertWeights {
  std::string prefix;            // "", "bert." or "roberta."
  Tensor word_embeddings;        // [vocab, hidden]; vocab is taken from here
  Tensor position_embeddings;    // [max_position_embeddings, hidden]
  Tensor token_type_embeddings;  // [type_vocab_size, hidden]
  BertNorm embeddings_norm;
  std::vector<BertLayerWeights> layers;
  BertDense pooler;      // [hidden, hidden]; undefined when absent
  BertDense head_dense;  // kRobertaSeqCls: classifier.dense [hidden, hidden]
  BertDense head_out;    // classifier (BERT) / classifier.out_proj [num_labels, hidden]
};

Result<BertWeights> bind_bert_weights(const formats::Checkpoint& checkpoint,
                                      const BertConfig& config);

}  // namespace fourbrain::models
