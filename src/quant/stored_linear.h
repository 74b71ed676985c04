// StoredLinear: a linear layer's weight as a quantized checkpoint stores it (FP8 codes and a
// scale per row, or NVFP4 codes, block scales and a global scale), borrowed from the
// checkpoint's mapping. A GPU model can run it as it is stored, keeping the exact codes and
// scales the quantizer chose; dequantize_stored() gives the bf16 weight the source library's
// own decompression gives, bit for bit, for every other use.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "core/tensor.h"
#include "formats/safetensors.h"

namespace fourbrain::quant {

enum class QuantPrecision { kFp8, kNvfp4 };

const char* quant_precision_name(QuantPrecision p);  // "fp8" or "nvfp4"

struct StoredLinear {
  QuantPrecision precision = QuantPrecision::kFp8;
  int64_t rows = 0, cols = 0;         // the weight's logical shape [out, in]
  formats::TensorEntry codes{};         // FP8: F8_E4M3 [rows, cols]; NVFP4: U8 [rows, cols / 2]
  formats::TensorEntry block_scales{};  // NVFP4: F8_E4M3 [rows, cols / 16]
  std::vector<float> row_scales{};      // FP8: the dequant multiplier of each row
  float global_scale = 1.0f;            // NVFP4: as stored (see global_divides)
  // How the checkpoint's own library dequantizes:
  //   ModelOpt: bf16(e4m3 * scale); bf16(e2m1 * (block_scale * global_scale)).
  //   compressed-tensors: FP8 e4m3 * scale rounded to the scale's dtype (`result_dtype`);
  //   NVFP4 bf16(e2m1 * (block_scale / global_scale)): its weight_global_scale divides.
  DType result_dtype = DType::kBF16;
  bool global_divides = false;

  // The NVFP4 global scale as a multiplier (ModelOpt's weight_scale_2), for GEMMs.
  float global_multiplier() const { return global_divides ? 1.0f / global_scale : global_scale; }
  // Bytes the stored form holds (codes and scales).
  size_t nbytes() const;
  // Drops the mapped pages of the codes and block scales once they were copied.
  void drop_pages() const;
};

// The weight as the checkpoint's library dequantizes it: [rows, cols] in result_dtype.
Result<Tensor> dequantize_stored(const StoredLinear& w);
// The same values in f32, before the final rounding.
std::vector<float> dequantize_stored_f32(const StoredLinear& w);

}  // namespace fourbrain::quant
