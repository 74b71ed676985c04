#include "core/dtype.h"

#include <array>
#include <cmath>

namespace fourbrain {

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "f32";
    case DType::kF16: return "f16";
    case DType::kBF16: return "bf16";
    case DType::kI32: return "i32";
    case DType::kI64: return "i64";
    case DType::kU8: return "u8";
    case DType::kFp8E4M3: return "fp8_e4m3";
    case DType::kNvfp4: return "nvfp4";
  }
  return "unknown";
}

int dtype_bits(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 32;
    case DType::kI32: return 32;
    case DType::kI64: return 64;
    case DType::kF16: return 16;
    case DType::kBF16: return 16;
    case DType::kU8: return 8;
    case DType::kFp8E4M3: return 8;
    case DType::kNvfp4: return 4;
  }
  return 0;
}

namespace {

float decode_e4m3(uint8_t code) {
  const bool negative = code & 0x80;
  const int exponent = (code >> 3) & 0xF, mantissa = code & 0x7;
  float magnitude;
  if (exponent == 0xF && mantissa == 0x7) {
    magnitude = std::nanf("");
  } else if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -9);  // subnormal: m/8 * 2^-6
  } else {
    magnitude = std::ldexp(1.0f + static_cast<float>(mantissa) / 8.0f, exponent - 7);
  }
  return negative ? -magnitude : magnitude;
}

}  // namespace

float e4m3_to_f32(uint8_t code) {
  // All 256 decodings, made once: dequantizing a checkpoint decodes billions of scales.
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int c = 0; c < 256; ++c) t[static_cast<size_t>(c)] = decode_e4m3(static_cast<uint8_t>(c));
    return t;
  }();
  return table[code];
}

float f16_to_f32(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: value = mantissa * 2^-24.
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t f32_to_f16(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t abs = bits & 0x7fffffffu;
  if (abs > 0x7f800000u) return sign | 0x7e00u;     // NaN
  if (abs >= 0x477ff000u) return sign | 0x7c00u;    // overflow rounds to inf
  if (abs < 0x38800000u) {                          // subnormal or zero in f16
    float magnitude = std::bit_cast<float>(abs);
    // Round to nearest even on the 2^-24 grid.
    return sign | static_cast<uint16_t>(std::nearbyint(magnitude * 16777216.0f));
  }
  uint32_t rounding = 0xfffu + ((abs >> 13) & 1u);
  return sign | static_cast<uint16_t>((abs + rounding - (112u << 23)) >> 13);
}

}  // namespace fourbrain
