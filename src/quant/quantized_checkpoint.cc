#include "quant/quantized_checkpoint.h"

#include <set>

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

Result<StoredLinear> stored_fp8(const formats::TensorEntry& w, const formats::TensorEntry& scale) {
  if (w.dtype != DType::kFp8E4M3 || w.shape.rank() != 2) {
    return invalid_argument(w.name + ": an FP8 weight must be F8_E4M3 [N, K]");
  }
  StoredLinear s;
  s.precision = QuantPrecision::kFp8;
  s.rows = w.shape[0];
  s.cols = w.shape[1];
  s.codes = w;
  s.row_scales = floats_of(scale);
  if (s.row_scales.size() == 1) {
    s.row_scales.assign(static_cast<size_t>(s.rows), s.row_scales[0]);
  } else if (static_cast<int64_t>(s.row_scales.size()) != s.rows) {
    return invalid_argument(scale.name + ": " + std::to_string(s.row_scales.size()) +
                            " scales for a weight of " + std::to_string(s.rows) + " rows");
  }
  return s;
}

Result<StoredLinear> stored_nvfp4(const formats::TensorEntry& w, const formats::TensorEntry& scale,
                                  const formats::TensorEntry& scale_2) {
  StoredLinear s;
  s.precision = QuantPrecision::kNvfp4;
  s.rows = w.shape[0];
  s.cols = w.shape[1] * 2;
  const int64_t blocks = s.cols / kNvfp4Block;
  if (scale.dtype != DType::kFp8E4M3 || scale.shape.rank() != 2 || scale.shape[0] != s.rows ||
      scale.shape[1] != blocks) {
    return invalid_argument(scale.name + ": want F8_E4M3 [" + std::to_string(s.rows) + ", " +
                            std::to_string(blocks) + "] block scales");
  }
  s.codes = w;
  s.block_scales = scale;
  s.global_scale = floats_of(scale_2).at(0);
  return s;
}

// ModelOpt's export: each quantized module's weight with its scales.
Result<QuantizedCheckpoint> keep_modelopt(formats::Checkpoint ckpt, const std::string& algo) {
  const bool fp8 = algo == "FP8" || algo == "FP8_PER_CHANNEL_PER_TOKEN";
  if (!fp8 && algo != "NVFP4") {
    return unsupported(ckpt.dir() + "/config.json: quant_algo \"" + algo +
                       "\" is not supported (FP8, FP8_PER_CHANNEL_PER_TOKEN, NVFP4 are)");
  }
  QuantizedCheckpoint out;
  std::vector<formats::TensorEntry> entries;
  std::set<std::string> hidden;  // scale tensors of the stored weights
  for (const formats::TensorEntry& e : ckpt.entries()) {
    if (!e.name.ends_with(".weight")) continue;
    const std::string module = e.name.substr(0, e.name.size() - 7);
    const formats::TensorEntry* scale = ckpt.find(module + ".weight_scale");
    if (scale == nullptr) continue;  // kept in its original precision
    StoredLinear stored;
    if (fp8) {
      FB_ASSIGN_OR_RETURN(stored, stored_fp8(e, *scale));
    } else {
      const formats::TensorEntry* scale_2 = ckpt.find(module + ".weight_scale_2");
      if (e.dtype != DType::kU8 || e.shape.rank() != 2 || scale_2 == nullptr) {
        return invalid_argument(e.name + ": an NVFP4 weight must be U8 [N, K/2] with " + module +
                                ".weight_scale and .weight_scale_2");
      }
      FB_ASSIGN_OR_RETURN(stored, stored_nvfp4(e, *scale, *scale_2));
      hidden.insert(scale_2->name);
    }
    hidden.insert(scale->name);
    hidden.insert(module + ".input_scale");
    out.stored.emplace(e.name, std::move(stored));
  }
  for (const formats::TensorEntry& e : ckpt.entries()) {
    const auto it = out.stored.find(e.name);
    if (it == out.stored.end()) {
      if (!hidden.count(e.name)) entries.push_back(e);
      continue;
    }
    formats::TensorEntry placeholder = e;  // the logical weight, its data in `stored`
    placeholder.dtype = DType::kBF16;
    placeholder.shape = Shape({it->second.rows, it->second.cols});
    placeholder.tensor = Tensor();
    placeholder.mapping = nullptr;
    entries.push_back(std::move(placeholder));
  }
  out.checkpoint = formats::Checkpoint::from_entries(ckpt.dir(), std::move(entries));
  return out;
}

}  // namespace

Result<QuantizedCheckpoint> open_checkpoint_keeping_quantized(const std::string& dir) {
  FB_ASSIGN_OR_RETURN(formats::Checkpoint ckpt, formats::Checkpoint::open(dir));
  auto config = formats::JsonValue::parse_file(dir + "/config.json");
  // A bad config is for the model's own loader to report.
  auto qc = config.is_ok() ? config->find("quantization_config") : std::nullopt;
  if (!qc || !qc->is_object()) return QuantizedCheckpoint{std::move(ckpt), {}};
  auto string_field = [&](const char* key) {
    auto v = qc->find(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  const std::string method = string_field("quant_method");
  if (method == "compressed-tensors") {
    FB_ASSIGN_OR_RETURN(CtConfig ct, parse_compressed_tensors_config(*qc, dir + "/config.json"));
    return keep_compressed_tensors(ckpt, ct);
  }
  if (method != "modelopt") {
    return unsupported(dir + "/config.json: quant_method \"" + method +
                       "\" is not supported (modelopt and compressed-tensors are)");
  }
  return keep_modelopt(std::move(ckpt), string_field("quant_algo"));
}

Result<formats::Checkpoint> open_checkpoint(const std::string& dir) {
  FB_ASSIGN_OR_RETURN(QuantizedCheckpoint q, open_checkpoint_keeping_quantized(dir));
  if (q.stored.empty()) return std::move(q.checkpoint);
  std::vector<formats::TensorEntry> entries = q.checkpoint.entries();
  for (formats::TensorEntry& e : entries) {
    const StoredLinear* stored = q.find(e.name);
    if (stored == nullptr) continue;
    FB_ASSIGN_OR_RETURN(e.tensor, dequantize_stored(*stored));
    e.dtype = e.tensor.dtype();
  }
  return formats::Checkpoint::from_entries(q.checkpoint.dir(), std::move(entries));
}

}  // namespace fourbrain::quant
