#include "ops/transfer.h"

#include <cstring>

#include "kernels/cuda/cuda_backend.h"
#include "ops/ops_check.h"

namespace fourbrain::ops {

Status copy(const Tensor& src, Tensor& dst) {
  if (src.dtype() != dst.dtype() || src.shape() != dst.shape() || !src.defined() ||
      !dst.defined()) {
    return detail::bad_argument("copy", "src " + detail::describe(src) + " and dst " +
                                            detail::describe(dst) + " differ");
  }
  const bool src_cpu = src.device() == DeviceKind::kCpu, dst_cpu = dst.device() == DeviceKind::kCpu;
  if (src_cpu && dst_cpu) {
    std::memmove(dst.raw_data(), src.raw_data(), src.nbytes());
    return Status::ok();
  }
  if (src_cpu) return kernels::cuda::copy_to_device(dst.raw_data(), src.raw_data(), src.nbytes());
  if (dst_cpu) return kernels::cuda::copy_to_host(dst.raw_data(), src.raw_data(), src.nbytes());
  return unsupported("copy: device to device");
}

}  // namespace fourbrain::ops
