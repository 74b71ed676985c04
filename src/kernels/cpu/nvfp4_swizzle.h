// The scale-factor layout of cuBLASLt's block-scaled FP4 GEMM (CUBLASLT_MATMUL_MATRIX_SCALE_
// VEC16_UE4M3, cuBLAS "1D block scaling factors layout"): NVFP4 block scales, e4m3 one per 16
// elements of a row, as checkpoints store them (ModelOpt's row-major [rows, k / 16]) are
// regrouped into 128 x 4 tiles of 512 bytes. Rows pad to a multiple of 128 and scale columns
// to a multiple of 4 with zeros (the GEMM reads the padding). Tiles run row-major; inside
// one, scale (r, c) sits at (r % 32) * 16 + (r / 32) * 4 + c. The CUDA activation quantizer
// writes the same layout on the device (kernels/cuda/nvfp4_quantize_kernels.cu).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace fourbrain::kernels::cpu {

// Bytes of the swizzled layout of `rows` x `scale_cols` block scales, padding included.
int64_t nvfp4_swizzled_scales_bytes(int64_t rows, int64_t scale_cols);
// Where scale (row, col) of a [rows, scale_cols] matrix lands in the swizzled layout.
int64_t nvfp4_swizzled_scale_offset(int64_t row, int64_t col, int64_t scale_cols);
// The swizzled layout of `scales` (e4m3 [rows, scale_cols], row-major), padding zero.
std::vector<uint8_t> swizzle_nvfp4_scales(const uint8_t* scales, int64_t rows, int64_t scale_cols);

}  // namespace fourbrain::kernels::cpu
