// NVFP4 weights on FP4 tensor cores: upload in cuBLASLt's layouts, then per multiply
// quantize x and run the block-scaled FP4 GEMM (kernels/cuda/nvfp4_blackwell.h).
#include "ops/linear_cuda_fp4.h"

#include <string>
#include <vector>

#include "kernels/cpu/nvfp4_swizzle.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/nvfp4_blackwell.h"
#include "ops/linear_cuda.h"
#include "ops/ops_check.h"

namespace fourbrain::ops::detail {
namespace {

// Byte offsets in the context's scratch, each piece 256-byte aligned (cuBLASLt wants 16).
struct ScratchLayout {
  size_t codes = 0, scales = 0, scalars = 0, total = 0;
  ScratchLayout(int64_t n, int64_t k) {
    auto align = [](size_t b) { return (b + 255) / 256 * 256; };
    scales = align(static_cast<size_t>(n * k / 2));
    scalars =
        scales + align(static_cast<size_t>(kernels::cpu::nvfp4_swizzled_scales_bytes(n, k / 16)));
    total = scalars + 2 * sizeof(float);
  }
};

}  // namespace

Result<std::shared_ptr<const LinearWeight>> CudaNvfp4TensorCoreWeight::create(
    const Tensor& packed, const Tensor& block_scales, float global_scale,
    Allocator& device_memory) {
  FB_RETURN_IF_ERROR(check_nvfp4_weight(packed, block_scales, global_scale));
  const int64_t out = packed.dim(0), in = packed.dim(1) * 2;
  auto w = std::make_shared<CudaNvfp4TensorCoreWeight>();
  FB_ASSIGN_OR_RETURN(w->codes_, upload(packed.raw_data(), DType::kU8, packed.shape(), device_memory));
  const std::vector<uint8_t> swizzled =
      kernels::cpu::swizzle_nvfp4_scales(block_scales.data<uint8_t>(), out, in / 16);
  FB_ASSIGN_OR_RETURN(
      w->scales_, upload(swizzled.data(), DType::kU8, {static_cast<int64_t>(swizzled.size())}, device_memory));
  w->out_ = out;
  w->in_ = in;
  w->global_scale_ = global_scale;
  return std::shared_ptr<const LinearWeight>(w);
}

Status CudaNvfp4TensorCoreWeight::multiply(const Tensor& x, Tensor& y, bool accumulate) const {
  FB_RETURN_IF_ERROR(check_quantized_inputs(x, y, "an NVFP4"));
  kernels::cuda::Context& ctx = cuda_context();
  const int64_t n = x.dim(0), k = in_;
  if (n == 0) return Status::ok();
  const ScratchLayout layout(n, k);
  FB_ASSIGN_OR_RETURN(void* scratch, kernels::cuda::context_scratch(ctx, layout.total));
  auto* base = static_cast<uint8_t*>(scratch);
  auto* scalars = reinterpret_cast<float*>(base + layout.scalars);  // amax, global scale
  kernels::cuda::Nvfp4QuantizeArgs q;
  q.x = x.data<uint16_t>();
  q.n = n;
  q.k = k;
  q.codes = base + layout.codes;
  q.scales = base + layout.scales;
  q.amax = scalars;
  q.global_scale = scalars + 1;
  FB_RETURN_IF_ERROR(kernels::cuda::quantize_nvfp4_activations(ctx, q));
  kernels::cuda::Nvfp4TensorCoreGemmArgs g;
  g.x = q.codes;
  g.x_scales = q.scales;
  g.x_global = q.global_scale;
  g.w = codes_.data<uint8_t>();
  g.w_scales = scales_.data<uint8_t>();
  g.w_global = global_scale_;
  set_gemm_shape(g, n, *this, y, accumulate);
  return kernels::cuda::gemm_nvfp4_blackwell(ctx, g);
}

}  // namespace fourbrain::ops::detail
