// The narrow float formats of FP8 and NVFP4 quantization, bit-exact with the references:
// E4M3 (float8_e4m3fn: bias 7, no infinities, 0x7F/0xFF NaN, max 448) as PyTorch casts to
// it, and E2M1 (FP4: 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives; bit 3 the sign) as
// TensorRT Model Optimizer rounds to it. Golden values: tools/quant/make_quant_golden.py.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace fourbrain::quant {

constexpr float kE4m3Max = 448.0f;
constexpr float kE2m1Max = 6.0f;

// PyTorch's float -> float8_e4m3fn (2.15, as the golden values were made): round to nearest
// even; |x| above 448 saturates to ±448 (infinities too); NaN gives 0x7F with x's sign bit.
// Older PyTorch gave NaN past 464; weight quantizers never get there (scale = amax / 448).
uint8_t f32_to_e4m3(float x);
using ::fourbrain::e4m3_to_f32;  // core/dtype.h: decoding is exact, needed below quant too

// ModelOpt's NVFP4QTensor._cast_fp4: round to nearest, ties to the even code, saturating at
// 6; negative inputs (not -0.0) get the sign bit even when they round to zero.
uint8_t f32_to_e2m1(float x);
float e2m1_to_f32(uint8_t code);  // low 4 bits

}  // namespace fourbrain::quant
