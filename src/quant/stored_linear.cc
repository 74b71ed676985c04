#include "quant/stored_linear.h"

#include <cstring>

#include "core/dtype.h"
#include "quant/weight_quantizers.h"

namespace fourbrain::quant {

const char* quant_precision_name(QuantPrecision p) {
  return p == QuantPrecision::kFp8 ? "fp8" : "nvfp4";
}

size_t StoredLinear::nbytes() const {
  return codes.tensor.nbytes() + block_scales.tensor.nbytes() + row_scales.size() * sizeof(float);
}

void StoredLinear::drop_pages() const {
  codes.drop_pages();
  if (block_scales.tensor.defined()) block_scales.drop_pages();
}

std::vector<float> dequantize_stored_f32(const StoredLinear& w) {
  std::vector<float> out(static_cast<size_t>(w.rows * w.cols));
  const auto* codes = static_cast<const uint8_t*>(w.codes.tensor.raw_data());
  if (w.precision == QuantPrecision::kFp8) {
    dequantize_fp8(codes, w.row_scales.data(), /*per_channel=*/true, w.rows, w.cols, out.data());
  } else {
    dequantize_nvfp4(codes, static_cast<const uint8_t*>(w.block_scales.tensor.raw_data()),
                     w.global_scale, w.global_divides, w.rows, w.cols, out.data());
  }
  return out;
}

Result<Tensor> dequantize_stored(const StoredLinear& w) {
  const std::vector<float> f32 = dequantize_stored_f32(w);
  FB_ASSIGN_OR_RETURN(Tensor out, Tensor::empty(w.result_dtype, {w.rows, w.cols}));
  if (w.result_dtype == DType::kF32) {
    std::memcpy(out.raw_data(), f32.data(), f32.size() * sizeof(float));
    return out;
  }
  auto* dst = out.data<uint16_t>();
  for (size_t i = 0; i < f32.size(); ++i) {
    dst[i] = w.result_dtype == DType::kBF16 ? f32_to_bf16(f32[i]) : f32_to_f16(f32[i]);
  }
  return out;
}

}  // namespace fourbrain::quant
