#include "quant/stored_linear.h"

#include <cstring>

#include "core/dtype.h"
#include "quant/fp_formats.h"
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
    for (int64_t r = 0; r < w.rows; ++r) {
      const float scale = w.row_scales[static_cast<size_t>(r)];
      for (int64_t c = 0; c < w.cols; ++c) {
        out[static_cast<size_t>(r * w.cols + c)] = e4m3_to_f32(codes[r * w.cols + c]) * scale;
      }
    }
    return out;
  }
  const auto* scales = static_cast<const uint8_t*>(w.block_scales.tensor.raw_data());
  const int64_t blocks = w.cols / kNvfp4Block;
  for (int64_t r = 0; r < w.rows; ++r) {
    for (int64_t b = 0; b < blocks; ++b) {
      const float block_scale = e4m3_to_f32(scales[r * blocks + b]);
      // The order of the operations is each library's: it decides the last bit.
      const float scale =
          w.global_divisor > 0 ? block_scale / w.global_divisor : block_scale * w.global_scale;
      for (int64_t c = b * kNvfp4Block; c < (b + 1) * kNvfp4Block; ++c) {
        const uint8_t byte = codes[(r * w.cols + c) / 2];
        out[static_cast<size_t>(r * w.cols + c)] =
            e2m1_to_f32(c % 2 == 0 ? byte & 0xF : byte >> 4) * scale;
      }
    }
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
