// out = a + b over n f32 elements (e.g. summing an encoder's word, type and position
// embeddings). out may be a or b itself. Split over the OpenMP threads when large. Sizes
// are trusted (ops/ validates). Thread-safe on disjoint outputs; never fails.
#pragma once

#include <cstdint>

namespace fourbrain::kernels::cpu {

void elementwise_add(const float* a, const float* b, int64_t n, float* out);

}  // namespace fourbrain::kernels::cpu
