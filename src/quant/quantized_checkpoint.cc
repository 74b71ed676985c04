#include "quant/quantized_checkpoint.h"

#include <cstring>
#include <set>

#include "core/dtype.h"
#include "formats/json.h"
#include "kernels/cpu/convert.h"
#include "quant/fp_formats.h"

namespace fourbrain::quant {
namespace {

// The floats of a small f32/bf16/f16 tensor (scales), whatever its alignment.
std::vector<float> floats_of(const formats::TensorEntry& e) {
  std::vector<float> out(static_cast<size_t>(e.tensor.numel()));
  kernels::cpu::convert_to_f32(e.tensor.raw_data(), e.dtype, e.tensor.numel(), out.data());
  return out;
}

Result<Tensor> bf16_matrix(int64_t rows, int64_t cols) {
  return Tensor::empty(DType::kBF16, {rows, cols});
}

Result<Tensor> dequantize_fp8(const formats::TensorEntry& w, const formats::TensorEntry& scale) {
  const int64_t rows = w.shape[0], cols = w.shape[1];
  const std::vector<float> s = floats_of(scale);
  if (s.size() != 1 && static_cast<int64_t>(s.size()) != rows) {
    return invalid_argument(scale.name + ": " + std::to_string(s.size()) +
                            " scales for a weight of " + std::to_string(rows) + " rows");
  }
  FB_ASSIGN_OR_RETURN(Tensor out, bf16_matrix(rows, cols));
  const auto* codes = static_cast<const uint8_t*>(w.tensor.raw_data());
  uint16_t* dst = out.data<uint16_t>();
  for (int64_t r = 0; r < rows; ++r) {
    const float sr = s[s.size() == 1 ? 0 : static_cast<size_t>(r)];
    for (int64_t c = 0; c < cols; ++c) {
      dst[r * cols + c] = f32_to_bf16(e4m3_to_f32(codes[r * cols + c]) * sr);
    }
  }
  return out;
}

Result<Tensor> dequantize_nvfp4(const formats::TensorEntry& w, const formats::TensorEntry& scale,
                                const formats::TensorEntry& scale_2) {
  const int64_t rows = w.shape[0], cols = w.shape[1] * 2, blocks = cols / 16;
  if (scale.dtype != DType::kFp8E4M3 || scale.shape.rank() != 2 || scale.shape[0] != rows ||
      scale.shape[1] != blocks) {
    return invalid_argument(scale.name + ": want F8_E4M3 [" + std::to_string(rows) + ", " +
                            std::to_string(blocks) + "] block scales");
  }
  const float s2 = floats_of(scale_2).at(0);
  FB_ASSIGN_OR_RETURN(Tensor out, bf16_matrix(rows, cols));
  const auto* packed = static_cast<const uint8_t*>(w.tensor.raw_data());
  const auto* block_scale = static_cast<const uint8_t*>(scale.tensor.raw_data());
  uint16_t* dst = out.data<uint16_t>();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const uint8_t byte = packed[(r * cols + c) / 2];
      const uint8_t code = c % 2 == 0 ? (byte & 0xF) : (byte >> 4);
      const float bs = e4m3_to_f32(block_scale[r * blocks + c / 16]);
      dst[r * cols + c] = f32_to_bf16(e2m1_to_f32(code) * (bs * s2));
    }
  }
  return out;
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
  if (method != "modelopt") {
    return unsupported(dir + "/config.json: quant_method \"" + method +
                       "\" is not supported (modelopt is)");
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
      FB_ASSIGN_OR_RETURN(deq.tensor, dequantize_fp8(e, *scale));
    } else {
      const formats::TensorEntry* scale_2 = ckpt.find(module + ".weight_scale_2");
      if (e.dtype != DType::kU8 || e.shape.rank() != 2 || scale_2 == nullptr) {
        return invalid_argument(e.name + ": an NVFP4 weight must be U8 [N, K/2] with " +
                                module + ".weight_scale and .weight_scale_2");
      }
      FB_ASSIGN_OR_RETURN(deq.tensor, dequantize_nvfp4(e, *scale, *scale_2));
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
