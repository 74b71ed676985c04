// gather_rows: out[i, :] = x[rows[i], :] for a row-major matrix of `row_bytes`-byte rows.
// Raw pointers; caller guarantees every row index is in range. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fourbrain::kernels::cpu {

void gather_rows(const void* x, size_t row_bytes, const int32_t* rows, int64_t n_rows, void* out);

}  // namespace fourbrain::kernels::cpu
