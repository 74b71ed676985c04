// ops::LinearWeight and ops::linear: validation and device dispatch around the backends'
// GEMM kernels (CPU: kernels/cpu/gemm, oneDNN).
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/convert.h"
#include "kernels/cpu/gemm.h"
#include "ops/linear_cuda.h"
#include "ops/linear_cuda_fp4.h"
#include "ops/ops.h"
#include "ops/ops_check.h"

namespace fourbrain::ops {
namespace {

using detail::bad_argument;
using detail::describe;

// The CPU backend's prepared weight: a oneDNN-packed copy in the compute precision.
class CpuLinearWeight final : public LinearWeight {
 public:
  CpuLinearWeight(std::unique_ptr<kernels::cpu::GemmWeight> gemm, MatmulPrecision precision)
      : gemm_(std::move(gemm)), precision_(precision) {}
  int64_t out_features() const override { return gemm_->n(); }
  int64_t in_features() const override { return gemm_->k(); }
  MatmulPrecision precision() const override { return precision_; }
  bool has_bias() const override { return gemm_->has_bias(); }
  size_t nbytes() const override { return gemm_->nbytes(); }
  const kernels::cpu::GemmWeight& gemm() const { return *gemm_; }

 private:
  std::unique_ptr<kernels::cpu::GemmWeight> gemm_;
  MatmulPrecision precision_;
};

kernels::cpu::GemmPrecision to_kernel(MatmulPrecision p) {
  return p != MatmulPrecision::kF32 ? kernels::cpu::GemmPrecision::kBF16
                                    : kernels::cpu::GemmPrecision::kF32;
}

}  // namespace

Result<std::shared_ptr<const LinearWeight>> LinearWeight::prepare(const Tensor& weight,
                                                                  MatmulPrecision precision,
                                                                  const Tensor* bias,
                                                                  Allocator* device_memory) {
  constexpr std::string_view kOp = "LinearWeight::prepare";
  const DType dt = weight.dtype();
  if (weight.rank() != 2 || !(dt == DType::kF32 || dt == DType::kBF16 || dt == DType::kF16) ||
      weight.dim(0) <= 0 || weight.dim(1) <= 0 || !weight.defined()) {
    return bad_argument(
        kOp, "weight " + describe(weight) + " must be a non-empty bf16/f16/f32 [out, in] matrix");
  }
  FB_RETURN_IF_ERROR(detail::require_cpu(kOp, {&weight}));
  std::vector<float> bias_f32;
  if (bias != nullptr) {
    const DType bt = bias->dtype();
    if (bias->rank() != 1 || bias->dim(0) != weight.dim(0) || !bias->defined() ||
        !(bt == DType::kF32 || bt == DType::kBF16 || bt == DType::kF16)) {
      return bad_argument(kOp, "bias " + describe(*bias) + " must be bf16/f16/f32 [" +
                                   std::to_string(weight.dim(0)) + "] for weight " +
                                   describe(weight));
    }
    FB_RETURN_IF_ERROR(detail::require_cpu(kOp, {bias}));
    bias_f32.resize(static_cast<size_t>(bias->dim(0)));
    kernels::cpu::convert_to_f32(bias->raw_data(), bt, bias->dim(0), bias_f32.data());
  }
  if (device_memory != nullptr && device_memory->device() == DeviceKind::kCuda) {
    if (precision != MatmulPrecision::kBF16) {
      return unsupported(std::string(kOp) + ": the CUDA backend runs bf16 GEMMs only");
    }
    return detail::CudaLinearWeight::create(weight, bias != nullptr ? &bias_f32 : nullptr,
                                            *device_memory);
  }
  FB_ASSIGN_OR_RETURN(auto gemm, kernels::cpu::GemmWeight::pack(
                                     weight.raw_data(), dt, weight.dim(0), weight.dim(1),
                                     to_kernel(precision), kernels::cpu::GemmWeightLayout::kBlocked,
                                     bias != nullptr ? bias_f32.data() : nullptr));
  return std::shared_ptr<const LinearWeight>(
      std::make_shared<CpuLinearWeight>(std::move(gemm), precision));
}

Status detail::check_linear_shapes(const Tensor& x, const LinearWeight& weight, const Tensor& y) {
  constexpr std::string_view kOp = "linear";
  const bool bf16_ok = weight.precision() != MatmulPrecision::kF32;
  const bool x_ok =
      detail::is_matrix(x, DType::kF32) || (bf16_ok && detail::is_matrix(x, DType::kBF16));
  if (!x_ok || x.dim(1) != weight.in_features()) {
    return bad_argument(kOp, "x " + describe(x) + " does not fit weight [" +
                                 std::to_string(weight.out_features()) + ", " +
                                 std::to_string(weight.in_features()) + "]" +
                                 (bf16_ok ? " (x f32 or bf16)" : " (x f32)"));
  }
  const bool y_dtype_ok = detail::is_matrix(y, DType::kF32) ||
                          (y.device() == DeviceKind::kCuda && detail::is_matrix(y, DType::kBF16));
  if (!y_dtype_ok || y.dim(0) != x.dim(0) || y.dim(1) != weight.out_features()) {
    return bad_argument(kOp, "y " + describe(y) + " must be f32[" + std::to_string(x.dim(0)) +
                                 ", " + std::to_string(weight.out_features()) + "]");
  }
  if (detail::overlaps(x, y)) return bad_argument(kOp, "x and y overlap");
  return Status::ok();
}

Result<std::shared_ptr<const LinearWeight>> LinearWeight::prepare_fp8(const Tensor& codes,
                                                                      const Tensor& scales,
                                                                      Allocator& device_memory,
                                                                      bool fast_accumulation) {
  if (device_memory.device() != DeviceKind::kCuda) {
    return unsupported("LinearWeight::prepare_fp8: FP8 GEMMs run on CUDA only");
  }
  return detail::CudaFp8LinearWeight::create(codes, scales, device_memory, fast_accumulation);
}

Result<std::shared_ptr<const LinearWeight>> LinearWeight::prepare_nvfp4(const Tensor& packed,
                                                                        const Tensor& block_scales,
                                                                        float global_scale,
                                                                        Allocator& device_memory,
                                                                        bool fast_accumulation) {
  if (device_memory.device() != DeviceKind::kCuda) {
    return unsupported("LinearWeight::prepare_nvfp4: NVFP4 GEMMs run on CUDA only");
  }
  // FP4 tensor cores (Blackwell) take their own layout and GEMM. The current device decides
  // (device memory makes its device current at each allocation).
  FB_ASSIGN_OR_RETURN(const int compute_capability, kernels::cuda::current_compute_capability());
  if (compute_capability >= 100) {
    return detail::CudaNvfp4TensorCoreWeight::create(packed, block_scales, global_scale,
                                                     device_memory);
  }
  return detail::CudaNvfp4LinearWeight::create(packed, block_scales, global_scale, device_memory,
                                               /*fp8_gemm=*/compute_capability >= 90,
                                               fast_accumulation);
}

Status linear(const Tensor& x, const LinearWeight& weight, Tensor& y) {
  FB_RETURN_IF_ERROR(detail::check_linear_shapes(x, weight, y));
  constexpr std::string_view kOp = "linear";
  if (const auto* cuda_weight = dynamic_cast<const detail::CudaWeight*>(&weight)) {
    return cuda_weight->multiply(x, y, /*accumulate=*/false);
  }
  FB_RETURN_IF_ERROR(detail::require_cpu(kOp, {&x, &y}));
  const auto* cpu_weight = dynamic_cast<const CpuLinearWeight*>(&weight);
  if (cpu_weight == nullptr) return bad_argument(kOp, "weight was not prepared for the CPU");
  return cpu_weight->gemm().multiply(x.raw_data(), x.dtype(), x.dim(0), y.data<float>());
}

Status linear_accumulate(const Tensor& x, const LinearWeight& weight, Tensor& y) {
  if (y.dtype() != DType::kF32) {
    return bad_argument("linear_accumulate", "y " + describe(y) + " must be f32");
  }
  if (const auto* cuda_weight = dynamic_cast<const detail::CudaWeight*>(&weight)) {
    // Same checks as linear(), then the product is added by the GEMM (its epilogue or kernel).
    FB_RETURN_IF_ERROR(detail::check_linear_shapes(x, weight, y));
    return cuda_weight->multiply(x, y, /*accumulate=*/true);
  }
  FB_ASSIGN_OR_RETURN(Tensor product, Tensor::empty(DType::kF32, y.shape()));
  FB_RETURN_IF_ERROR(linear(x, weight, product));
  return add(y, product, y);
}

namespace {

// A CUDA weight's product of FP8 rows, once their shape fits the weight and y (only FP8
// weights, and NVFP4 ones on Hopper, take them).
Status multiply_fp8_rows(const Fp8Rows& x, const LinearWeight& weight, Tensor& y, bool accumulate) {
  constexpr std::string_view kOp = "linear";
  const auto* cuda_weight = dynamic_cast<const detail::CudaWeight*>(&weight);
  if (cuda_weight == nullptr) return bad_argument(kOp, "FP8 rows need a weight on CUDA");
  if (x.codes.rank() != 2 || x.codes.dim(1) != weight.in_features() || y.rank() != 2 ||
      y.dim(0) != x.codes.dim(0) || y.dim(1) != weight.out_features()) {
    return bad_argument(kOp, "FP8 rows " + describe(x.codes) + ", y " + describe(y) +
                                 " do not fit a weight of [" +
                                 std::to_string(weight.out_features()) + ", " +
                                 std::to_string(weight.in_features()) + "]");
  }
  FB_ASSIGN_OR_RETURN(DeviceKind device, detail::op_device(kOp, {&x.codes, &x.scales, &y}));
  if (device != DeviceKind::kCuda) return bad_argument(kOp, "FP8 rows and y must be on CUDA");
  return cuda_weight->multiply_fp8(x, y, accumulate);
}

}  // namespace

Status linear(const LinearInput& x, const LinearWeight& weight, Tensor& y) {
  if (!x.is_fp8()) return linear(x.values(), weight, y);
  return multiply_fp8_rows(x.fp8(), weight, y, /*accumulate=*/false);
}

Status linear_accumulate(const LinearInput& x, const LinearWeight& weight, Tensor& y) {
  if (!x.is_fp8()) return linear_accumulate(x.values(), weight, y);
  if (y.dtype() != DType::kF32) {
    return bad_argument("linear_accumulate", "y " + describe(y) + " must be f32");
  }
  return multiply_fp8_rows(x.fp8(), weight, y, /*accumulate=*/true);
}

}  // namespace fourbrain::ops
