#include "ops/ops_check.h"

#include <cstdint>

namespace fourbrain::ops::detail {

std::string describe(const Tensor& t) {
  return std::string(dtype_name(t.dtype())) + t.shape().to_string();
}

Status bad_argument(std::string_view op, const std::string& what) {
  return invalid_argument(std::string(op) + ": " + what);
}

bool is_matrix(const Tensor& t, DType dtype) {
  return t.rank() == 2 && t.dtype() == dtype && t.defined();
}

bool is_vector(const Tensor& t, DType dtype, int64_t length) {
  return t.rank() == 1 && t.dtype() == dtype && t.dim(0) == length && t.defined();
}

bool is_activation_out(const Tensor& t, int64_t rows, int64_t cols) {
  return t.rank() == 2 && (t.dtype() == DType::kF32 || t.dtype() == DType::kBF16) &&
         t.dim(0) == rows && t.dim(1) == cols && t.defined();
}

bool overlaps(const Tensor& a, const Tensor& b) {
  if (a.nbytes() == 0 || b.nbytes() == 0 || a.device() != b.device()) return false;
  const auto a0 = reinterpret_cast<uintptr_t>(a.raw_data());
  const auto b0 = reinterpret_cast<uintptr_t>(b.raw_data());
  return a0 < b0 + b.nbytes() && b0 < a0 + a.nbytes();
}

bool bad_alias(const Tensor& in, const Tensor& out) {
  const bool same = in.raw_data() == out.raw_data() && in.dtype() == out.dtype();
  return overlaps(in, out) && !same;
}

Status require_cpu(std::string_view op, std::initializer_list<const Tensor*> tensors) {
  for (const Tensor* t : tensors) {
    if (t->device() != DeviceKind::kCpu) {
      return unsupported(std::string(op) + ": no backend for this device yet (CPU only)");
    }
  }
  return Status::ok();
}

Result<DeviceKind> op_device(std::string_view op, std::initializer_list<const Tensor*> tensors) {
  const DeviceKind device = (*tensors.begin())->device();
  for (const Tensor* t : tensors) {
    if (t->device() != device) {
      return bad_argument(op, "tensors on different devices (CPU and CUDA)");
    }
  }
  if (device == DeviceKind::kCuda && kernels::cuda::current_context() == nullptr) {
    return unsupported(std::string(op) + ": CUDA tensors but no CUDA context on this thread");
  }
  return device;
}

}  // namespace fourbrain::ops::detail
