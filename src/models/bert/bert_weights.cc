#include "models/bert/bert_weights.h"

#include <string>

#include "models/weight_binder.h"

namespace fourbrain::models {
namespace {

void bind_dense(WeightBinder& binder, const std::string& name, int64_t out, int64_t in,
                BertDense& slot, bool required = true) {
  binder.bind(name + ".weight", {out, in}, slot.weight, required);
  binder.bind(name + ".bias", {out}, slot.bias, required);
}

void bind_norm(WeightBinder& binder, const std::string& name, int64_t hidden, BertNorm& slot) {
  binder.bind(name + ".weight", {hidden}, slot.weight);
  binder.bind(name + ".bias", {hidden}, slot.bias);
}

std::string key_prefix(const formats::Checkpoint& checkpoint) {
  for (const char* prefix : {"bert.", "roberta."}) {
    if (checkpoint.find(std::string(prefix) + "embeddings.word_embeddings.weight")) return prefix;
  }
  return "";
}

}  // namespace

Result<BertWeights> bind_bert_weights(const formats::Checkpoint& checkpoint, const BertConfig& c) {
  const int64_t h = c.hidden_size, inter = c.intermediate_size;
  WeightBinder b(checkpoint);
  BertWeights w;
  w.prefix = key_prefix(checkpoint);
  const std::string e = w.prefix + "embeddings.";
  b.bind(e + "word_embeddings.weight", {-1, h}, w.word_embeddings);
  b.bind(e + "position_embeddings.weight", {c.max_position_embeddings, h}, w.position_embeddings);
  b.bind(e + "token_type_embeddings.weight", {c.type_vocab_size, h}, w.token_type_embeddings);
  bind_norm(b, e + "LayerNorm", h, w.embeddings_norm);
  b.ignore_if_present(e + "position_ids");
  b.ignore_if_present(e + "token_type_ids");
  w.layers.resize(static_cast<size_t>(c.n_layers));
  for (int i = 0; i < c.n_layers; ++i) {
    const std::string p = w.prefix + "encoder.layer." + std::to_string(i) + ".";
    BertLayerWeights& l = w.layers[static_cast<size_t>(i)];
    bind_dense(b, p + "attention.self.query", h, h, l.query);
    bind_dense(b, p + "attention.self.key", h, h, l.key);
    bind_dense(b, p + "attention.self.value", h, h, l.value);
    bind_dense(b, p + "attention.output.dense", h, h, l.attn_out);
    bind_norm(b, p + "attention.output.LayerNorm", h, l.attn_norm);
    bind_dense(b, p + "intermediate.dense", inter, h, l.intermediate);
    bind_dense(b, p + "output.dense", h, inter, l.output);
    bind_norm(b, p + "output.LayerNorm", h, l.output_norm);
  }
  bind_dense(b, w.prefix + "pooler.dense", h, h, w.pooler,
             /*required=*/c.head == BertHead::kBertSeqCls);
  switch (c.head) {
    case BertHead::kNone:
      b.ignore_prefix("cls.");      // BertForMaskedLM / BertForPreTraining heads
      b.ignore_prefix("lm_head.");  // RobertaForMaskedLM head
      break;
    case BertHead::kBertSeqCls:
      bind_dense(b, "classifier", c.num_labels, h, w.head_out);
      break;
    case BertHead::kRobertaSeqCls:
      bind_dense(b, "classifier.dense", h, h, w.head_dense);
      bind_dense(b, "classifier.out_proj", c.num_labels, h, w.head_out);
      break;
  }
  FB_RETURN_IF_ERROR(b.finish());
  return w;
}

}  // namespace fourbrain::models
