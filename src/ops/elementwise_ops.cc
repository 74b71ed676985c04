// silu_mul and embedding_lookup: validation and dispatch.
#include <string>

#include "kernels/cpu/activation.h"
#include "kernels/cpu/embedding.h"
#include "kernels/cuda/cuda_kernels.h"
#include "ops/ops.h"
#include "ops/ops_check.h"

namespace fourbrain::ops {

using detail::bad_argument;
using detail::describe;

Status silu_mul(const Tensor& gate_up, Tensor& out) {
  constexpr std::string_view kOp = "silu_mul";
  // bf16 gate_up: CUDA only (the CPU kernels read f32).
  const bool in_ok = detail::is_matrix(gate_up, DType::kF32) ||
                     (gate_up.device() == DeviceKind::kCuda && detail::is_matrix(gate_up, DType::kBF16));
  if (!in_ok || gate_up.dim(1) % 2 != 0 ||
      !detail::is_activation_out(out, gate_up.dim(0), gate_up.dim(1) / 2)) {
    return bad_argument(kOp, "gate_up " + describe(gate_up) + ", out " + describe(out) +
                                 " (want gate_up f32[n, 2i], out f32/bf16[n, i])");
  }
  if (detail::overlaps(gate_up, out)) return bad_argument(kOp, "out overlaps gate_up");
  FB_ASSIGN_OR_RETURN(DeviceKind device, detail::op_device(kOp, {&gate_up, &out}));
  if (device == DeviceKind::kCuda) {
    return kernels::cuda::silu_mul(detail::cuda_context(), gate_up.raw_data(), gate_up.dtype(),
                                   gate_up.dim(0), out.dim(1), out.raw_data(), out.dtype());
  }
  kernels::cpu::silu_mul(gate_up.data<float>(), gate_up.dim(0), out.dim(1), out.raw_data(),
                         out.dtype());
  return Status::ok();
}

Status embedding_lookup_nvfp4(const Tensor& packed, const Tensor& scales, float global_scale,
                              const Tensor& ids, Tensor& out) {
  constexpr std::string_view kOp = "embedding_lookup_nvfp4";
  if (packed.rank() != 2 || packed.dtype() != DType::kU8 || scales.rank() != 2 ||
      scales.dtype() != DType::kU8 || scales.dim(0) != packed.dim(0) ||
      scales.dim(1) * 8 != packed.dim(1) || ids.rank() != 1 || ids.dtype() != DType::kI32 ||
      !detail::is_matrix(out, DType::kF32) || out.dim(0) != ids.dim(0) ||
      out.dim(1) != packed.dim(1) * 2) {
    return bad_argument(kOp, "packed " + describe(packed) + ", scales " + describe(scales) +
                                 ", ids " + describe(ids) + ", out " + describe(out));
  }
  FB_ASSIGN_OR_RETURN(DeviceKind device, detail::op_device(kOp, {&packed, &scales, &ids, &out}));
  if (device != DeviceKind::kCuda) return unsupported("embedding_lookup_nvfp4 runs on CUDA only");
  return kernels::cuda::embedding_lookup_nvfp4(detail::cuda_context(), ids.data<int32_t>(),
                                               ids.dim(0), out.dim(1), packed.data<uint8_t>(),
                                               scales.data<uint8_t>(), global_scale,
                                               out.data<float>());
}

Status embedding_lookup(const Tensor& table, const Tensor& ids, Tensor& out) {
  constexpr std::string_view kOp = "embedding_lookup";
  const DType dt = table.dtype();
  if (table.rank() != 2 || !(dt == DType::kF32 || dt == DType::kBF16 || dt == DType::kF16) ||
      ids.rank() != 1 || ids.dtype() != DType::kI32 || !detail::is_matrix(out, DType::kF32) ||
      out.dim(0) != ids.dim(0) || out.dim(1) != table.dim(1)) {
    return bad_argument(kOp, "table " + describe(table) + ", ids " + describe(ids) + ", out " +
                                 describe(out) +
                                 " (want table bf16/f16/f32[v, h], ids i32[n], out f32[n, h])");
  }
  if (detail::overlaps(table, out)) return bad_argument(kOp, "out overlaps table");
  FB_ASSIGN_OR_RETURN(DeviceKind device, detail::op_device(kOp, {&table, &ids, &out}));
  if (device == DeviceKind::kCuda) {  // ids are on the device: the caller vouches for them
    return kernels::cuda::embedding_lookup(detail::cuda_context(), table.raw_data(), dt,
                                           table.dim(1), ids.data<int32_t>(), ids.dim(0),
                                           out.data<float>());
  }
  const int32_t* id = ids.data<int32_t>();
  for (int64_t i = 0; i < ids.dim(0); ++i) {
    if (id[i] < 0 || id[i] >= table.dim(0)) {
      return bad_argument(kOp, "ids[" + std::to_string(i) + "] = " + std::to_string(id[i]) +
                                   " outside the table's " + std::to_string(table.dim(0)) +
                                   " rows");
    }
  }
  kernels::cpu::embedding_lookup(table.raw_data(), dt, table.dim(1), id, ids.dim(0),
                                 out.data<float>());
  return Status::ok();
}

}  // namespace fourbrain::ops
