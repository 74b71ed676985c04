// Element conversions between the float formats, over whole arrays.
//
// Sources may be unaligned (views into a memory-mapped checkpoint). Rounding to bf16 is
// nearest-even, as torch's .to(torch.bfloat16). The *_parallel variants split the array
// over the OpenMP threads; the others run on the calling thread. Thread-safe; never fail.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace fourbrain::kernels::cpu {

// dst[i] = float(src[i]) for src of dtype f32, bf16 or f16.
void convert_to_f32(const void* src, DType src_dtype, int64_t n, float* dst);
// dst[i] = bf16(src[i]) for src of dtype f32, bf16 or f16.
void convert_to_bf16(const void* src, DType src_dtype, int64_t n, uint16_t* dst);

void convert_to_f32_parallel(const void* src, DType src_dtype, int64_t n, float* dst);
void convert_to_bf16_parallel(const void* src, DType src_dtype, int64_t n, uint16_t* dst);

// A per-thread f32 scratch row of at least `width` floats (for rows computed in f32 and
// stored as bf16); valid until the calling thread asks again.
float* staging_row(int64_t width);

// Writes n floats to dst as f32 or bf16 (the two activation output types).
void store_f32_as(const float* src, int64_t n, void* dst, DType dst_dtype);

}  // namespace fourbrain::kernels::cpu
