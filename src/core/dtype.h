// Element types and their conversions.
//
// bf16 and f16 are stored as uint16_t bit patterns; the conversions here round to
// nearest even exactly as PyTorch does, so a value converted here equals the value
// torch would produce. Everything is constexpr/inline and thread-safe.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fourbrain {

enum class DType { kF32, kF16, kBF16, kI32, kI64, kU8, kFp8E4M3, kNvfp4 };

std::string_view dtype_name(DType dtype);
// Bits per element; kNvfp4 is 4 (two values per byte, scales stored separately).
int dtype_bits(DType dtype);
// Bytes needed for n elements of dtype.
inline size_t dtype_bytes(DType dtype, size_t n) { return (n * dtype_bits(dtype) + 7) / 8; }

inline float bf16_to_f32(uint16_t bits) {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

inline uint16_t f32_to_bf16(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);  // NaN
  uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

float f16_to_f32(uint16_t bits);
// An FP8 E4M3 code (float8_e4m3fn: bias 7, no infinities, 0x7F/0xFF NaN) as f32: exact.
// The rounding direction, f32 -> e4m3, lives in quant/fp_formats.h.
float e4m3_to_f32(uint8_t code);
uint16_t f32_to_f16(float value);

}  // namespace fourbrain
