#include "models/bert/bert_weights.h"

#include <set>
#include <string>

namespace fourbrain::models {
namespace {

// Looks tensors up by name, checks shape and dtype, and remembers every problem.
class Binder {
 public:
  explicit Binder(const formats::Checkpoint& checkpoint) : checkpoint_(checkpoint) {}

  // Binds `name` into `slot`; a shape dim of -1 accepts any size.
  void bind(const std::string& name, Shape expected, Tensor& slot, bool required = true) {
    const formats::TensorEntry* entry = checkpoint_.find(name);
    if (entry == nullptr) {
      if (required) missing_.push_back(name);
      return;
    }
    used_.insert(name);
    const Shape& got = entry->shape;
    bool shape_ok = got.rank() == expected.rank();
    for (int i = 0; shape_ok && i < got.rank(); ++i) {
      shape_ok = expected[i] < 0 || expected[i] == got[i];
    }
    if (!shape_ok) {
      problems_.push_back(name + " has shape " + got.to_string() + ", expected " +
                          expected.to_string());
      return;
    }
    if (entry->dtype != DType::kBF16 && entry->dtype != DType::kF16 &&
        entry->dtype != DType::kF32) {
      problems_.push_back(name + " has dtype " + std::string(dtype_name(entry->dtype)) +
                          ", expected bf16, f16 or f32");
      return;
    }
    slot = entry->tensor;
  }

  void dense(const std::string& name, int64_t out, int64_t in, BertDense& slot,
             bool required = true) {
    bind(name + ".weight", {out, in}, slot.weight, required);
    bind(name + ".bias", {out}, slot.bias, required);
  }

  void norm(const std::string& name, int64_t hidden, BertNorm& slot) {
    bind(name + ".weight", {hidden}, slot.weight);
    bind(name + ".bias", {hidden}, slot.bias);
  }

  // Tensors we know and do not need: accepted, whatever their dtype.
  void ignore_if_present(const std::string& name) {
    if (checkpoint_.find(name) != nullptr) used_.insert(name);
  }
  void ignore_prefix(const std::string& prefix) {
    for (const auto& entry : checkpoint_.entries()) {
      if (entry.name.starts_with(prefix)) used_.insert(entry.name);
    }
  }

  Status finish() const {
    std::vector<std::string> all;
    if (!missing_.empty()) all.push_back("missing tensors: " + join(missing_));
    std::vector<std::string> unexpected;
    for (const auto& entry : checkpoint_.entries()) {
      if (!used_.count(entry.name)) unexpected.push_back(entry.name);
    }
    if (!unexpected.empty()) all.push_back("unexpected tensors: " + join(unexpected));
    all.insert(all.end(), problems_.begin(), problems_.end());
    if (all.empty()) return Status::ok();
    return invalid_argument("checkpoint " + checkpoint_.dir() +
                            " does not match its config.json: " + join(all, "; "));
  }

 private:
  static std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
    std::string out;
    constexpr size_t kMaxListed = 20;  // a wrong architecture would list hundreds of names
    for (size_t i = 0; i < items.size() && i < kMaxListed; ++i) out += (i ? sep : "") + items[i];
    if (items.size() > kMaxListed) {
      out += " and " + std::to_string(items.size() - kMaxListed) + " more";
    }
    return out;
  }

  const formats::Checkpoint& checkpoint_;
  std::set<std::string> used_;
  std::vector<std::string> missing_;
  std::vector<std::string> problems_;
};

std::string key_prefix(const formats::Checkpoint& checkpoint) {
  for (const char* prefix : {"bert.", "roberta."}) {
    if (checkpoint.find(std::string(prefix) + "embeddings.word_embeddings.weight")) return prefix;
  }
  return "";
}

}  // namespace

Result<BertWeights> bind_bert_weights(const formats::Checkpoint& checkpoint, const BertConfig& c) {
  const int64_t h = c.hidden_size, inter = c.intermediate_size;
  Binder b(checkpoint);
  BertWeights w;
  w.prefix = key_prefix(checkpoint);
  const std::string e = w.prefix + "embeddings.";
  b.bind(e + "word_embeddings.weight", {-1, h}, w.word_embeddings);
  b.bind(e + "position_embeddings.weight", {c.max_position_embeddings, h}, w.position_embeddings);
  b.bind(e + "token_type_embeddings.weight", {c.type_vocab_size, h}, w.token_type_embeddings);
  b.norm(e + "LayerNorm", h, w.embeddings_norm);
  b.ignore_if_present(e + "position_ids");
  b.ignore_if_present(e + "token_type_ids");
  w.layers.resize(static_cast<size_t>(c.n_layers));
  for (int i = 0; i < c.n_layers; ++i) {
    const std::string p = w.prefix + "encoder.layer." + std::to_string(i) + ".";
    BertLayerWeights& l = w.layers[static_cast<size_t>(i)];
    b.dense(p + "attention.self.query", h, h, l.query);
    b.dense(p + "attention.self.key", h, h, l.key);
    b.dense(p + "attention.self.value", h, h, l.value);
    b.dense(p + "attention.output.dense", h, h, l.attn_out);
    b.norm(p + "attention.output.LayerNorm", h, l.attn_norm);
    b.dense(p + "intermediate.dense", inter, h, l.intermediate);
    b.dense(p + "output.dense", h, inter, l.output);
    b.norm(p + "output.LayerNorm", h, l.output_norm);
  }
  b.dense(w.prefix + "pooler.dense", h, h, w.pooler, /*required=*/c.head == BertHead::kBertSeqCls);
  switch (c.head) {
    case BertHead::kNone:
      b.ignore_prefix("cls.");      // BertForMaskedLM / BertForPreTraining heads
      b.ignore_prefix("lm_head.");  // RobertaForMaskedLM head
      break;
    case BertHead::kBertSeqCls:
      b.dense("classifier", c.num_labels, h, w.head_out);
      break;
    case BertHead::kRobertaSeqCls:
      b.dense("classifier.dense", h, h, w.head_dense);
      b.dense("classifier.out_proj", c.num_labels, h, w.head_out);
      break;
  }
  FB_RETURN_IF_ERROR(b.finish());
  return w;
}

}  // namespace fourbrain::models
