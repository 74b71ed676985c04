#include "quant/quantized_checkpoint.h"

#include <cstring>
#include <set>

#include "core/dtype.h"
#include "formats/json.h"
#include "kernels/cpu/convert.h"
#include "quant/compressed_tensors.h"
#include "quant/weight_quantizers.h"

namespace fourbrain::quant {
namespace {

// The floats of a small f32/bf16/f16 tensor (scales), whatever its alignment.
std::vector<float> floats_of(const formats::TensorEntry& e) {
  std::vector<float> out(static_cast<size_t>(e.tensor.numel()));
  kernels::cpu::convert_to_f32(e.tensor.raw_data(), e.dtype, e.tensor.numel(), out.data());
  return out;
}

std::vector<uint8_t> bytes_of(const formats::TensorEntry& e) {
  const auto* p = static_cast<const uint8_t*>(e.tensor.raw_data());
  return std::vector<uint8_t>(p, p + e.tensor.nbytes());
}

// The weight as the bf16 tensor the models bind (the f32 dequantization, rounded once).
Result<Tensor> to_bf16(const std::vector<float>& w, int64_t rows, int64_t cols) {
  FB_ASSIGN_OR_RETURN(Tensor out, Tensor::empty(DType::kBF16, {rows, cols}));
  uint16_t* dst = out.data<uint16_t>();
  for (size_t i = 0; i < w.size(); ++i) dst[i] = f32_to_bf16(w[i]);
  return out;
}

Result<Tensor> dequantize_fp8_entry(const formats::TensorEntry& w,
                                    const formats::TensorEntry& scale) {
  Fp8Weight q;
  q.rows = w.shape[0];
  q.cols = w.shape[1];
  q.scales = floats_of(scale);
  if (q.scales.size() != 1 && static_cast<int64_t>(q.scales.size()) != q.rows) {
    return invalid_argument(scale.name + ": " + std::to_string(q.scales.size()) +
                            " scales for a weight of " + std::to_string(q.rows) + " rows");
  }
  q.codes = bytes_of(w);
  std::vector<float> f32(static_cast<size_t>(q.rows * q.cols));
  dequantize_fp8(q, f32.data());
  return to_bf16(f32, q.rows, q.cols);
}

Result<Tensor> dequantize_nvfp4_entry(const formats::TensorEntry& w,
                                      const formats::TensorEntry& scale,
                                      const formats::TensorEntry& scale_2) {
  Nvfp4Weight q;
  q.rows = w.shape[0];
  q.cols = w.shape[1] * 2;
  const int64_t blocks = q.cols / kNvfp4Block;
  if (scale.dtype != DType::kFp8E4M3 || scale.shape.rank() != 2 || scale.shape[0] != q.rows ||
      scale.shape[1] != blocks) {
    return invalid_argument(scale.name + ": want F8_E4M3 [" + std::to_string(q.rows) + ", " +
                            std::to_string(blocks) + "] block scales");
  }
  q.packed = bytes_of(w);
  q.block_scale = bytes_of(scale);
  q.scale_2 = floats_of(scale_2).at(0);
  std::vector<float> f32(static_cast<size_t>(q.rows * q.cols));
  dequantize_nvfp4(q, f32.data());
  return to_bf16(f32, q.rows, q.cols);
}

}  // namespace

Result<formats::Checkpoint> open_checkpoint(const std::string& dir) {
  FB_ASSIGN_OR_RETURN(formats::Checkpoint ckpt, formats::Checkpoint::open(dir));
  auto config = formats::JsonValue::parse_file(dir + "/config.json");
  if (!config.is_ok()) return ckpt;  // the model's own loader reports a bad config
  auto qc = config->find("quantization_config");
  if (!qc || !qc->is_object()) return ckpt;
  const std::string method = qc->find("quant_method") && qc->find("quant_method")->is_string()
                                 ? std::string(qc->find("quant_method")->as_string())
                                 : "";
  if (method == "compressed-tensors") {
    FB_ASSIGN_OR_RETURN(CtConfig ct, parse_compressed_tensors_config(*qc, dir + "/config.json"));
    return dequantize_compressed_tensors(ckpt, ct);
  }
  if (method != "modelopt") {
    return unsupported(dir + "/config.json: quant_method \"" + method +
                       "\" is not supported (modelopt and compressed-tensors are)");
  }
  const std::string algo = qc->find("quant_algo") && qc->find("quant_algo")->is_string()
                               ? std::string(qc->find("quant_algo")->as_string())
                               : "";
  const bool fp8 = algo == "FP8" || algo == "FP8_PER_CHANNEL_PER_TOKEN";
  if (!fp8 && algo != "NVFP4") {
    return unsupported(dir + "/config.json: quant_algo \"" + algo +
                       "\" is not supported (FP8, FP8_PER_CHANNEL_PER_TOKEN, NVFP4 are)");
  }
  std::vector<formats::TensorEntry> entries;
  std::set<std::string> hidden;  // scale tensors folded into their weights
  for (const formats::TensorEntry& e : ckpt.entries()) {
    if (!e.name.ends_with(".weight")) continue;
    const std::string module = e.name.substr(0, e.name.size() - 7);
    const formats::TensorEntry* scale = ckpt.find(module + ".weight_scale");
    if (scale == nullptr) continue;  // kept in its original precision
    formats::TensorEntry deq = e;
    deq.mapping = nullptr;
    if (fp8) {
      if (e.dtype != DType::kFp8E4M3 || e.shape.rank() != 2) {
        return invalid_argument(e.name + ": an FP8 weight must be F8_E4M3 [N, K]");
      }
      FB_ASSIGN_OR_RETURN(deq.tensor, dequantize_fp8_entry(e, *scale));
    } else {
      const formats::TensorEntry* scale_2 = ckpt.find(module + ".weight_scale_2");
      if (e.dtype != DType::kU8 || e.shape.rank() != 2 || scale_2 == nullptr) {
        return invalid_argument(e.name + ": an NVFP4 weight must be U8 [N, K/2] with " +
                                module + ".weight_scale and .weight_scale_2");
      }
      FB_ASSIGN_OR_RETURN(deq.tensor, dequantize_nvfp4_entry(e, *scale, *scale_2));
      hidden.insert(scale_2->name);
    }
    deq.dtype = DType::kBF16;
    deq.shape = deq.tensor.shape();
    hidden.insert(scale->name);
    hidden.insert(e.name);
    hidden.insert(module + ".input_scale");
    entries.push_back(std::move(deq));
  }
  for (const formats::TensorEntry& e : ckpt.entries()) {
    if (!hidden.count(e.name)) entries.push_back(e);
  }
  return formats::Checkpoint::from_entries(ckpt.dir(), std::move(entries));
}

}  // namespace fourbrain::quant
