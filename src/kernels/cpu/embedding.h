// Embedding lookup: rows of a bf16/f16/f32 table (possibly unaligned, e.g. memory-mapped)
// widened to f32. Ids are trusted to be in range (ops/ validates). Thread-safe; never fails.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace fourbrain::kernels::cpu {

// out [n_ids, width] f32 = table[ids[i], :] for a table [*, width] of table_dtype.
void embedding_lookup(const void* table, DType table_dtype, int64_t width, const int32_t* ids,
                      int64_t n_ids, float* out);

}  // namespace fourbrain::kernels::cpu
