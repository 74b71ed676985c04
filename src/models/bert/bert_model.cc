#include "models/bert/bert_model.h"

#include <algorithm>
#include <string>

#include "base/file.h"
#include "models/bert/bert_weights.h"
#include "quant/quantized_checkpoint.h"
#include "core/arena_allocator.h"
#include "ops/gather.h"
#include "ops/transfer.h"

namespace fourbrain::models {
namespace {

// `values` as an i32 tensor on `scratch`'s device.
Result<Tensor> i32_tensor(std::span<const int32_t> values, Allocator& scratch) {
  FB_ASSIGN_OR_RETURN(Tensor host, Tensor::empty(DType::kI32, {static_cast<int64_t>(values.size())}));
  std::copy(values.begin(), values.end(), host.data<int32_t>());
  if (scratch.device() == DeviceKind::kCpu) return host;
  FB_ASSIGN_OR_RETURN(Tensor t, Tensor::empty(DType::kI32, host.shape(), scratch));
  FB_RETURN_IF_ERROR(ops::copy(host, t));
  return t;
}

Result<Tensor> matrix(DType dtype, int64_t rows, int64_t cols,
                      Allocator& scratch = host_allocator()) {
  return Tensor::empty(dtype, {rows, cols}, scratch);
}

Result<nn::Linear> dense(const BertDense& d, ops::MatmulPrecision precision,
                         Allocator* device_memory = nullptr) {
  return nn::Linear::from_parts({d.weight}, precision, {d.bias}, device_memory);
}

}  // namespace

Status BertModel::prepare_weights(const BertWeights& w, ops::MatmulPrecision p) {
  Allocator* device_memory = cuda_ ? &cuda_->memory() : nullptr;
  // On a GPU: a copy of the (possibly unaligned, mapped) tensor in device memory.
  auto place = [&](const Tensor& t) -> Result<Tensor> {
    if (!cuda_) return t;
    FB_ASSIGN_OR_RETURN(Tensor host, t.clone());
    return cuda_->upload(host);
  };
  auto norm = [&](const Tensor& t) -> Result<Tensor> {
    FB_ASSIGN_OR_RETURN(Tensor f32, nn::to_f32(t));
    return place(f32);
  };
  FB_ASSIGN_OR_RETURN(word_embeddings_, place(w.word_embeddings));
  FB_ASSIGN_OR_RETURN(position_embeddings_, place(w.position_embeddings));
  FB_ASSIGN_OR_RETURN(token_type_embeddings_, place(w.token_type_embeddings));
  FB_ASSIGN_OR_RETURN(emb_norm_w_, norm(w.embeddings_norm.weight));
  FB_ASSIGN_OR_RETURN(emb_norm_b_, norm(w.embeddings_norm.bias));
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const BertLayerWeights& lw = w.layers[i];
    Layer layer;
    layer.prefix = w.prefix + "encoder.layer." + std::to_string(i) + ".";
    FB_ASSIGN_OR_RETURN(layer.qkv, nn::Linear::from_parts(
                                       {lw.query.weight, lw.key.weight, lw.value.weight}, p,
                                       {lw.query.bias, lw.key.bias, lw.value.bias}, device_memory));
    FB_ASSIGN_OR_RETURN(layer.attn_out, dense(lw.attn_out, p, device_memory));
    FB_ASSIGN_OR_RETURN(layer.attn_norm_w, norm(lw.attn_norm.weight));
    FB_ASSIGN_OR_RETURN(layer.attn_norm_b, norm(lw.attn_norm.bias));
    FB_ASSIGN_OR_RETURN(layer.intermediate, dense(lw.intermediate, p, device_memory));
    FB_ASSIGN_OR_RETURN(layer.output, dense(lw.output, p, device_memory));
    FB_ASSIGN_OR_RETURN(layer.out_norm_w, norm(lw.output_norm.weight));
    FB_ASSIGN_OR_RETURN(layer.out_norm_b, norm(lw.output_norm.bias));
    layers_.push_back(std::move(layer));
    // The layer now lives in its prepared copy: drop the mapped original's pages.
    const std::string layer_key = "encoder.layer." + std::to_string(i) + ".";
    for (const formats::TensorEntry& entry : checkpoint_.entries()) {
      if (entry.name.find(layer_key) != std::string::npos) entry.drop_pages();
    }
  }
  return Status::ok();
}

Result<std::unique_ptr<BertModel>> BertModel::load(const std::string& dir,
                                                   const BertLoadOptions& options) {
  auto model = std::unique_ptr<BertModel>(new BertModel());
  FB_ASSIGN_OR_RETURN(model->config_, BertConfig::load(join_path(dir, "config.json")));
  FB_ASSIGN_OR_RETURN(model->checkpoint_, quant::open_checkpoint(dir));
  FB_ASSIGN_OR_RETURN(BertWeights w, bind_bert_weights(model->checkpoint_, model->config_));
  model->precision_ = options.precision;
  if (options.cuda_device >= 0) {
    if (options.precision != ops::MatmulPrecision::kBF16) {
      return unsupported(dir + ": on a GPU, BERT-family models run in bf16 only");
    }
    FB_ASSIGN_OR_RETURN(model->cuda_, CudaPlacement::create(options.cuda_device));
  }
  FB_RETURN_IF_ERROR(model->prepare_weights(w, options.precision));
  if (model->cuda_) {
    FB_RETURN_IF_ERROR(model->cuda_->start(model->arena_bytes(options.max_batch_tokens)));
  }
  // Heads are a few rows: f32 whatever the precision, so scores do not depend on it.
  const auto f32 = ops::MatmulPrecision::kF32;
  if (model->has_classifier()) {
    const bool bert = model->config_.head == BertHead::kBertSeqCls;
    FB_ASSIGN_OR_RETURN(model->head_dense_, dense(bert ? w.pooler : w.head_dense, f32));
    FB_ASSIGN_OR_RETURN(model->head_out_, dense(w.head_out, f32));
  }
  return model;
}

size_t BertModel::arena_bytes(int64_t n_tokens) const {
  const auto t = static_cast<size_t>(n_tokens);
  const auto h = static_cast<size_t>(config_.hidden_size);
  const auto inter = static_cast<size_t>(config_.intermediate_size);
  auto f = [](size_t bytes) { return ArenaAllocator::footprint(bytes); };
  // What encode() and pooled_on() take on a GPU for t tokens in as many sequences: the
  // index vectors, x, tmp, x16, qkv, attn, mid, act_out, the kept rows (attn, x, x16) and
  // the pooled rows.
  return 6 * f((t + 1) * 4) + f(t * h * 4) + f(t * h * 4) + f(t * h * 2) + f(t * 3 * h * 2) +
         f(t * h * 2) + f(t * inter * 4) + f(t * inter * 2) + f(t * h * 2) + f(t * h * 4) +
         f(t * h * 2) + f(t * h * 4);
}

size_t BertModel::memory_bytes() const {
  if (cuda_) return cuda_->bytes();
  size_t total = word_embeddings_.nbytes() + position_embeddings_.nbytes() +
                 token_type_embeddings_.nbytes() + emb_norm_w_.nbytes() + emb_norm_b_.nbytes();
  for (const Layer& l : layers_) {
    total += l.qkv.nbytes() + l.attn_out.nbytes() + l.intermediate.nbytes() + l.output.nbytes() +
             l.attn_norm_w.nbytes() + l.attn_norm_b.nbytes() + l.out_norm_w.nbytes() +
             l.out_norm_b.nbytes();
  }
  if (has_classifier()) total += head_dense_.nbytes() + head_out_.nbytes();
  return total;
}

Status BertModel::check_inputs(const RaggedBatch& batch, std::span<const int32_t> type_ids) const {
  const int64_t n_seqs = batch.n_seqs();
  if (n_seqs == 0) return invalid_argument("empty batch");
  for (int64_t s = 0; s < n_seqs; ++s) {
    const int64_t len = batch.cu_seqlens[s + 1] - batch.cu_seqlens[s];
    if (len <= 0)
      return invalid_argument("sequence " + std::to_string(s) + " of the batch is empty");
    if (len > config_.max_tokens()) {
      return invalid_argument("sequence " + std::to_string(s) + " has " + std::to_string(len) +
                              " tokens; the model's position table holds " +
                              std::to_string(config_.max_tokens()));
    }
  }
  if (cuda_) {  // the GPU's embedding kernel reads ids without a bounds check
    for (size_t i = 0; i < batch.token_ids.size(); ++i) {
      if (batch.token_ids[i] < 0 || batch.token_ids[i] >= vocab_size()) {
        return invalid_argument("token id " + std::to_string(batch.token_ids[i]) +
                                " outside the embedding table's " +
                                std::to_string(vocab_size()) + " rows");
      }
    }
  }
  if (!type_ids.empty()) {
    if (static_cast<int64_t>(type_ids.size()) != batch.n_tokens()) {
      return invalid_argument(std::to_string(type_ids.size()) + " token type ids for " +
                              std::to_string(batch.n_tokens()) + " tokens");
    }
    for (size_t i = 0; i < type_ids.size(); ++i) {
      if (type_ids[i] < 0 || type_ids[i] >= config_.type_vocab_size) {
        return invalid_argument("token type id " + std::to_string(type_ids[i]) + " at token " +
                                std::to_string(i) + " outside [0, " +
                                std::to_string(config_.type_vocab_size) + ")");
      }
    }
  }
  return Status::ok();
}

std::vector<int32_t> BertModel::position_ids(const RaggedBatch& batch) const {
  if (config_.family == BertFamily::kBert) return batch.positions;
  // RoBERTa: create_position_ids_from_input_ids, per sequence.
  const int32_t pad = config_.pad_token_id;
  std::vector<int32_t> positions(batch.token_ids.size());
  for (int64_t s = 0; s < batch.n_seqs(); ++s) {
    int32_t count = 0;
    for (int32_t t = batch.cu_seqlens[s]; t < batch.cu_seqlens[s + 1]; ++t) {
      positions[t] = batch.token_ids[t] == pad ? pad : pad + ++count;
    }
  }
  return positions;
}

Result<Tensor> BertModel::encode(const RaggedBatch& batch, std::span<const int32_t> type_ids,
                                 const std::vector<int32_t>* rows, Allocator& scratch) const {
  const BertConfig& c = config_;
  const int64_t n = batch.n_tokens(), h = c.hidden_size, inter = c.intermediate_size;
  const float eps = static_cast<float>(c.layer_norm_eps);
  const ops::Activation act = c.hidden_act == BertActivation::kGeluTanh ? ops::Activation::kGeluTanh
                                                                        : ops::Activation::kGelu;
  // GEMM inputs made by attention and GELU are stored in the GEMMs' precision (no
  // conversion pass); the residual stream x stays f32 and is also the next GEMM's input,
  // which a GPU (bf16 GEMMs only) reads from a bf16 copy, x16.
  const DType gemm_in = precision_ == ops::MatmulPrecision::kBF16 ? DType::kBF16 : DType::kF32;
  const DType f32 = DType::kF32;
  FB_ASSIGN_OR_RETURN(Tensor ids, i32_tensor(batch.token_ids, scratch));
  FB_ASSIGN_OR_RETURN(Tensor positions, i32_tensor(position_ids(batch), scratch));
  FB_ASSIGN_OR_RETURN(Tensor cu_seqlens, i32_tensor(batch.cu_seqlens, scratch));
  FB_ASSIGN_OR_RETURN(Tensor x, matrix(f32, n, h, scratch));  // residual stream
  FB_ASSIGN_OR_RETURN(Tensor tmp, matrix(f32, n, h, scratch));
  FB_ASSIGN_OR_RETURN(Tensor x16, matrix(DType::kBF16, cuda_ ? n : 0, h, scratch));
  {
    const std::vector<int32_t> zeros(type_ids.empty() ? static_cast<size_t>(n) : 0, 0);
    FB_ASSIGN_OR_RETURN(Tensor types, i32_tensor(type_ids.empty() ? zeros : type_ids, scratch));
    FB_RETURN_IF_ERROR(ops::embedding_lookup(word_embeddings_, ids, x));
    FB_RETURN_IF_ERROR(ops::embedding_lookup(token_type_embeddings_, types, tmp));
    FB_RETURN_IF_ERROR(ops::add(x, tmp, x));
    FB_RETURN_IF_ERROR(ops::embedding_lookup(position_embeddings_, positions, tmp));
    FB_RETURN_IF_ERROR(ops::add_layer_norm(x, tmp, emb_norm_w_, emb_norm_b_, eps, x));
  }
  // The residual stream as a GEMM input: itself on the CPU, its bf16 copy on a GPU.
  auto gemm_input = [&](const Tensor& stream, Tensor& copy) -> Result<Tensor> {
    if (!cuda_) return stream;
    FB_RETURN_IF_ERROR(ops::convert(stream, copy));
    return copy;
  };
  FB_ASSIGN_OR_RETURN(Tensor qkv, matrix(cuda_ ? DType::kBF16 : f32, n, 3 * h, scratch));
  FB_ASSIGN_OR_RETURN(Tensor attn, matrix(gemm_in, n, h, scratch));
  FB_ASSIGN_OR_RETURN(Tensor mid, matrix(f32, n, inter, scratch));
  FB_ASSIGN_OR_RETURN(Tensor act_out, matrix(gemm_in, n, inter, scratch));
  Tensor proj = tmp;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    FB_ASSIGN_OR_RETURN(Tensor in, gemm_input(x, x16));
    FB_RETURN_IF_ERROR(l.qkv.forward(in, qkv));
    FB_RETURN_IF_ERROR(ops::attention(qkv, cu_seqlens, batch.max_seqlen, c.n_heads, c.n_heads,
                                      c.head_dim(), /*causal=*/false, attn));
    if (rows != nullptr && i + 1 == layers_.size()) {
      // Nothing after the last attention mixes tokens: keep only the rows asked for.
      const auto m = static_cast<int64_t>(rows->size());
      FB_ASSIGN_OR_RETURN(Tensor row_ids, i32_tensor(*rows, scratch));
      FB_ASSIGN_OR_RETURN(Tensor rattn, matrix(gemm_in, m, h, scratch));
      FB_ASSIGN_OR_RETURN(Tensor rx, matrix(f32, m, h, scratch));
      FB_RETURN_IF_ERROR(ops::gather_rows(attn, row_ids, rattn));
      FB_RETURN_IF_ERROR(ops::gather_rows(x, row_ids, rx));
      attn = rattn;
      x = rx;
      proj = proj.slice_rows(0, m);
      mid = mid.slice_rows(0, m);
      act_out = act_out.slice_rows(0, m);
      if (cuda_) x16 = x16.slice_rows(0, m);
    }
    FB_RETURN_IF_ERROR(l.attn_out.forward(attn, proj));
    FB_RETURN_IF_ERROR(ops::add_layer_norm(proj, x, l.attn_norm_w, l.attn_norm_b, eps, x));
    FB_ASSIGN_OR_RETURN(Tensor mid_in, gemm_input(x, x16));
    FB_RETURN_IF_ERROR(l.intermediate.forward(mid_in, mid));
    FB_RETURN_IF_ERROR(ops::activation(mid, act, act_out));
    FB_RETURN_IF_ERROR(l.output.forward(act_out, proj));
    FB_RETURN_IF_ERROR(ops::add_layer_norm(proj, x, l.out_norm_w, l.out_norm_b, eps, x));
  }
  return x;
}

Result<Tensor> BertModel::run_pass(
    const std::function<Result<Tensor>(Allocator&)>& pass) const {
  if (!cuda_) return pass(host_allocator());
  return cuda_->run([&](Allocator& scratch) -> Result<Tensor> {
    FB_ASSIGN_OR_RETURN(Tensor on_gpu, pass(scratch));
    FB_ASSIGN_OR_RETURN(Tensor host, Tensor::empty(on_gpu.dtype(), on_gpu.shape()));
    FB_RETURN_IF_ERROR(ops::copy(on_gpu, host));  // waits for the whole pass
    return host;
  });
}

Result<Tensor> BertModel::forward(const RaggedBatch& batch,
                                  std::span<const int32_t> type_ids) const {
  FB_RETURN_IF_ERROR(check_inputs(batch, type_ids));
  return run_pass([&](Allocator& scratch) { return encode(batch, type_ids, nullptr, scratch); });
}

Result<Tensor> BertModel::pooled_on(const RaggedBatch& batch, std::span<const int32_t> type_ids,
                                    ops::TokenPooling pooling, Allocator& scratch) const {
  const int64_t n_seqs = batch.n_seqs();
  if (pooling == ops::TokenPooling::kMean) {
    FB_ASSIGN_OR_RETURN(Tensor hidden, encode(batch, type_ids, nullptr, scratch));
    FB_ASSIGN_OR_RETURN(Tensor cu_seqlens, i32_tensor(batch.cu_seqlens, scratch));
    FB_ASSIGN_OR_RETURN(Tensor pooled, matrix(DType::kF32, n_seqs, config_.hidden_size, scratch));
    FB_RETURN_IF_ERROR(ops::pool_tokens(hidden, cu_seqlens, pooling, pooled));
    return pooled;
  }
  std::vector<int32_t> rows;
  for (int64_t s = 0; s < n_seqs; ++s) {
    rows.push_back(pooling == ops::TokenPooling::kFirst ? batch.cu_seqlens[s]
                                                        : batch.cu_seqlens[s + 1] - 1);
  }
  if (nn::LinearInputRecorder::installed() == nullptr) {
    return encode(batch, type_ids, &rows, scratch);
  }
  // Calibrating: every token through the last layer, as other servers run the model, so
  // that the recorded inputs are the whole model's; the pooled rows are picked after.
  FB_ASSIGN_OR_RETURN(Tensor hidden, encode(batch, type_ids, nullptr, scratch));
  FB_ASSIGN_OR_RETURN(Tensor row_ids, i32_tensor(rows, scratch));
  FB_ASSIGN_OR_RETURN(Tensor picked, matrix(DType::kF32, n_seqs, config_.hidden_size, scratch));
  FB_RETURN_IF_ERROR(ops::gather_rows(hidden, row_ids, picked));
  return picked;
}

Result<Tensor> BertModel::forward_pooled(const RaggedBatch& batch,
                                         std::span<const int32_t> type_ids,
                                         ops::TokenPooling pooling) const {
  FB_RETURN_IF_ERROR(check_inputs(batch, type_ids));
  return run_pass(
      [&](Allocator& scratch) { return pooled_on(batch, type_ids, pooling, scratch); });
}

std::vector<NamedLinear> BertModel::named_linears() const {
  std::vector<NamedLinear> out;
  for (const Layer& l : layers_) {
    const std::string a = l.prefix + "attention.";
    out.push_back({&l.qkv, {a + "self.query", a + "self.key", a + "self.value"}});
    out.push_back({&l.attn_out, {a + "output.dense"}});
    out.push_back({&l.intermediate, {l.prefix + "intermediate.dense"}});
    out.push_back({&l.output, {l.prefix + "output.dense"}});
  }
  return out;
}

Result<Tensor> BertModel::classify(const RaggedBatch& batch,
                                   std::span<const int32_t> type_ids) const {
  if (!has_classifier()) {
    return invalid_argument("checkpoint has no sequence-classification head (architecture \"" +
                            config_.architecture + "\")");
  }
  FB_ASSIGN_OR_RETURN(Tensor first, forward_pooled(batch, type_ids, ops::TokenPooling::kFirst));
  const int64_t n_seqs = first.dim(0);
  FB_ASSIGN_OR_RETURN(Tensor dense_out, matrix(DType::kF32, n_seqs, config_.hidden_size));
  FB_ASSIGN_OR_RETURN(Tensor logits, matrix(DType::kF32, n_seqs, head_out_.out_features()));
  FB_RETURN_IF_ERROR(head_dense_.forward(first, dense_out));
  FB_RETURN_IF_ERROR(ops::activation(dense_out, ops::Activation::kTanh, dense_out));
  FB_RETURN_IF_ERROR(head_out_.forward(dense_out, logits));
  return logits;
}

}  // namespace fourbrain::models
