#include "kernels/cpu/elementwise_add.h"

#include <algorithm>

#include "kernels/cpu/isa.h"
#include "kernels/cpu/parallel.h"

namespace fourbrain::kernels::cpu {
namespace {

constexpr int64_t kChunk = 4096;

FB_MULTIVERSION void add_chunk(const float* a, const float* b, int64_t n, float* out) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

}  // namespace

void elementwise_add(const float* a, const float* b, int64_t n, float* out) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  parallel_for_rows(chunks, kChunk, [&](int64_t c) {
    const int64_t begin = c * kChunk;
    add_chunk(a + begin, b + begin, std::min(kChunk, n - begin), out + begin);
  });
}

}  // namespace fourbrain::kernels::cpu
