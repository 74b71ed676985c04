// The Qwen3 weight table: HF tensor names -> our slots, with expected shapes.
//
// Accepts both key layouts (embedding checkpoints: "layers.0...", no prefix, no lm_head;
// reranker checkpoints: "model.layers.0...", maybe an untied "lm_head.weight"; seq-cls:
// a top-level "score.weight"). bind_qwen3_weights validates the whole checkpoint and
// reports every missing, unexpected or mis-shaped tensor in one error. The returned
// tensors are borrowed views into the checkpoint mapping (undefined for the weights a
// quantized checkpoint keeps as stored: quant/quantized_checkpoint.h).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "core/tensor.h"
#include "formats/safetensors.h"
#include "models/qwen3/qwen3_config.h"

namespace fourbrain::models {

struct Qwen3LayerWeights {
  std::string prefix;     // the layer's tensor names start so ("model.layers.3.")
  Tensor input_norm;      // [hidden]
  Tensor q_proj;          // [n_heads*head_dim, hidden]
  Tensor k_proj;          // [n_kv_heads*head_dim, hidden]
  Tensor v_proj;          // [n_kv_heads*head_dim, hidden]
  Tensor o_proj;          // [hidden, n_heads*head_dim]
  Tensor q_norm;          // [head_dim]
  Tensor k_norm;          // [head_dim]
  Tensor post_attn_norm;  // [hidden]
  Tensor gate_proj;       // [intermediate, hidden]
  Tensor up_proj;         // [intermediate, hidden]
  Tensor down_proj;       // [hidden, intermediate]
};

struct Qwen3Weights {
  std::string prefix;   // "model." or "" (see above)
  Tensor embed_tokens;  // [vocab, hidden]; vocab is taken from here
  std::vector<Qwen3LayerWeights> layers;
  Tensor norm;     // [hidden]
  Tensor lm_head;  // [vocab, hidden]; undefined when tied (use embed_tokens)
  Tensor score;    // [num_labels, hidden]; seq-cls checkpoints only
};

Result<Qwen3Weights> bind_qwen3_weights(const formats::Checkpoint& checkpoint,
                                        const Qwen3Config& config);

}  // namespace fourbrain::models
