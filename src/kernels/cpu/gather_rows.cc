#include "kernels/cpu/gather_rows.h"

#include <cstring>

namespace fourbrain::kernels::cpu {

void gather_rows(const void* x, size_t row_bytes, const int32_t* rows, int64_t n_rows, void* out) {
  const auto* src = static_cast<const uint8_t*>(x);
  auto* dst = static_cast<uint8_t*>(out);
  for (int64_t i = 0; i < n_rows; ++i) {
    std::memcpy(dst + static_cast<size_t>(i) * row_bytes,
                src + static_cast<size_t>(rows[i]) * row_bytes, row_bytes);
  }
}

}  // namespace fourbrain::kernels::cpu
