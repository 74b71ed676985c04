#include "models/qwen3/qwen3_weights.h"

#include <string>

#include "models/weight_binder.h"

namespace fourbrain::models {

Result<Qwen3Weights> bind_qwen3_weights(const formats::Checkpoint& checkpoint,
                                        const Qwen3Config& c) {
  const std::string prefix = checkpoint.find("model.embed_tokens.weight") ? "model." : "";
  const int64_t h = c.hidden_size, hd = c.head_dim;
  WeightBinder binder(checkpoint);
  Qwen3Weights w;
  w.prefix = prefix;
  binder.bind(prefix + "embed_tokens.weight", {-1, h}, w.embed_tokens);
  binder.bind(prefix + "norm.weight", {h}, w.norm);
  w.layers.resize(static_cast<size_t>(c.n_layers));
  for (int i = 0; i < c.n_layers; ++i) {
    const std::string p = prefix + "layers." + std::to_string(i) + ".";
    Qwen3LayerWeights& l = w.layers[static_cast<size_t>(i)];
    l.prefix = p;
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
  const int64_t vocab =
      w.embed_tokens.defined() && w.embed_tokens.rank() == 2 ? w.embed_tokens.dim(0) : -1;
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
