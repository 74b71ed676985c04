// SwiGLU's elementwise half: out = silu(gate) * up, as HF computes it in f32
// (silu(g) = g / (1 + exp(-g)), then the product).
//
// The AVX-512 path uses a vector exp within about 1 ulp of expf; the portable path uses
// std::exp. Output f32 or bf16. Rows are split over the OpenMP threads. Sizes are trusted
// (ops/ validates). Thread-safe on disjoint outputs; never fails.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace fourbrain::kernels::cpu {

// gate_up [n_rows, 2 * width] (gate columns, then up columns) -> out [n_rows, width].
void silu_mul(const float* gate_up, int64_t n_rows, int64_t width, void* out, DType out_dtype);

}  // namespace fourbrain::kernels::cpu
