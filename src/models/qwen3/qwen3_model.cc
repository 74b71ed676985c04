#include "models/qwen3/qwen3_model.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "base/file.h"
#include "base/log.h"
#include "core/arena_allocator.h"
#include "kernels/cpu/convert.h"
#include "models/quantized_linear.h"
#include "models/qwen3/qwen3_weights.h"
#include "ops/gather.h"
#include "ops/transfer.h"
#include "quant/quantized_checkpoint.h"
#include "quant/weight_quantizers.h"

namespace fourbrain::models {
namespace {

Result<Tensor> matrix(Allocator& a, DType dtype, int64_t rows, int64_t cols) {
  return Tensor::empty(dtype, {rows, cols}, a);
}

// The i32 inputs of a forward pass, packed so that a GPU gets them in one copy.
struct IndexInputs {
  Tensor all;  // ids [n] | positions [n] | cu_seqlens [n_seqs + 1] | last rows [m]
  Tensor ids, positions, cu_seqlens, last;
};

Result<IndexInputs> index_inputs(const RaggedBatch& batch, const std::vector<int32_t>& last_rows,
                                 Allocator& scratch) {
  const int64_t n = batch.n_tokens(), n_seqs = batch.n_seqs();
  const int64_t total = 2 * n + (n_seqs + 1) + static_cast<int64_t>(last_rows.size());
  FB_ASSIGN_OR_RETURN(Tensor host, Tensor::empty(DType::kI32, {total}));
  int32_t* p = host.data<int32_t>();
  p = std::copy(batch.token_ids.begin(), batch.token_ids.end(), p);
  p = std::copy(batch.positions.begin(), batch.positions.end(), p);
  p = std::copy(batch.cu_seqlens.begin(), batch.cu_seqlens.end(), p);
  std::copy(last_rows.begin(), last_rows.end(), p);
  IndexInputs in;
  if (scratch.device() == DeviceKind::kCpu) {
    in.all = host;
  } else {
    FB_ASSIGN_OR_RETURN(in.all, Tensor::empty(DType::kI32, {total}, scratch));
    FB_RETURN_IF_ERROR(ops::copy(host, in.all));
  }
  in.ids = in.all.slice_rows(0, n);
  in.positions = in.all.slice_rows(n, 2 * n);
  in.cu_seqlens = in.all.slice_rows(2 * n, 2 * n + n_seqs + 1);
  in.last = in.all.slice_rows(2 * n + n_seqs + 1, total);
  return in;
}

}  // namespace

Result<std::unique_ptr<Qwen3Model>> Qwen3Model::load(const std::string& dir,
                                                     const Qwen3LoadOptions& options) {
  auto model = std::unique_ptr<Qwen3Model>(new Qwen3Model());
  FB_ASSIGN_OR_RETURN(model->config_, Qwen3Config::load(join_path(dir, "config.json")));
  if (options.cuda_device >= 0) {
    FB_ASSIGN_OR_RETURN(model->checkpoint_, quant::open_checkpoint_keeping_quantized(dir));
  } else {
    FB_ASSIGN_OR_RETURN(model->checkpoint_.checkpoint, quant::open_checkpoint(dir));
  }
  FB_ASSIGN_OR_RETURN(Qwen3Weights w,
                      bind_qwen3_weights(model->checkpoint_.checkpoint, model->config_));
  model->precision_ = options.precision;
  const bool quantized = options.precision == ops::MatmulPrecision::kFp8 ||
                         options.precision == ops::MatmulPrecision::kNvfp4;
  if (quantized && options.cuda_device < 0) {
    return unsupported(dir + ": FP8 and NVFP4 GEMMs run on a GPU only");
  }
  if (options.cuda_device >= 0) {
    if (options.precision == ops::MatmulPrecision::kF32) {
      return unsupported(dir + ": on a GPU, Qwen3 runs in bf16, fp8 or nvfp4 (not f32)");
    }
    FB_ASSIGN_OR_RETURN(model->cuda_, CudaPlacement::create(options.cuda_device));
  }
  FB_RETURN_IF_ERROR(model->prepare_weights(w, options));
  if (!model->checkpoint_.stored.empty()) {
    log_event(LogLevel::kInfo, "qwen3_quantized_checkpoint",
              {{"dir", dir},
               {"stored_weights", std::to_string(model->checkpoint_.stored.size())},
               {"linears_run_as_stored", std::to_string(model->stored_linears_)}});
  }
  if (model->cuda_) {
    FB_RETURN_IF_ERROR(model->cuda_->start(model->arena_bytes(options.max_batch_tokens)));
  }
  return model;
}

Result<Tensor> Qwen3Model::to_model_device(const Tensor& host) const {
  if (!cuda_) return host;
  return cuda_->upload(host);
}

Status Qwen3Model::prepare_weights(const Qwen3Weights& w, const Qwen3LoadOptions& options) {
  auto norm = [&](const Tensor& t) -> Result<Tensor> {
    FB_ASSIGN_OR_RETURN(Tensor f32, nn::to_f32(t));
    return to_model_device(f32);
  };
  // Tables and heads a checkpoint stores quantized are used dequantized.
  auto table = [&](const Tensor& bound, const std::string& name) -> Result<Tensor> {
    const quant::StoredLinear* stored = checkpoint_.find(name);
    if (bound.defined() || stored == nullptr) return bound;
    return quant::dequantize_stored(*stored);
  };
  FB_ASSIGN_OR_RETURN(embed_tokens_, table(w.embed_tokens, w.prefix + "embed_tokens.weight"));
  FB_ASSIGN_OR_RETURN(Tensor lm_head, table(w.lm_head, "lm_head.weight"));
  output_matrix_ = lm_head.defined() ? lm_head : embed_tokens_;
  FB_ASSIGN_OR_RETURN(score_, table(w.score, "score.weight"));
  if (cuda_ && options.quantize_embeddings && options.precision == ops::MatmulPrecision::kNvfp4) {
    FB_RETURN_IF_ERROR(upload_nvfp4_embeddings());
  } else if (cuda_) {
    // The mapping may be unaligned for the GPU's loads: copy the table as it is stored.
    FB_ASSIGN_OR_RETURN(Tensor table, embed_tokens_.clone());
    FB_ASSIGN_OR_RETURN(device_embed_tokens_, to_model_device(table));
  }
  FB_ASSIGN_OR_RETURN(final_norm_, norm(w.norm));
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const Qwen3LayerWeights& lw = w.layers[i];
    Layer layer;
    FB_ASSIGN_OR_RETURN(layer.input_norm, norm(lw.input_norm));
    const std::string& p = lw.prefix;
    layer.prefix = p;
    FB_ASSIGN_OR_RETURN(layer.qkv,
                        make_linear({p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight",
                                     p + "self_attn.v_proj.weight"},
                                    {lw.q_proj, lw.k_proj, lw.v_proj}, options));
    FB_ASSIGN_OR_RETURN(layer.q_norm, norm(lw.q_norm));
    FB_ASSIGN_OR_RETURN(layer.k_norm, norm(lw.k_norm));
    FB_ASSIGN_OR_RETURN(layer.o_proj,
                        make_linear({p + "self_attn.o_proj.weight"}, {lw.o_proj}, options));
    FB_ASSIGN_OR_RETURN(layer.post_attn_norm, norm(lw.post_attn_norm));
    FB_ASSIGN_OR_RETURN(layer.gate_up,
                        make_linear({p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"},
                                    {lw.gate_proj, lw.up_proj}, options));
    FB_ASSIGN_OR_RETURN(layer.down,
                        make_linear({p + "mlp.down_proj.weight"}, {lw.down_proj}, options));
    layers_.push_back(std::move(layer));
    // The layer now lives in its prepared copy: let the kernel drop the mapped original
    // at once, so RSS holds the weights once (also at the peak of loading), not twice.
    const std::string layer_key = "layers." + std::to_string(i) + ".";
    for (const formats::TensorEntry& entry : checkpoint_.checkpoint.entries()) {
      if (entry.name.find(layer_key) != std::string::npos) entry.drop_pages();
    }
    for (const auto& [name, stored] : checkpoint_.stored) {
      if (name.find(layer_key) != std::string::npos) stored.drop_pages();
    }
  }
  return Status::ok();
}

Result<nn::Linear> Qwen3Model::make_linear(const std::vector<std::string>& names,
                                           std::vector<Tensor> parts,
                                           const Qwen3LoadOptions& options) {
  const bool fast_accumulation = !options.fp8_precise_accumulation;
  std::vector<const quant::StoredLinear*> stored;
  for (const std::string& name : names) {
    if (const quant::StoredLinear* s = checkpoint_.find(name)) stored.push_back(s);
  }
  if (cuda_ && stored.size() == names.size()) {
    const quant::QuantPrecision p = stored[0]->precision;
    const ops::MatmulPrecision as_matmul = p == quant::QuantPrecision::kFp8
                                               ? ops::MatmulPrecision::kFp8
                                               : ops::MatmulPrecision::kNvfp4;
    const bool one_precision =
        std::all_of(stored.begin(), stored.end(), [&](const auto* s) { return s->precision == p; });
    if (one_precision && (options.keep_checkpoint_quantization || options.precision == as_matmul)) {
      ++stored_linears_;
      return stored_linear(stored, cuda_->memory(), fast_accumulation);
    }
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].defined()) continue;
    FB_ASSIGN_OR_RETURN(parts[i], quant::dequantize_stored(*checkpoint_.find(names[i])));
  }
  if (options.precision == ops::MatmulPrecision::kFp8 ||
      options.precision == ops::MatmulPrecision::kNvfp4) {
    const quant::QuantPrecision p = options.precision == ops::MatmulPrecision::kFp8
                                        ? quant::QuantPrecision::kFp8
                                        : quant::QuantPrecision::kNvfp4;
    return quantized_linear(parts, p, cuda_->memory(), fast_accumulation);
  }
  return nn::Linear::from_parts(parts, options.precision, {}, cuda_ ? &cuda_->memory() : nullptr);
}

std::vector<NamedLinear> Qwen3Model::named_linears() const {
  std::vector<NamedLinear> out;
  for (const Layer& l : layers_) {
    const std::string a = l.prefix + "self_attn.", m = l.prefix + "mlp.";
    out.push_back({&l.qkv, {a + "q_proj", a + "k_proj", a + "v_proj"}});
    out.push_back({&l.o_proj, {a + "o_proj"}});
    out.push_back({&l.gate_up, {m + "gate_proj", m + "up_proj"}});
    out.push_back({&l.down, {m + "down_proj"}});
  }
  return out;
}

bool Qwen3Model::fp8_rows(int64_t n, std::initializer_list<nn::Linear Layer::*> readers) const {
  if (!cuda_ || layers_.empty()) return false;
  for (const Layer& layer : layers_) {
    for (nn::Linear Layer::*reader : readers) {
      if (!(layer.*reader).takes_fp8_rows(n)) return false;
    }
  }
  return true;
}

// The embedding table quantized to NVFP4 (ModelOpt's rules, one global scale for the table)
// and uploaded; rows are decoded by the lookup kernel.
Status Qwen3Model::upload_nvfp4_embeddings() {
  const int64_t rows = embed_tokens_.dim(0), cols = embed_tokens_.dim(1);
  std::vector<float> w(static_cast<size_t>(rows * cols));
  kernels::cpu::convert_to_f32_parallel(embed_tokens_.raw_data(), embed_tokens_.dtype(),
                                        rows * cols, w.data());
  FB_ASSIGN_OR_RETURN(quant::Nvfp4Weight q, quant::quantize_nvfp4(w.data(), rows, cols));
  FB_ASSIGN_OR_RETURN(
      nvfp4_embed_codes_,
      to_model_device(Tensor::borrow(DType::kU8, {rows, cols / 2}, q.packed.data(), nullptr)));
  FB_ASSIGN_OR_RETURN(nvfp4_embed_scales_,
                      to_model_device(Tensor::borrow(DType::kU8, {rows, cols / quant::kNvfp4Block},
                                                     q.block_scale.data(), nullptr)));
  nvfp4_embed_global_ = q.scale_2;
  return Status::ok();
}

size_t Qwen3Model::prepared_weight_bytes() const {
  size_t total = final_norm_.nbytes() + device_embed_tokens_.nbytes() +
                 nvfp4_embed_codes_.nbytes() + nvfp4_embed_scales_.nbytes();
  for (const Layer& l : layers_) {
    total += l.qkv.nbytes() + l.o_proj.nbytes() + l.gate_up.nbytes() + l.down.nbytes() +
             l.input_norm.nbytes() + l.post_attn_norm.nbytes() + l.q_norm.nbytes() +
             l.k_norm.nbytes();
  }
  return total;
}

size_t Qwen3Model::memory_bytes() const {
  if (!cuda_) return prepared_weight_bytes() + embed_tokens_.nbytes();
  return cuda_->bytes();
}

size_t Qwen3Model::workspace_bytes() const { return cuda_ ? cuda_->workspace_bytes() : 0; }

size_t Qwen3Model::arena_bytes(int64_t n_tokens) const {
  const Qwen3Config& c = config_;
  const auto t = static_cast<size_t>(n_tokens);
  const auto h = static_cast<size_t>(c.hidden_size);
  const size_t qkv_width = static_cast<size_t>(c.n_heads + 2 * c.n_kv_heads) * c.head_dim;
  const size_t attn_width = static_cast<size_t>(c.n_heads) * c.head_dim;
  const auto inter = static_cast<size_t>(c.intermediate_size);
  auto f = [](size_t bytes) { return ArenaAllocator::footprint(bytes); };
  // A GEMM input of k columns: bf16, or FP8 codes and a scale per row (whichever is larger:
  // NVFP4 weights take either, by batch size).
  auto gemm_input = [&](size_t k) { return std::max(f(t * k * 2), f(t * k) + f(t * 4)); };
  // Every buffer forward_on() takes on a GPU, for t tokens in as many sequences (the worst
  // case): indices, x, normed, qkv, attn, proj (empty), gate_up, act, pooled, rattn, rx.
  return f((4 * t + 1) * 4) + f(t * h * 4) + gemm_input(h) + f(t * qkv_width * 2) +
         f(t * attn_width * 2) + f(0) + f(t * 2 * inter * 2) + gemm_input(inter) + f(t * h * 4) +
         f(t * attn_width * 2) + f(t * h * 4);
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
  if (batch.n_seqs() == 0) return invalid_argument("empty batch");
  for (int64_t s = 0; s < batch.n_seqs(); ++s) {
    if (batch.cu_seqlens[s + 1] <= batch.cu_seqlens[s]) {
      return invalid_argument("sequence " + std::to_string(s) + " of the batch is empty");
    }
  }
  if (!cuda_) return forward_on(batch, host_allocator());
  // The GPU kernels read ids without a bounds check: check them here.
  for (size_t i = 0; i < batch.token_ids.size(); ++i) {
    if (batch.token_ids[i] < 0 || batch.token_ids[i] >= vocab_size()) {
      return invalid_argument("token id " + std::to_string(batch.token_ids[i]) +
                              " outside the embedding table's " + std::to_string(vocab_size()) +
                              " rows");
    }
  }
  return cuda_->run([&](Allocator& scratch) { return forward_on(batch, scratch); });
}

Status Qwen3Model::inject_fault_for_testing() const {
  if (!cuda_) return unsupported("fault injection needs a GPU model");
  return cuda_->inject_fault_for_testing();
}

Result<Tensor> Qwen3Model::forward_on(const RaggedBatch& batch, Allocator& scratch) const {
  const Qwen3Config& c = config_;
  const int64_t n = batch.n_tokens();
  const int64_t n_seqs = batch.n_seqs();
  std::vector<int32_t> last_rows;
  for (int64_t s = 0; s < n_seqs; ++s) last_rows.push_back(batch.cu_seqlens[s + 1] - 1);
  // The rows the last layer computes after its attention: each sequence's last token, or
  // every token while calibrating, so that the recorded inputs are those of the whole model
  // (as other servers run it); the last tokens are picked at the end then.
  const bool every_row = nn::LinearInputRecorder::installed() != nullptr;
  std::vector<int32_t> kept_rows = last_rows;
  if (every_row) {
    kept_rows.resize(static_cast<size_t>(n));
    std::iota(kept_rows.begin(), kept_rows.end(), 0);
  }
  const auto n_kept = static_cast<int64_t>(kept_rows.size());
  const int64_t h = c.hidden_size, qkv_width = (c.n_heads + 2LL * c.n_kv_heads) * c.head_dim;
  const int64_t attn_width = static_cast<int64_t>(c.n_heads) * c.head_dim;
  const float eps = static_cast<float>(c.rms_norm_eps);
  FB_ASSIGN_OR_RETURN(IndexInputs in, index_inputs(batch, kept_rows, scratch));
  // GEMM inputs (normed, attn, act) are stored in the GEMMs' precision, so bf16 GEMMs read
  // them without a conversion pass; the residual stream and norms stay f32. On a GPU the
  // GEMM outputs that feed elementwise kernels (qkv, gate_up) are bf16 too, as in HF's bf16
  // model: half the memory traffic of the passes that are bandwidth-bound.
  const DType gemm_in = precision_ == ops::MatmulPrecision::kF32 ? DType::kF32 : DType::kBF16;
  const DType gemm_out = cuda_ ? DType::kBF16 : DType::kF32;
  const DType f32 = DType::kF32;
  // Where the weights take FP8 rows the norms and SwiGLU write them for the GEMMs directly.
  auto gemm_input = [&](int64_t cols, bool as_fp8_rows) -> Result<ops::LinearInput> {
    if (as_fp8_rows) return ops::LinearInput::fp8_rows(n, cols, scratch);
    FB_ASSIGN_OR_RETURN(Tensor values, matrix(scratch, gemm_in, n, cols));
    return ops::LinearInput(std::move(values));
  };
  FB_ASSIGN_OR_RETURN(Tensor x, matrix(scratch, f32, n, h));  // residual stream
  FB_ASSIGN_OR_RETURN(ops::LinearInput normed,
                      gemm_input(h, fp8_rows(n, {&Layer::qkv, &Layer::gate_up})));
  FB_ASSIGN_OR_RETURN(Tensor qkv, matrix(scratch, gemm_out, n, qkv_width));
  FB_ASSIGN_OR_RETURN(Tensor attn, matrix(scratch, gemm_in, n, attn_width));
  // The CPU's add_rms_norm reads the projections from here; a GPU adds them in the GEMM.
  FB_ASSIGN_OR_RETURN(Tensor proj, matrix(scratch, f32, cuda_ ? 0 : n, h));
  FB_ASSIGN_OR_RETURN(Tensor gate_up, matrix(scratch, gemm_out, n, 2 * c.intermediate_size));
  FB_ASSIGN_OR_RETURN(ops::LinearInput act,
                      gemm_input(c.intermediate_size, fp8_rows(n, {&Layer::down})));
  FB_ASSIGN_OR_RETURN(Tensor pooled_f32, matrix(scratch, f32, n_kept, h));
  ops::LinearInput pooled(pooled_f32);  // the final norm's output

  // residual += linear(in); out = rms_norm(residual). On a GPU the add is the GEMM's
  // epilogue; on the CPU it is fused into the norm (via `proj`).
  auto residual_step = [&](const nn::Linear& linear, const ops::LinearInput& input,
                           Tensor& proj_rows, Tensor& residual, const Tensor& norm,
                           ops::LinearInput& out) -> Status {
    if (cuda_) {
      FB_RETURN_IF_ERROR(linear.forward_accumulate(input, residual));
      return ops::rms_norm(residual, norm, eps, out);
    }
    FB_RETURN_IF_ERROR(linear.forward(input, proj_rows));
    return ops::add_rms_norm(residual, proj_rows, norm, eps, out.values());
  };
  if (nvfp4_embed_codes_.defined()) {
    FB_RETURN_IF_ERROR(ops::embedding_lookup_nvfp4(nvfp4_embed_codes_, nvfp4_embed_scales_,
                                                   nvfp4_embed_global_, in.ids, x));
  } else {
    const Tensor& table = cuda_ ? device_embed_tokens_ : embed_tokens_;
    FB_RETURN_IF_ERROR(ops::embedding_lookup(table, in.ids, x));
  }
  FB_RETURN_IF_ERROR(ops::rms_norm(x, layers_[0].input_norm, eps, normed));
  // Rows still live: every token until the last layer's attention, then only the last
  // token of each sequence (nothing after the last attention mixes tokens).
  Tensor rx = x, rattn = attn, rproj = proj, rgate_up = gate_up;
  ops::LinearInput rnormed = normed, ract = act;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    const bool last_layer = i + 1 == layers_.size();
    const Tensor& next_norm = last_layer ? final_norm_ : layers_[i + 1].input_norm;
    FB_RETURN_IF_ERROR(l.qkv.forward(normed, qkv));
    FB_RETURN_IF_ERROR(ops::qk_norm_rope(qkv, c.n_heads, c.n_kv_heads, c.head_dim, l.q_norm,
                                         l.k_norm, eps, in.positions,
                                         static_cast<float>(c.rope_theta)));
    FB_RETURN_IF_ERROR(ops::attention(qkv, in.cu_seqlens, batch.max_seqlen, c.n_heads, c.n_kv_heads,
                                      c.head_dim, /*causal=*/true, attn));
    if (last_layer) {
      FB_ASSIGN_OR_RETURN(rattn, matrix(scratch, gemm_in, n_kept, attn_width));
      FB_ASSIGN_OR_RETURN(rx, matrix(scratch, f32, n_kept, h));
      FB_RETURN_IF_ERROR(ops::gather_rows(attn, in.last, rattn));
      FB_RETURN_IF_ERROR(ops::gather_rows(x, in.last, rx));
      rnormed = normed.slice_rows(0, n_kept);
      if (!cuda_) rproj = proj.slice_rows(0, n_kept);
      rgate_up = gate_up.slice_rows(0, n_kept);
      ract = act.slice_rows(0, n_kept);
    }
    FB_RETURN_IF_ERROR(residual_step(l.o_proj, rattn, rproj, rx, l.post_attn_norm, rnormed));
    FB_RETURN_IF_ERROR(l.gate_up.forward(rnormed, rgate_up));
    FB_RETURN_IF_ERROR(ops::silu_mul(rgate_up, ract));
    FB_RETURN_IF_ERROR(
        residual_step(l.down, ract, rproj, rx, next_norm, last_layer ? pooled : rnormed));
  }
  Tensor host = pooled_f32;
  if (cuda_) {
    FB_ASSIGN_OR_RETURN(host, Tensor::empty(f32, {n_kept, h}));
    FB_RETURN_IF_ERROR(ops::copy(pooled_f32, host));  // waits for the whole pass
  }
  if (!every_row) return host;
  FB_ASSIGN_OR_RETURN(Tensor last, Tensor::empty(f32, {n_seqs, h}));
  for (int64_t s = 0; s < n_seqs; ++s) {
    std::copy_n(host.data<float>() + last_rows[static_cast<size_t>(s)] * h, h,
                last.data<float>() + s * h);
  }
  return last;
}

}  // namespace fourbrain::models
