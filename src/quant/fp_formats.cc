#include "quant/fp_formats.h"

#include <bit>
#include <cmath>

namespace fourbrain::quant {

uint8_t f32_to_e4m3(float x) {
  // c10's fp8e4m3fn_from_fp32_value below 448; above it PyTorch 2.15's cast saturates.
  constexpr uint32_t kMaxBits = 0x43E00000u;  // 448.0f
  constexpr uint32_t kDenormMask = uint32_t{141} << 23;
  uint32_t bits = std::bit_cast<uint32_t>(x);
  const uint32_t sign = bits & 0x80000000u;
  bits ^= sign;
  uint8_t result;
  if (std::isnan(x)) {
    result = 0x7F;
  } else if (bits >= kMaxBits) {
    result = 0x7E;  // ±448, also for infinities
  } else if (bits < (uint32_t{121} << 23)) {
    // Below the smallest normal: let the FPU round the denormal by adding a magic number.
    const float sum = std::bit_cast<float>(bits) + std::bit_cast<float>(kDenormMask);
    result = static_cast<uint8_t>(std::bit_cast<uint32_t>(sum) - kDenormMask);
  } else {
    const uint32_t mant_odd = (bits >> 20) & 1;
    bits += (static_cast<uint32_t>(7 - 127) << 23) + 0x7FFFF;  // rebias, round half up...
    bits += mant_odd;                                          // ...to even
    result = static_cast<uint8_t>(bits >> 20);
  }
  return static_cast<uint8_t>(result | (sign >> 24));
}

uint8_t f32_to_e2m1(float x) {
  // searchsorted(bounds, |x|) counts the bounds below |x|; on the bounds 0.75, 1.75 and 3.5
  // (ties whose even code is the upper one) one more.
  static constexpr float kBounds[7] = {0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f};
  const uint8_t sign = x < 0.0f ? 8 : 0;
  const float a = std::fabs(x);
  int ord = 0;  // without branches: a weight's codes are billions of these
  for (float bound : kBounds) ord += bound < a;
  ord += (a == 0.75f) + (a == 1.75f) + (a == 3.5f);
  return static_cast<uint8_t>(sign | ord);
}

float e2m1_to_f32(uint8_t code) {
  static constexpr float kValues[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
  const float v = kValues[code & 0x7];
  return (code & 0x8) ? -v : v;
}

}  // namespace fourbrain::quant
