#include "kernels/cpu/embedding.h"

#include "kernels/cpu/convert.h"
#include "kernels/cpu/parallel.h"

namespace fourbrain::kernels::cpu {

void embedding_lookup(const void* table, DType table_dtype, int64_t width, const int32_t* ids,
                      int64_t n_ids, float* out) {
  const size_t row_bytes = dtype_bytes(table_dtype, static_cast<size_t>(width));
  parallel_for_rows(n_ids, width, [&](int64_t i) {
    const auto* row = static_cast<const uint8_t*>(table) + static_cast<size_t>(ids[i]) * row_bytes;
    convert_to_f32(row, table_dtype, width, out + i * width);
  });
}

}  // namespace fourbrain::kernels::cpu
