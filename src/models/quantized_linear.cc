#include "models/quantized_linear.h"

#include <cstring>
#include <string>

#include "base/log.h"
#include "kernels/cpu/convert.h"
#include "quant/weight_quantizers.h"

namespace fourbrain::models {
namespace {

Result<nn::Linear> nvfp4_of_floats(const std::vector<float>& w, int64_t rows, int64_t cols,
                                   Allocator& device_memory, bool fast_accumulation) {
  FB_ASSIGN_OR_RETURN(const quant::Nvfp4Weight q, quant::quantize_nvfp4(w.data(), rows, cols));
  const Tensor packed = Tensor::borrow(DType::kU8, {rows, cols / 2}, q.packed.data(), nullptr);
  const Tensor scales =
      Tensor::borrow(DType::kU8, {rows, cols / quant::kNvfp4Block}, q.block_scale.data(), nullptr);
  return nn::Linear::from_nvfp4(packed, scales, q.scale_2, device_memory, fast_accumulation);
}

// The parts' bytes one after another, as u8 [sum rows, bytes per row].
Result<Tensor> stacked_bytes(const std::vector<Tensor>& parts) {
  FB_ASSIGN_OR_RETURN(Tensor stacked, nn::stack_rows(parts));
  const int64_t rows = stacked.dim(0);
  const auto row_bytes = static_cast<int64_t>(stacked.nbytes()) / rows;
  FB_ASSIGN_OR_RETURN(Tensor bytes, Tensor::empty(DType::kU8, {rows, row_bytes}));
  std::memcpy(bytes.raw_data(), stacked.raw_data(), stacked.nbytes());
  return bytes;
}

}  // namespace

Result<nn::Linear> quantized_linear(const std::vector<Tensor>& parts, quant::QuantPrecision p,
                                    Allocator& device_memory, bool fast_accumulation) {
  FB_ASSIGN_OR_RETURN(Tensor stacked, nn::stack_rows(parts));
  const int64_t rows = stacked.dim(0), cols = stacked.dim(1);
  std::vector<float> w(static_cast<size_t>(rows * cols));
  kernels::cpu::convert_to_f32_parallel(stacked.raw_data(), stacked.dtype(), rows * cols, w.data());
  if (p == quant::QuantPrecision::kNvfp4) {
    return nvfp4_of_floats(w, rows, cols, device_memory, fast_accumulation);
  }
  const quant::Fp8Weight q = quant::quantize_fp8(w.data(), rows, cols, /*per_channel=*/true,
                                                 stacked.dtype() == DType::kBF16);
  const Tensor codes = Tensor::borrow(DType::kU8, {rows, cols}, q.codes.data(), nullptr);
  const Tensor scales = Tensor::borrow(DType::kF32, {rows}, q.scales.data(), nullptr);
  return nn::Linear::from_fp8(codes, scales, device_memory, fast_accumulation);
}

Result<nn::Linear> stored_linear(const std::vector<const quant::StoredLinear*>& parts,
                                 Allocator& device_memory, bool fast_accumulation) {
  const quant::QuantPrecision p = parts.at(0)->precision;
  std::vector<Tensor> codes, block_scales;
  std::vector<float> row_scales;
  bool one_global_scale = true;
  int64_t rows = 0;
  for (const quant::StoredLinear* part : parts) {
    if (part->precision != p || part->cols != parts[0]->cols) {
      return invalid_argument("stored_linear: parts of different precisions or widths");
    }
    codes.push_back(part->codes.tensor);
    if (p == quant::QuantPrecision::kNvfp4) block_scales.push_back(part->block_scales.tensor);
    row_scales.insert(row_scales.end(), part->row_scales.begin(), part->row_scales.end());
    one_global_scale =
        one_global_scale && part->global_multiplier() == parts[0]->global_multiplier();
    rows += part->rows;
  }
  const int64_t cols = parts[0]->cols;
  FB_ASSIGN_OR_RETURN(Tensor stacked_codes, stacked_bytes(codes));
  if (p == quant::QuantPrecision::kFp8) {
    const Tensor scales = Tensor::borrow(DType::kF32, {rows}, row_scales.data(), nullptr);
    return nn::Linear::from_fp8(stacked_codes, scales, device_memory, fast_accumulation);
  }
  if (one_global_scale) {
    FB_ASSIGN_OR_RETURN(Tensor stacked_scales, stacked_bytes(block_scales));
    return nn::Linear::from_nvfp4(stacked_codes, stacked_scales, parts[0]->global_multiplier(),
                                  device_memory, fast_accumulation);
  }
  log_event(LogLevel::kWarning, "nvfp4_global_scales_differ",
            {{"weight", parts[0]->codes.name},
             {"parts", std::to_string(parts.size())},
             {"note", "fused parts dequantized and quantized again with one global scale"}});
  std::vector<float> w;
  for (const quant::StoredLinear* part : parts) {
    const std::vector<float> f32 = quant::dequantize_stored_f32(*part);
    w.insert(w.end(), f32.begin(), f32.end());
  }
  return nvfp4_of_floats(w, rows, cols, device_memory, fast_accumulation);
}

}  // namespace fourbrain::models
