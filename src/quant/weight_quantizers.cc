#include "quant/weight_quantizers.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/dtype.h"
#include "quant/fp_formats.h"

namespace fourbrain::quant {
namespace {

float amax(const float* w, int64_t n) {
  float m = 0.0f;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(w[i]));
  return m;
}

}  // namespace

std::vector<float> fp8_scales(const float* w, int64_t rows, int64_t cols, bool per_channel) {
  std::vector<float> scales;
  if (per_channel) {
    for (int64_t r = 0; r < rows; ++r) scales.push_back(amax(w + r * cols, cols) / kE4m3Max);
  } else {
    scales.push_back(amax(w, rows * cols) / kE4m3Max);
  }
  return scales;
}

Fp8Weight quantize_fp8(const float* w, int64_t rows, int64_t cols, bool per_channel,
                       bool from_bf16) {
  const bool quotient_in_bf16 = from_bf16 && !per_channel;
  Fp8Weight q;
  q.rows = rows;
  q.cols = cols;
  q.codes.resize(static_cast<size_t>(rows * cols));
  q.scales = fp8_scales(w, rows, cols, per_channel);
  for (int64_t r = 0; r < rows; ++r) {
    const float scale = q.scales[per_channel ? static_cast<size_t>(r) : 0];
    for (int64_t c = 0; c < cols; ++c) {
      float quotient = w[r * cols + c] / scale;
      if (quotient_in_bf16) quotient = bf16_to_f32(f32_to_bf16(quotient));
      q.codes[static_cast<size_t>(r * cols + c)] = f32_to_e4m3(quotient);
    }
  }
  return q;
}

void dequantize_fp8(const uint8_t* codes, const float* scales, bool per_channel, int64_t rows,
                    int64_t cols, float* out) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float scale = scales[per_channel ? r : 0];
    for (int64_t c = 0; c < cols; ++c) out[r * cols + c] = e4m3_to_f32(codes[r * cols + c]) * scale;
  }
}

void dequantize_fp8(const Fp8Weight& q, float* out) {
  dequantize_fp8(q.codes.data(), q.scales.data(), q.scales.size() > 1, q.rows, q.cols, out);
}

float nvfp4_global_scale(float amax) { return amax / (kE2m1Max * kE4m3Max); }

float nvfp4_scale_2(const float* w, int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  float m = 0.0f;
#pragma omp parallel for reduction(max : m) schedule(static)
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(w[i]));
  return nvfp4_global_scale(m);
}

std::vector<uint8_t> nvfp4_block_scales(const float* w, int64_t rows, int64_t cols,
                                        float scale_2) {
  const int64_t blocks = cols / kNvfp4Block;
  std::vector<uint8_t> out(static_cast<size_t>(rows * blocks));
  const float scale_2_times_max = kE2m1Max * scale_2;  // f32, as ModelOpt computes it
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t b = 0; b < blocks; ++b) {
      float scale = amax(w + r * cols + b * kNvfp4Block, kNvfp4Block) / scale_2_times_max;
      if (scale == 0.0f) scale = 1.0f;
      // Clamped so that tiny blocks do not underflow to 0 nor huge ones overflow.
      out[static_cast<size_t>(r * blocks + b)] = f32_to_e4m3(std::clamp(scale, 0x1p-9f, kE4m3Max));
    }
  }
  return out;
}

Result<Nvfp4Weight> quantize_nvfp4(const float* w, int64_t rows, int64_t cols) {
  return quantize_nvfp4(w, rows, cols, nvfp4_scale_2(w, rows, cols));
}

Result<Nvfp4Weight> quantize_nvfp4(const float* w, int64_t rows, int64_t cols, float scale_2) {
  if (cols % kNvfp4Block != 0) {
    return invalid_argument("NVFP4 needs the input dimension (" + std::to_string(cols) +
                            ") to be a multiple of 16");
  }
  Nvfp4Weight q;
  q.rows = rows;
  q.cols = cols;
  q.scale_2 = scale_2;
  q.block_scale = nvfp4_block_scales(w, rows, cols, q.scale_2);
  q.packed.assign(static_cast<size_t>(rows * cols / 2), 0);
  const int64_t blocks = cols / kNvfp4Block;
  // Rows are independent (each byte belongs to one row): the same result on any thread count.
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t b = 0; b < blocks; ++b) {
      const float* block = w + r * cols + b * kNvfp4Block;
      const float divisor =
          e4m3_to_f32(q.block_scale[static_cast<size_t>(r * blocks + b)]) * q.scale_2;
      for (int64_t i = 0; i < kNvfp4Block; ++i) {
        const uint8_t code = f32_to_e2m1(block[i] / divisor);
        const int64_t col = b * kNvfp4Block + i;
        uint8_t& byte = q.packed[static_cast<size_t>((r * cols + col) / 2)];
        byte = static_cast<uint8_t>(byte | (col % 2 == 0 ? code : code << 4));
      }
    }
  }
  return q;
}

void dequantize_nvfp4(const uint8_t* packed, const uint8_t* block_scales, float global,
                      bool global_divides, int64_t rows, int64_t cols, float* out) {
  const int64_t blocks = cols / kNvfp4Block;
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t b = 0; b < blocks; ++b) {
      // The order of the operations is each library's: it decides the last bit.
      const float block_scale = e4m3_to_f32(block_scales[r * blocks + b]);
      const float scale = global_divides ? block_scale / global : block_scale * global;
      for (int64_t c = b * kNvfp4Block; c < (b + 1) * kNvfp4Block; ++c) {
        const uint8_t byte = packed[(r * cols + c) / 2];
        out[r * cols + c] = e2m1_to_f32(c % 2 == 0 ? (byte & 0xF) : (byte >> 4)) * scale;
      }
    }
  }
}

void dequantize_nvfp4(const Nvfp4Weight& q, float* out) {
  dequantize_nvfp4(q.packed.data(), q.block_scale.data(), q.scale_2, /*global_divides=*/false,
                   q.rows, q.cols, out);
}

}  // namespace fourbrain::quant
