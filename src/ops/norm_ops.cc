// rms_norm, add_rms_norm, l2_normalize_rows: validation and dispatch.
#include <string>

#include "kernels/cpu/norm.h"
#include "kernels/cuda/cuda_kernels.h"
#include "ops/ops.h"
#include "ops/ops_check.h"

namespace fourbrain::ops {

using detail::bad_alias;
using detail::bad_argument;
using detail::describe;

Status rms_norm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) {
  constexpr std::string_view kOp = "rms_norm";
  if (!detail::is_matrix(x, DType::kF32) || !detail::is_vector(weight, DType::kF32, x.dim(1)) ||
      !detail::is_activation_out(out, x.dim(0), x.dim(1))) {
    return bad_argument(kOp, "x " + describe(x) + ", weight " + describe(weight) + ", out " +
                                 describe(out) +
                                 " (want x f32[n, h], weight f32[h], out f32/bf16[n, h])");
  }
  if (bad_alias(x, out)) return bad_argument(kOp, "out partially overlaps x");
  FB_ASSIGN_OR_RETURN(DeviceKind device, detail::op_device(kOp, {&x, &weight, &out}));
  if (device == DeviceKind::kCuda) {
    return kernels::cuda::rms_norm(detail::cuda_context(), x.data<float>(),
                                   weight.data<float>(), eps, x.dim(0), x.dim(1),
                                   out.raw_data(), out.dtype());
  }
  kernels::cpu::rms_norm(x.data<float>(), weight.data<float>(), x.dim(0), x.dim(1), eps,
                         out.raw_data(), out.dtype());
  return Status::ok();
}

Status add_rms_norm(Tensor& residual, const Tensor& x, const Tensor& weight, float eps,
                    Tensor& out) {
  constexpr std::string_view kOp = "add_rms_norm";
  if (!detail::is_matrix(residual, DType::kF32) || !detail::is_matrix(x, DType::kF32) ||
      x.shape() != residual.shape() || !detail::is_vector(weight, DType::kF32, x.dim(1)) ||
      !detail::is_activation_out(out, x.dim(0), x.dim(1))) {
    return bad_argument(kOp,
                        "residual " + describe(residual) + ", x " + describe(x) + ", weight " +
                            describe(weight) + ", out " + describe(out) +
                            " (want residual, x f32[n, h], weight f32[h], out f32/bf16[n, h])");
  }
  if (detail::overlaps(residual, x) || detail::overlaps(residual, out) || bad_alias(x, out)) {
    return bad_argument(kOp, "residual must not overlap x or out (out may be x itself)");
  }
  FB_ASSIGN_OR_RETURN(DeviceKind device, detail::op_device(kOp, {&residual, &x, &weight, &out}));
  if (device == DeviceKind::kCuda) {
    return kernels::cuda::add_rms_norm(detail::cuda_context(), residual.data<float>(),
                                       x.data<float>(), weight.data<float>(), eps, x.dim(0),
                                       x.dim(1), out.raw_data(), out.dtype());
  }
  kernels::cpu::add_rms_norm(residual.data<float>(), x.data<float>(), weight.data<float>(),
                             x.dim(0), x.dim(1), eps, out.raw_data(), out.dtype());
  return Status::ok();
}

Status l2_normalize_rows(Tensor& x) {
  constexpr std::string_view kOp = "l2_normalize_rows";
  if (!detail::is_matrix(x, DType::kF32)) {
    return bad_argument(kOp, "x " + describe(x) + " must be f32[n, d]");
  }
  FB_RETURN_IF_ERROR(detail::require_cpu(kOp, {&x}));
  kernels::cpu::l2_normalize_rows(x.data<float>(), x.dim(0), x.dim(1));
  return Status::ok();
}

}  // namespace fourbrain::ops
