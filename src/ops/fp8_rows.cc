// LinearInput and the ops that write FP8 rows (rms_norm, silu_mul, quantize_fp8_rows):
// validation and dispatch. The FP8 rows feed an FP8 weight's GEMM directly (linear.cc).
#include <string>

#include "kernels/cuda/cuda_kernels.h"
#include "ops/ops.h"
#include "ops/ops_check.h"

namespace fourbrain::ops {

using detail::bad_argument;
using detail::describe;

namespace {

// "FP8 rows (codes u8[n, k], scales f32[n])", for messages.
std::string describe(const Fp8Rows& rows) {
  return "FP8 rows (codes " + detail::describe(rows.codes) + ", scales " +
         detail::describe(rows.scales) + ")";
}

bool is_fp8_rows(const Fp8Rows& rows, int64_t n, int64_t k) {
  return detail::is_matrix(rows.codes, DType::kU8) && rows.codes.dim(0) == n &&
         rows.codes.dim(1) == k && detail::is_vector(rows.scales, DType::kF32, n);
}

}  // namespace

Result<LinearInput> LinearInput::fp8_rows(int64_t n, int64_t k, Allocator& allocator) {
  Fp8Rows rows;
  FB_ASSIGN_OR_RETURN(rows.codes, Tensor::empty(DType::kU8, {n, k}, allocator));
  FB_ASSIGN_OR_RETURN(rows.scales, Tensor::empty(DType::kF32, {n}, allocator));
  return LinearInput(std::move(rows));
}

LinearInput LinearInput::slice_rows(int64_t begin, int64_t end) const {
  if (!is_fp8_) return LinearInput(values_.slice_rows(begin, end));
  return LinearInput(
      Fp8Rows{rows_.codes.slice_rows(begin, end), rows_.scales.slice_rows(begin, end)});
}

Status rms_norm(const Tensor& x, const Tensor& weight, float eps, LinearInput& out) {
  if (!out.is_fp8()) return rms_norm(x, weight, eps, out.values());
  constexpr std::string_view kOp = "rms_norm";
  Fp8Rows& rows = out.fp8();
  if (!detail::is_matrix(x, DType::kF32) || !detail::is_vector(weight, DType::kF32, x.dim(1)) ||
      !is_fp8_rows(rows, x.dim(0), x.dim(1))) {
    return bad_argument(kOp, "x " + describe(x) + ", weight " + describe(weight) + ", out " +
                                 describe(rows) +
                                 " (want x f32[n, h], weight f32[h], FP8 rows [n, h])");
  }
  FB_ASSIGN_OR_RETURN(DeviceKind device,
                      detail::op_device(kOp, {&x, &weight, &rows.codes, &rows.scales}));
  if (device != DeviceKind::kCuda) return unsupported("rms_norm into FP8 rows runs on CUDA only");
  return kernels::cuda::rms_norm_fp8(detail::cuda_context(), x.data<float>(), weight.data<float>(),
                                     eps, x.dim(0), x.dim(1), rows.codes.data<uint8_t>(),
                                     rows.scales.data<float>());
}

Status silu_mul(const Tensor& gate_up, LinearInput& out) {
  if (!out.is_fp8()) return silu_mul(gate_up, out.values());
  constexpr std::string_view kOp = "silu_mul";
  Fp8Rows& rows = out.fp8();
  const bool in_ok =
      detail::is_matrix(gate_up, DType::kF32) || detail::is_matrix(gate_up, DType::kBF16);
  if (!in_ok || gate_up.dim(1) % 2 != 0 || !is_fp8_rows(rows, gate_up.dim(0), gate_up.dim(1) / 2)) {
    return bad_argument(kOp, "gate_up " + describe(gate_up) + ", out " + describe(rows) +
                                 " (want gate_up f32/bf16[n, 2i], FP8 rows [n, i])");
  }
  FB_ASSIGN_OR_RETURN(DeviceKind device,
                      detail::op_device(kOp, {&gate_up, &rows.codes, &rows.scales}));
  if (device != DeviceKind::kCuda) return unsupported("silu_mul into FP8 rows runs on CUDA only");
  return kernels::cuda::silu_mul_fp8(detail::cuda_context(), gate_up.raw_data(), gate_up.dtype(),
                                     gate_up.dim(0), rows.codes.dim(1), rows.codes.data<uint8_t>(),
                                     rows.scales.data<float>());
}

Status quantize_fp8_rows(const Tensor& x, Fp8Rows& out) {
  constexpr std::string_view kOp = "quantize_fp8_rows";
  if (!detail::is_matrix(x, DType::kBF16) || !is_fp8_rows(out, x.dim(0), x.dim(1))) {
    return bad_argument(kOp, "x " + describe(x) + ", out " + describe(out) +
                                 " (want x bf16[n, k], FP8 rows [n, k])");
  }
  FB_ASSIGN_OR_RETURN(DeviceKind device, detail::op_device(kOp, {&x, &out.codes, &out.scales}));
  if (device != DeviceKind::kCuda) return unsupported("quantize_fp8_rows runs on CUDA only");
  return kernels::cuda::quantize_fp8_rows(detail::cuda_context(), x.data<uint16_t>(), x.dim(0),
                                          x.dim(1), out.codes.data<uint8_t>(),
                                          out.scales.data<float>());
}

}  // namespace fourbrain::ops
