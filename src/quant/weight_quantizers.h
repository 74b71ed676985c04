// Weight quantizers with the export semantics of TensorRT Model Optimizer, so the tensors
// fourbrain writes are the ones ModelOpt would write for the same weight:
//
// FP8 (E4M3): scale = amax / 448 per tensor or per output row; code = e4m3(w / scale) with
//   no clamp (ModelOpt's to_quantized_weight); w ≈ e4m3(code) * scale. For a bf16 weight and
//   one per-tensor scale PyTorch computes w / scale in bf16 (a 0-dim f32 tensor does not
//   promote), so the quotient is rounded to bf16 before the E4M3 cast.
// NVFP4: scale_2 = amax / (6 * 448) per tensor; per block of 16 along a row, block_scale =
//   e4m3(clamp(block_amax / (6 * scale_2), 2^-9, 448)) (an all-zero block counts as 1);
//   code = e2m1(w / (block_scale * scale_2)), two codes a byte, the even column in the low
//   nibble; w ≈ e2m1(code) * block_scale * scale_2.
//
// Inputs are f32 row-major [rows, cols] (bf16 checkpoints convert exactly). Pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"

namespace fourbrain::quant {

struct Fp8Weight {
  int64_t rows = 0, cols = 0;
  std::vector<uint8_t> codes;  // e4m3 [rows, cols]
  std::vector<float> scales;   // [1] per tensor or [rows] per channel: dequant multipliers
};

// `from_bf16`: the weight's stored values are bf16 (see above).
Fp8Weight quantize_fp8(const float* w, int64_t rows, int64_t cols, bool per_channel,
                       bool from_bf16);
void dequantize_fp8(const Fp8Weight& q, float* out);  // out [rows, cols]
// The same from codes and scales wherever they are ([1] scale, or [rows] if per_channel).
void dequantize_fp8(const uint8_t* codes, const float* scales, bool per_channel, int64_t rows,
                    int64_t cols, float* out);

constexpr int64_t kNvfp4Block = 16;

struct Nvfp4Weight {
  int64_t rows = 0, cols = 0;
  std::vector<uint8_t> packed;       // [rows, cols / 2]
  std::vector<uint8_t> block_scale;  // e4m3 [rows, cols / 16]
  float scale_2 = 0.0f;              // per-tensor dequant multiplier (ModelOpt weight_scale_2)
};

// InvalidArgument unless cols is a multiple of 16.
Result<Nvfp4Weight> quantize_nvfp4(const float* w, int64_t rows, int64_t cols);
// With a given scale_2: that of the stack of layers fused at run time (q/k/v, gate/up), as
// ModelOpt's export gives them one (the largest of their amaxes).
Result<Nvfp4Weight> quantize_nvfp4(const float* w, int64_t rows, int64_t cols, float scale_2);
// The scales alone (cheap: one pass of maxima): scale_2 and the e4m3 block scales
// [rows, cols / 16] that quantize_nvfp4 would give.
float nvfp4_scale_2(const float* w, int64_t rows, int64_t cols);
// amax / (6 * 448): the global scale of a tensor (or an input) whose largest magnitude is amax.
float nvfp4_global_scale(float amax);
std::vector<uint8_t> nvfp4_block_scales(const float* w, int64_t rows, int64_t cols,
                                        float scale_2);
// FP8 dequant multipliers alone: [1] or [rows].
std::vector<float> fp8_scales(const float* w, int64_t rows, int64_t cols, bool per_channel);
void dequantize_nvfp4(const Nvfp4Weight& q, float* out);  // out [rows, cols]
// The same from packed codes and e4m3 block scales wherever they are: e2m1 * (block_scale *
// global), or with `global_divides` e2m1 * (block_scale / global) (compressed-tensors' order).
void dequantize_nvfp4(const uint8_t* packed, const uint8_t* block_scales, float global,
                      bool global_divides, int64_t rows, int64_t cols, float* out);

}  // namespace fourbrain::quant
