#include "models/qwen3/qwen3_model.h"

#include <algorithm>
#include <string>

#include "base/file.h"
#include "core/arena_allocator.h"
#include "kernels/cpu/convert.h"
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
  Tensor all;  // ids [n] | positions [n] | cu_seqlens [n_seqs + 1] | last rows [n_seqs]
  Tensor ids, positions, cu_seqlens, last;
};

Result<IndexInputs> index_inputs(const RaggedBatch& batch, const std::vector<int32_t>& last_rows,
                                 Allocator& scratch) {
  const int64_t n = batch.n_tokens(), n_seqs = batch.n_seqs();
  const int64_t total = 2 * n + (n_seqs + 1) + n_seqs;
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

// The stacked parts quantized to FP8 with per-output-channel scales (ModelOpt's export
// semantics, quant/weight_quantizers.h), as an FP8 Linear on the GPU.
Result<nn::Linear> fp8_linear(const std::vector<Tensor>& parts, Allocator& device_memory,
                              bool fast_accumulation) {
  FB_ASSIGN_OR_RETURN(Tensor stacked, nn::stack_rows(parts));
  const int64_t rows = stacked.dim(0), cols = stacked.dim(1);
  std::vector<float> w(static_cast<size_t>(rows * cols));
  kernels::cpu::convert_to_f32_parallel(stacked.raw_data(), stacked.dtype(), rows * cols, w.data());
  const quant::Fp8Weight q = quant::quantize_fp8(w.data(), rows, cols, /*per_channel=*/true,
                                                 stacked.dtype() == DType::kBF16);
  const Tensor codes = Tensor::borrow(DType::kU8, {rows, cols}, q.codes.data(), nullptr);
  const Tensor scales = Tensor::borrow(DType::kF32, {rows}, q.scales.data(), nullptr);
  return nn::Linear::from_fp8(codes, scales, device_memory, fast_accumulation);
}

// The stacked parts quantized to NVFP4 (ModelOpt's export semantics: e2m1 codes, e4m3
// scales per 16 inputs, one global scale), as an NVFP4 Linear on the GPU.
Result<nn::Linear> nvfp4_linear(const std::vector<Tensor>& parts, Allocator& device_memory,
                                bool fast_accumulation) {
  FB_ASSIGN_OR_RETURN(Tensor stacked, nn::stack_rows(parts));
  const int64_t rows = stacked.dim(0), cols = stacked.dim(1);
  std::vector<float> w(static_cast<size_t>(rows * cols));
  kernels::cpu::convert_to_f32_parallel(stacked.raw_data(), stacked.dtype(), rows * cols, w.data());
  FB_ASSIGN_OR_RETURN(const quant::Nvfp4Weight q, quant::quantize_nvfp4(w.data(), rows, cols));
  const Tensor packed = Tensor::borrow(DType::kU8, {rows, cols / 2}, q.packed.data(), nullptr);
  const Tensor scales =
      Tensor::borrow(DType::kU8, {rows, cols / quant::kNvfp4Block}, q.block_scale.data(), nullptr);
  return nn::Linear::from_nvfp4(packed, scales, q.scale_2, device_memory, fast_accumulation);
}

}  // namespace

Result<std::unique_ptr<Qwen3Model>> Qwen3Model::load(const std::string& dir,
                                                     const Qwen3LoadOptions& options) {
  auto model = std::unique_ptr<Qwen3Model>(new Qwen3Model());
  FB_ASSIGN_OR_RETURN(model->config_, Qwen3Config::load(join_path(dir, "config.json")));
  FB_ASSIGN_OR_RETURN(model->checkpoint_, quant::open_checkpoint(dir));
  FB_ASSIGN_OR_RETURN(Qwen3Weights w, bind_qwen3_weights(model->checkpoint_, model->config_));
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
  Allocator* device_memory = cuda_ ? &cuda_->memory() : nullptr;
  auto norm = [&](const Tensor& t) -> Result<Tensor> {
    FB_ASSIGN_OR_RETURN(Tensor f32, nn::to_f32(t));
    return to_model_device(f32);
  };
  auto linear = [&](const std::vector<Tensor>& parts) -> Result<nn::Linear> {
    if (options.precision == ops::MatmulPrecision::kFp8) {
      return fp8_linear(parts, *device_memory, !options.fp8_precise_accumulation);
    }
    if (options.precision == ops::MatmulPrecision::kNvfp4) {
      return nvfp4_linear(parts, *device_memory, !options.fp8_precise_accumulation);
    }
    return nn::Linear::from_parts(parts, options.precision, {}, device_memory);
  };
  embed_tokens_ = w.embed_tokens;
  output_matrix_ = w.lm_head.defined() ? w.lm_head : w.embed_tokens;
  score_ = w.score;
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
    FB_ASSIGN_OR_RETURN(layer.qkv, linear({lw.q_proj, lw.k_proj, lw.v_proj}));
    FB_ASSIGN_OR_RETURN(layer.q_norm, norm(lw.q_norm));
    FB_ASSIGN_OR_RETURN(layer.k_norm, norm(lw.k_norm));
    FB_ASSIGN_OR_RETURN(layer.o_proj, linear({lw.o_proj}));
    FB_ASSIGN_OR_RETURN(layer.post_attn_norm, norm(lw.post_attn_norm));
    FB_ASSIGN_OR_RETURN(layer.gate_up, linear({lw.gate_proj, lw.up_proj}));
    FB_ASSIGN_OR_RETURN(layer.down, linear({lw.down_proj}));
    layers_.push_back(std::move(layer));
    // The layer now lives in its prepared copy: let the kernel drop the mapped original
    // at once, so RSS holds the weights once (also at the peak of loading), not twice.
    const std::string layer_key = "layers." + std::to_string(i) + ".";
    for (const formats::TensorEntry& entry : checkpoint_.entries()) {
      if (entry.name.find(layer_key) != std::string::npos) entry.drop_pages();
    }
  }
  return Status::ok();
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
  const int64_t h = c.hidden_size, qkv_width = (c.n_heads + 2LL * c.n_kv_heads) * c.head_dim;
  const int64_t attn_width = static_cast<int64_t>(c.n_heads) * c.head_dim;
  const float eps = static_cast<float>(c.rms_norm_eps);
  FB_ASSIGN_OR_RETURN(IndexInputs in, index_inputs(batch, last_rows, scratch));
  // GEMM inputs (normed, attn, act) are stored in the GEMMs' precision, so bf16 GEMMs read
  // them without a conversion pass; the residual stream and norms stay f32. On a GPU the
  // GEMM outputs that feed elementwise kernels (qkv, gate_up) are bf16 too, as in HF's bf16
  // model: half the memory traffic of the passes that are bandwidth-bound.
  const DType gemm_in = precision_ == ops::MatmulPrecision::kF32 ? DType::kF32 : DType::kBF16;
  const DType gemm_out = cuda_ ? DType::kBF16 : DType::kF32;
  const DType f32 = DType::kF32;
  // Where the weights take FP8 rows the norms and SwiGLU write them for the GEMMs directly.
  auto gemm_input = [&](int64_t cols) -> Result<ops::LinearInput> {
    if (fp8_rows(n)) return ops::LinearInput::fp8_rows(n, cols, scratch);
    FB_ASSIGN_OR_RETURN(Tensor values, matrix(scratch, gemm_in, n, cols));
    return ops::LinearInput(std::move(values));
  };
  FB_ASSIGN_OR_RETURN(Tensor x, matrix(scratch, f32, n, h));  // residual stream
  FB_ASSIGN_OR_RETURN(ops::LinearInput normed, gemm_input(h));
  FB_ASSIGN_OR_RETURN(Tensor qkv, matrix(scratch, gemm_out, n, qkv_width));
  FB_ASSIGN_OR_RETURN(Tensor attn, matrix(scratch, gemm_in, n, attn_width));
  // The CPU's add_rms_norm reads the projections from here; a GPU adds them in the GEMM.
  FB_ASSIGN_OR_RETURN(Tensor proj, matrix(scratch, f32, cuda_ ? 0 : n, h));
  FB_ASSIGN_OR_RETURN(Tensor gate_up, matrix(scratch, gemm_out, n, 2 * c.intermediate_size));
  FB_ASSIGN_OR_RETURN(ops::LinearInput act, gemm_input(c.intermediate_size));
  FB_ASSIGN_OR_RETURN(Tensor pooled_f32, matrix(scratch, f32, n_seqs, h));
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
      FB_ASSIGN_OR_RETURN(rattn, matrix(scratch, gemm_in, n_seqs, attn_width));
      FB_ASSIGN_OR_RETURN(rx, matrix(scratch, f32, n_seqs, h));
      FB_RETURN_IF_ERROR(ops::gather_rows(attn, in.last, rattn));
      FB_RETURN_IF_ERROR(ops::gather_rows(x, in.last, rx));
      rnormed = normed.slice_rows(0, n_seqs);
      if (!cuda_) rproj = proj.slice_rows(0, n_seqs);
      rgate_up = gate_up.slice_rows(0, n_seqs);
      ract = act.slice_rows(0, n_seqs);
    }
    FB_RETURN_IF_ERROR(residual_step(l.o_proj, rattn, rproj, rx, l.post_attn_norm, rnormed));
    FB_RETURN_IF_ERROR(l.gate_up.forward(rnormed, rgate_up));
    FB_RETURN_IF_ERROR(ops::silu_mul(rgate_up, ract));
    FB_RETURN_IF_ERROR(
        residual_step(l.down, ract, rproj, rx, next_norm, last_layer ? pooled : rnormed));
  }
  if (!cuda_) return pooled_f32;
  FB_ASSIGN_OR_RETURN(Tensor host, Tensor::empty(f32, {n_seqs, h}));
  FB_RETURN_IF_ERROR(ops::copy(pooled_f32, host));  // waits for the whole pass
  return host;
}

}  // namespace fourbrain::models
