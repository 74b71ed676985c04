#include "kernels/cpu/convert.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/check.h"
#include "kernels/cpu/isa.h"

namespace fourbrain::kernels::cpu {
namespace {

// Bit-level forms of the dtype.h conversions, written so the compiler vectorises them.
FB_MULTIVERSION void f32_to_bf16_loop(const uint8_t* src, int64_t n, uint16_t* dst) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    float value;
    std::memcpy(&value, src + 4 * i, 4);
    dst[i] = f32_to_bf16(value);
  }
}

FB_MULTIVERSION void bf16_to_f32_loop(const uint8_t* src, int64_t n, float* dst) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    uint16_t bits;
    std::memcpy(&bits, src + 2 * i, 2);
    dst[i] = bf16_to_f32(bits);
  }
}

void f16_to_f32_loop(const uint8_t* src, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i) {
    uint16_t bits;
    std::memcpy(&bits, src + 2 * i, 2);
    dst[i] = f16_to_f32(bits);
  }
}

// Splits [0, n) over the threads in chunks that keep cache lines unshared.
template <typename Fn>
void parallel_chunks(int64_t n, Fn fn) {
  constexpr int64_t kMinChunk = 1 << 14;
  if (n <= kMinChunk) return fn(int64_t{0}, n);
#pragma omp parallel
  {
    const int64_t threads = omp_get_num_threads();
    const int64_t chunk = ((n + threads - 1) / threads + 63) / 64 * 64;
    const int64_t begin = std::min(n, chunk * omp_get_thread_num());
    fn(begin, std::min(n, begin + chunk));
  }
}

}  // namespace

void convert_to_f32(const void* src, DType src_dtype, int64_t n, float* dst) {
  const auto* bytes = static_cast<const uint8_t*>(src);
  switch (src_dtype) {
    case DType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * 4);
      return;
    case DType::kBF16:
      return bf16_to_f32_loop(bytes, n, dst);
    case DType::kF16:
      return f16_to_f32_loop(bytes, n, dst);
    default:
      FB_CHECK(false && "convert_to_f32: unsupported dtype");
  }
}

void convert_to_bf16(const void* src, DType src_dtype, int64_t n, uint16_t* dst) {
  const auto* bytes = static_cast<const uint8_t*>(src);
  switch (src_dtype) {
    case DType::kF32:
      return f32_to_bf16_loop(bytes, n, dst);
    case DType::kBF16:
      std::memcpy(dst, src, static_cast<size_t>(n) * 2);
      return;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t bits;
        std::memcpy(&bits, bytes + 2 * i, 2);
        dst[i] = f32_to_bf16(f16_to_f32(bits));
      }
      return;
    default:
      FB_CHECK(false && "convert_to_bf16: unsupported dtype");
  }
}

void convert_to_f32_parallel(const void* src, DType src_dtype, int64_t n, float* dst) {
  const size_t elem = dtype_bytes(src_dtype, 1);
  parallel_chunks(n, [&](int64_t b, int64_t e) {
    convert_to_f32(static_cast<const uint8_t*>(src) + b * elem, src_dtype, e - b, dst + b);
  });
}

void convert_to_bf16_parallel(const void* src, DType src_dtype, int64_t n, uint16_t* dst) {
  const size_t elem = dtype_bytes(src_dtype, 1);
  parallel_chunks(n, [&](int64_t b, int64_t e) {
    convert_to_bf16(static_cast<const uint8_t*>(src) + b * elem, src_dtype, e - b, dst + b);
  });
}

void store_f32_as(const float* src, int64_t n, void* dst, DType dst_dtype) {
  if (dst_dtype == DType::kBF16) {
    f32_to_bf16_loop(reinterpret_cast<const uint8_t*>(src), n, static_cast<uint16_t*>(dst));
  } else if (dst != src) {
    std::memcpy(dst, src, static_cast<size_t>(n) * 4);
  }
}

float* staging_row(int64_t width) {
  thread_local std::vector<float> row;
  if (static_cast<int64_t>(row.size()) < width) row.resize(static_cast<size_t>(width));
  return row.data();
}

}  // namespace fourbrain::kernels::cpu
