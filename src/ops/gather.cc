#include "ops/gather.h"

#include <string>

#include "kernels/cpu/gather_rows.h"
#include "kernels/cuda/cuda_kernels.h"
#include "ops/ops_check.h"

namespace fourbrain::ops {

Status gather_rows(const Tensor& x, const Tensor& rows, Tensor& out) {
  if (x.rank() != 2 || rows.rank() != 1 || rows.dtype() != DType::kI32 || out.rank() != 2 ||
      out.dtype() != x.dtype() || out.dim(0) != rows.dim(0) || out.dim(1) != x.dim(1) ||
      dtype_bits(x.dtype()) % 8 != 0) {
    return invalid_argument("gather_rows: x " + x.shape().to_string() + ", rows " +
                            rows.shape().to_string() + ", out " + out.shape().to_string());
  }
  FB_ASSIGN_OR_RETURN(DeviceKind device, detail::op_device("gather_rows", {&x, &rows, &out}));
  const size_t row_bytes = dtype_bytes(x.dtype(), static_cast<size_t>(x.dim(1)));
  if (device == DeviceKind::kCuda) {  // rows are on the device: the caller vouches for them
    return kernels::cuda::gather_rows(detail::cuda_context(), x.raw_data(), row_bytes,
                                      rows.data<int32_t>(), rows.dim(0), out.raw_data());
  }
  const int32_t* ids = rows.data<int32_t>();
  for (int64_t i = 0; i < rows.dim(0); ++i) {
    if (ids[i] < 0 || ids[i] >= x.dim(0)) {
      return invalid_argument("gather_rows: row " + std::to_string(ids[i]) + " outside [0, " +
                              std::to_string(x.dim(0)) + ")");
    }
  }
  kernels::cpu::gather_rows(x.raw_data(), row_bytes, ids, rows.dim(0), out.raw_data());
  return Status::ok();
}

}  // namespace fourbrain::ops
