#include "models/qwen3/qwen3_weights.h"

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
    return invalid_argument("checkpoint " + checkpoint_.dir() + " does not match its config.json: " +
                            join(all, "; "));
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

}  // namespace

Result<Qwen3Weights> bind_qwen3_weights(const formats::Checkpoint& checkpoint,
                                        const Qwen3Config& c) {
  const std::string prefix = checkpoint.find("model.embed_tokens.weight") ? "model." : "";
  const int64_t h = c.hidden_size, hd = c.head_dim;
  Binder binder(checkpoint);
  Qwen3Weights w;
  binder.bind(prefix + "embed_tokens.weight", {-1, h}, w.embed_tokens);
  binder.bind(prefix + "norm.weight", {h}, w.norm);
  w.layers.resize(static_cast<size_t>(c.n_layers));
  for (int i = 0; i < c.n_layers; ++i) {
    const std::string p = prefix + "layers." + std::to_string(i) + ".";
    Qwen3LayerWeights& l = w.layers[static_cast<size_t>(i)];
    binder.bind(p + "input_layernorm.weight", {h}, l.input_norm);
    binder.bind(p + "self_attn.q_proj.weight", {c.n_heads * hd, h}, l.q_proj);
    binder.bind(p + "self_attn.k_proj.weight", {c.n_kv_heads * hd, h}, l.k_proj);
    binder.bind(p + "self_attn.v_proj.weight", {c.n_kv_heads * hd, h}, l.v_proj);
    binder.bind(p + "self_attn.o_proj.weight", {h, c.n_heads * hd}, l.o_proj);
    binder.bind(p + "self_attn.q_norm.weight", {hd}, l.q_norm);
    binder.bind(p + "self_attn.k_norm.weight", {hd}, l.k_norm);
    binder.bind(p + "post_attention_layernorm.weight", {h}, l.post_attn_norm);
    binder.bind(p + "mlp.gate_proj.weight", {c.intermediate_size, h}, l.gate_proj);
    binder.bind(p + "mlp.up_proj.weight", {c.intermediate_size, h}, l.up_proj);
    binder.bind(p + "mlp.down_proj.weight", {h, c.intermediate_size}, l.down_proj);
  }
  const int64_t vocab = w.embed_tokens.defined() && w.embed_tokens.rank() == 2
                            ? w.embed_tokens.dim(0) : -1;
  switch (c.head) {
    case Qwen3Head::kNone:
      break;
    case Qwen3Head::kCausalLm:
      // Tied heads reuse embed_tokens; some tied checkpoints still store a copy.
      binder.bind("lm_head.weight", {vocab, h}, w.lm_head, /*required=*/!c.tie_word_embeddings);
      break;
    case Qwen3Head::kSequenceCls:
      binder.bind("score.weight", {c.num_labels, h}, w.score);
      break;
  }
  FB_RETURN_IF_ERROR(binder.finish());
  return w;
}

}  // namespace fourbrain::models
