// Elementwise activations of encoder MLPs and heads, as HF computes them in f32:
//   kGelu      0.5 x (1 + erf(x / sqrt 2))                      (hidden_act "gelu")
//   kGeluTanh  0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))  ("gelu_new", "gelu_pytorch_tanh")
//   kTanh      tanh(x)                                          (pooler / classifier heads)
//
// The AVX-512 path builds erf and tanh from the shared vector exp (erf: Abramowitz-Stegun
// 7.1.26, |error| <= 1.5e-7, the formula torch's own vectorised erf uses, arranged so 1 + erf
// does not cancel for negative x); the portable path uses std::erf / std::tanh. Output f32 or
// bf16; an f32 out may be x itself. Rows are split over the OpenMP threads. Sizes are trusted
// (ops/ validates). Thread-safe on disjoint outputs; never fails.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace fourbrain::kernels::cpu {

enum class UnaryActivation { kGelu, kGeluTanh, kTanh };

// out [n_rows, width] = act(x [n_rows, width]).
void unary_activation(const float* x, int64_t n_rows, int64_t width, UnaryActivation act, void* out,
                      DType out_dtype);

}  // namespace fourbrain::kernels::cpu
