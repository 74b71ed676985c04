#include "models/qwen3/qwen3_model.h"

#include <algorithm>
#include <string>

#include "base/file.h"
#include "models/qwen3/qwen3_weights.h"
#include "ops/gather.h"

namespace fourbrain::models {
namespace {

Result<Tensor> i32_tensor(const std::vector<int32_t>& values) {
  FB_ASSIGN_OR_RETURN(Tensor t, Tensor::empty(DType::kI32, {static_cast<int64_t>(values.size())}));
  std::copy(values.begin(), values.end(), t.data<int32_t>());
  return t;
}

Result<Tensor> f32_matrix(int64_t rows, int64_t cols) {
  return Tensor::empty(DType::kF32, {rows, cols});
}

Result<Tensor> matrix(DType dtype, int64_t rows, int64_t cols) {
  return Tensor::empty(dtype, {rows, cols});
}

}  // namespace

Result<std::unique_ptr<Qwen3Model>> Qwen3Model::load(const std::string& dir,
                                                     const Qwen3LoadOptions& options) {
  auto model = std::unique_ptr<Qwen3Model>(new Qwen3Model());
  FB_ASSIGN_OR_RETURN(model->config_, Qwen3Config::load(join_path(dir, "config.json")));
  FB_ASSIGN_OR_RETURN(model->checkpoint_, formats::Checkpoint::open(dir));
  FB_ASSIGN_OR_RETURN(Qwen3Weights w, bind_qwen3_weights(model->checkpoint_, model->config_));
  model->precision_ = options.precision;
  model->embed_tokens_ = w.embed_tokens;
  model->output_matrix_ = w.lm_head.defined() ? w.lm_head : w.embed_tokens;
  model->score_ = w.score;
  FB_ASSIGN_OR_RETURN(model->final_norm_, nn::to_f32(w.norm));
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const Qwen3LayerWeights& lw = w.layers[i];
    Layer layer;
    FB_ASSIGN_OR_RETURN(layer.input_norm, nn::to_f32(lw.input_norm));
    FB_ASSIGN_OR_RETURN(
        layer.qkv, nn::Linear::from_parts({lw.q_proj, lw.k_proj, lw.v_proj}, options.precision));
    FB_ASSIGN_OR_RETURN(layer.q_norm, nn::to_f32(lw.q_norm));
    FB_ASSIGN_OR_RETURN(layer.k_norm, nn::to_f32(lw.k_norm));
    FB_ASSIGN_OR_RETURN(layer.o_proj, nn::Linear::from_parts({lw.o_proj}, options.precision));
    FB_ASSIGN_OR_RETURN(layer.post_attn_norm, nn::to_f32(lw.post_attn_norm));
    FB_ASSIGN_OR_RETURN(layer.gate_up,
                        nn::Linear::from_parts({lw.gate_proj, lw.up_proj}, options.precision));
    FB_ASSIGN_OR_RETURN(layer.down, nn::Linear::from_parts({lw.down_proj}, options.precision));
    model->layers_.push_back(std::move(layer));
    // The layer now lives in its prepared copy: let the kernel drop the mapped original
    // at once, so RSS holds the weights once (also at the peak of loading), not twice.
    const std::string layer_key = "layers." + std::to_string(i) + ".";
    for (const formats::TensorEntry& entry : model->checkpoint_.entries()) {
      if (entry.name.find(layer_key) != std::string::npos) entry.drop_pages();
    }
  }
  return model;
}

size_t Qwen3Model::prepared_weight_bytes() const {
  size_t total = final_norm_.nbytes();
  for (const Layer& l : layers_) {
    total += l.qkv.nbytes() + l.o_proj.nbytes() + l.gate_up.nbytes() + l.down.nbytes() +
             l.input_norm.nbytes() + l.post_attn_norm.nbytes() + l.q_norm.nbytes() +
             l.k_norm.nbytes();
  }
  return total;
}

Result<nn::Linear> Qwen3Model::output_rows_head(const std::vector<int32_t>& token_ids) const {
  if (config_.head != Qwen3Head::kCausalLm) {
    return invalid_argument("checkpoint has no language-model head (architecture \"" +
                            config_.architecture + "\")");
  }
  std::vector<Tensor> rows;
  for (int32_t id : token_ids) {
    if (id < 0 || id >= output_matrix_.dim(0)) {
      return invalid_argument("token id " + std::to_string(id) + " outside the output head");
    }
    rows.push_back(output_matrix_.slice_rows(id, id + 1));
  }
  // The head is two rows: keep it in f32 so scores do not depend on the GEMM precision.
  return nn::Linear::from_parts(rows, ops::MatmulPrecision::kF32);
}

Result<nn::Linear> Qwen3Model::score_head() const {
  if (config_.head != Qwen3Head::kSequenceCls) {
    return invalid_argument("checkpoint has no sequence-classification score head");
  }
  return nn::Linear::from_parts({score_}, ops::MatmulPrecision::kF32);
}

Result<Tensor> Qwen3Model::forward_last_tokens(const RaggedBatch& batch) const {
  const Qwen3Config& c = config_;
  const int64_t n = batch.n_tokens();
  const int64_t n_seqs = batch.n_seqs();
  if (n_seqs == 0) return invalid_argument("empty batch");
  std::vector<int32_t> last_rows;
  for (int64_t s = 0; s < n_seqs; ++s) {
    if (batch.cu_seqlens[s + 1] <= batch.cu_seqlens[s]) {
      return invalid_argument("sequence " + std::to_string(s) + " of the batch is empty");
    }
    last_rows.push_back(batch.cu_seqlens[s + 1] - 1);
  }
  const int64_t h = c.hidden_size, qkv_width = (c.n_heads + 2LL * c.n_kv_heads) * c.head_dim;
  const int64_t attn_width = static_cast<int64_t>(c.n_heads) * c.head_dim;
  const float eps = static_cast<float>(c.rms_norm_eps);
  FB_ASSIGN_OR_RETURN(Tensor ids, i32_tensor(batch.token_ids));
  FB_ASSIGN_OR_RETURN(Tensor positions, i32_tensor(batch.positions));
  FB_ASSIGN_OR_RETURN(Tensor cu_seqlens, i32_tensor(batch.cu_seqlens));
  FB_ASSIGN_OR_RETURN(Tensor last, i32_tensor(last_rows));
  // GEMM inputs (normed, attn, act) are stored in the GEMMs' precision, so bf16 GEMMs read
  // them without a conversion pass; the residual stream and norms stay f32.
  const DType gemm_in = precision_ == ops::MatmulPrecision::kBF16 ? DType::kBF16 : DType::kF32;
  FB_ASSIGN_OR_RETURN(Tensor x, f32_matrix(n, h));  // residual stream
  FB_ASSIGN_OR_RETURN(Tensor normed, matrix(gemm_in, n, h));
  FB_ASSIGN_OR_RETURN(Tensor qkv, f32_matrix(n, qkv_width));
  FB_ASSIGN_OR_RETURN(Tensor attn, matrix(gemm_in, n, attn_width));
  FB_ASSIGN_OR_RETURN(Tensor proj, f32_matrix(n, h));
  FB_ASSIGN_OR_RETURN(Tensor gate_up, f32_matrix(n, 2 * c.intermediate_size));
  FB_ASSIGN_OR_RETURN(Tensor act, matrix(gemm_in, n, c.intermediate_size));
  FB_ASSIGN_OR_RETURN(Tensor pooled, f32_matrix(n_seqs, h));  // the final norm's output

  FB_RETURN_IF_ERROR(ops::embedding_lookup(embed_tokens_, ids, x));
  FB_RETURN_IF_ERROR(ops::rms_norm(x, layers_[0].input_norm, eps, normed));
  // Rows still live: every token until the last layer's attention, then only the last
  // token of each sequence (nothing after the last attention mixes tokens).
  Tensor rx = x, rnormed = normed, rattn = attn, rproj = proj, rgate_up = gate_up, ract = act;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    const bool last_layer = i + 1 == layers_.size();
    const Tensor& next_norm = last_layer ? final_norm_ : layers_[i + 1].input_norm;
    FB_RETURN_IF_ERROR(l.qkv.forward(normed, qkv));
    FB_RETURN_IF_ERROR(ops::qk_norm_rope(qkv, c.n_heads, c.n_kv_heads, c.head_dim, l.q_norm,
                                         l.k_norm, eps, positions,
                                         static_cast<float>(c.rope_theta)));
    FB_RETURN_IF_ERROR(ops::attention(qkv, cu_seqlens, batch.max_seqlen, c.n_heads, c.n_kv_heads,
                                      c.head_dim, /*causal=*/true, attn));
    if (last_layer) {
      FB_ASSIGN_OR_RETURN(rattn, matrix(gemm_in, n_seqs, attn_width));
      FB_ASSIGN_OR_RETURN(rx, f32_matrix(n_seqs, h));
      FB_RETURN_IF_ERROR(ops::gather_rows(attn, last, rattn));
      FB_RETURN_IF_ERROR(ops::gather_rows(x, last, rx));
      rnormed = normed.slice_rows(0, n_seqs);
      rproj = proj.slice_rows(0, n_seqs);
      rgate_up = gate_up.slice_rows(0, n_seqs);
      ract = act.slice_rows(0, n_seqs);
    }
    FB_RETURN_IF_ERROR(l.o_proj.forward(rattn, rproj));
    FB_RETURN_IF_ERROR(ops::add_rms_norm(rx, rproj, l.post_attn_norm, eps, rnormed));
    FB_RETURN_IF_ERROR(l.gate_up.forward(rnormed, rgate_up));
    FB_RETURN_IF_ERROR(ops::silu_mul(rgate_up, ract));
    FB_RETURN_IF_ERROR(l.down.forward(ract, rproj));
    FB_RETURN_IF_ERROR(ops::add_rms_norm(rx, rproj, next_norm, eps, last_layer ? pooled : rnormed));
  }
  return pooled;
}

}  // namespace fourbrain::models
