// LayerNorm over f32 activations [n_rows, width] (row-major, row stride = width), as
// torch.nn.LayerNorm computes it in f32: mean, biased variance, (x - mean) / sqrt(var + eps)
// * weight + bias; and the residual-add form BERT's post-LN blocks use.
//
// Two passes over each row (mean, then squared deviations) in f32. Outputs are f32 or bf16
// (rounded once from the f32 result). Rows are split over the OpenMP threads. Sizes are
// trusted (ops/ validates). Thread-safe on disjoint outputs; never fail.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace fourbrain::kernels::cpu {

// out = layer_norm(x) * weight + bias. An f32 out may be x itself.
void layer_norm(const float* x, const float* weight, const float* bias, int64_t n_rows,
                int64_t width, float eps, void* out, DType out_dtype);

// out = layer_norm(x + residual) * weight + bias, f32. out may be x or residual itself (the
// sum of a row is formed before any of it is written).
void add_layer_norm(const float* x, const float* residual, const float* weight, const float* bias,
                    int64_t n_rows, int64_t width, float eps, float* out);

}  // namespace fourbrain::kernels::cpu
