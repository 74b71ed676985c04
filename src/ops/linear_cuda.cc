// The CUDA backend's prepared weight and its GEMM (kernels/cuda, cuBLASLt): the weight is
// converted to bf16 on the host once and uploaded; the bias stays f32 for the epilogue.
#include "ops/linear_cuda.h"

#include <cstring>
#include <vector>

#include "kernels/cpu/convert.h"
#include "kernels/cuda/cuda_kernels.h"
#include "ops/ops_check.h"

namespace fourbrain::ops::detail {
namespace {

// A host bf16 copy of `t` (bf16/f16/f32; the source may be an unaligned mapping).
std::vector<uint16_t> to_bf16(const Tensor& t) {
  const size_t n = static_cast<size_t>(t.numel());
  std::vector<uint16_t> out(n);
  if (t.dtype() == DType::kBF16) {
    std::memcpy(out.data(), t.raw_data(), n * 2);
    return out;
  }
  std::vector<float> f32(n);
  kernels::cpu::convert_to_f32(t.raw_data(), t.dtype(), static_cast<int64_t>(n), f32.data());
  for (size_t i = 0; i < n; ++i) out[i] = f32_to_bf16(f32[i]);
  return out;
}

Result<Tensor> upload(const void* host, DType dtype, Shape shape, Allocator& device_memory) {
  FB_ASSIGN_OR_RETURN(Tensor t, Tensor::empty(dtype, std::move(shape), device_memory));
  FB_RETURN_IF_ERROR(kernels::cuda::copy_to_device(t.raw_data(), host, t.nbytes()));
  return t;
}

}  // namespace

Result<std::shared_ptr<const LinearWeight>> CudaLinearWeight::create(
    const Tensor& weight, const std::vector<float>* bias_f32, Allocator& device_memory) {
  auto w = std::make_shared<CudaLinearWeight>();
  const std::vector<uint16_t> bf16 = to_bf16(weight);
  FB_ASSIGN_OR_RETURN(w->weight_,
                      upload(bf16.data(), DType::kBF16, weight.shape(), device_memory));
  if (bias_f32 != nullptr) {
    FB_ASSIGN_OR_RETURN(w->bias_, upload(bias_f32->data(), DType::kF32,
                                         {static_cast<int64_t>(bias_f32->size())}, device_memory));
  }
  return std::shared_ptr<const LinearWeight>(w);
}

Status CudaLinearWeight::multiply(const Tensor& x, Tensor& y, bool accumulate) const {
  constexpr std::string_view kOp = "linear";
  if (x.device() != DeviceKind::kCuda || y.device() != DeviceKind::kCuda) {
    return bad_argument(kOp, "weight is on CUDA but x or y is not");
  }
  if (x.dtype() != DType::kBF16) {
    return bad_argument(kOp, "x " + describe(x) + " must be bf16 on CUDA");
  }
  if (kernels::cuda::current_context() == nullptr) {
    return unsupported("linear: CUDA tensors but no CUDA context on this thread");
  }
  kernels::cuda::GemmArgs args;
  args.x = x.data<uint16_t>();
  args.w = weight_.data<uint16_t>();
  args.bias = bias_.defined() && bias_.numel() > 0 ? bias_.data<float>() : nullptr;
  args.n = x.dim(0);
  args.out_features = out_features();
  args.k = in_features();
  args.y = y.raw_data();
  args.y_dtype = y.dtype();
  args.accumulate = accumulate;
  return kernels::cuda::gemm_bf16(cuda_context(), args);
}

}  // namespace fourbrain::ops::detail
