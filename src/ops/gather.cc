#include "ops/gather.h"

#include <string>

#include "kernels/cpu/gather_rows.h"

namespace fourbrain::ops {

Status gather_rows(const Tensor& x, const Tensor& rows, Tensor& out) {
  if (x.rank() != 2 || rows.rank() != 1 || rows.dtype() != DType::kI32 || out.rank() != 2 ||
      out.dtype() != x.dtype() || out.dim(0) != rows.dim(0) || out.dim(1) != x.dim(1) ||
      dtype_bits(x.dtype()) % 8 != 0) {
    return invalid_argument("gather_rows: x " + x.shape().to_string() + ", rows " +
                            rows.shape().to_string() + ", out " + out.shape().to_string());
  }
  const int32_t* ids = rows.data<int32_t>();
  for (int64_t i = 0; i < rows.dim(0); ++i) {
    if (ids[i] < 0 || ids[i] >= x.dim(0)) {
      return invalid_argument("gather_rows: row " + std::to_string(ids[i]) + " outside [0, " +
                              std::to_string(x.dim(0)) + ")");
    }
  }
  if (x.device() != DeviceKind::kCpu) return unsupported("gather_rows: only CPU tensors for now");
  kernels::cpu::gather_rows(x.raw_data(), dtype_bytes(x.dtype(), static_cast<size_t>(x.dim(1))),
                            ids, rows.dim(0), out.raw_data());
  return Status::ok();
}

}  // namespace fourbrain::ops
