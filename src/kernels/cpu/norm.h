// Row normalisations over f32 activations [n_rows, width], row-major with row stride =
// width: RMSNorm (as HF Qwen3RMSNorm in f32), residual-add + RMSNorm, and L2 normalisation
// (as torch.nn.functional.normalize).
//
// Outputs are f32 or bf16 (rounded once, after the f32 result is formed); an f32 output
// may be the input itself. Rows are split over the OpenMP threads. Sizes are trusted
// (ops/ validates). Thread-safe on disjoint outputs; never fail.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace fourbrain::kernels::cpu {

// out = x * (1 / sqrt(mean(x^2) + eps)) * weight.
void rms_norm(const float* x, const float* weight, int64_t n_rows, int64_t width, float eps,
              void* out, DType out_dtype);

// residual += x; out = rms_norm(residual) * weight.
void add_rms_norm(float* residual, const float* x, const float* weight, int64_t n_rows,
                  int64_t width, float eps, void* out, DType out_dtype);

// In place: x /= max(||x||_2, 1e-12) per row.
void l2_normalize_rows(float* x, int64_t n_rows, int64_t width);

// The per-row steps, shared with the fused attention prologue.
float sum_of_squares(const float* x, int64_t n);
void scale_by_weight(const float* x, float inv_rms, const float* weight, int64_t n, float* out);

}  // namespace fourbrain::kernels::cpu
