// rms_norm and add_rms_norm: one block per row, f32 math as HF's Qwen3RMSNorm.
#include "kernels/cuda/cuda_internal.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"

namespace fourbrain::kernels::cuda {
namespace {

constexpr int kThreads = 256;

// residual (if non-null) += x first; the norm is then of the sum.
template <typename Out>
__global__ void rms_norm_kernel(float* residual, const float* x, const float* weight, float eps,
                                int64_t h, Out* out) {
  const int64_t row = blockIdx.x;
  const float* xr = x + row * h;
  float* rr = residual != nullptr ? residual + row * h : nullptr;
  float sum_sq = 0.0f;
  for (int64_t i = threadIdx.x; i < h; i += blockDim.x) {
    float v = xr[i];
    if (rr != nullptr) {
      v += rr[i];
      rr[i] = v;
    }
    sum_sq += v * v;
  }
  const float inv = rsqrtf(block_sum(sum_sq) / static_cast<float>(h) + eps);
  const float* src = rr != nullptr ? rr : xr;
  Out* o = out + row * h;
  // Each thread reads back only what it wrote above (same index stride): no barrier needed.
  for (int64_t i = threadIdx.x; i < h; i += blockDim.x) {
    store_f32(o + i, weight[i] * (src[i] * inv));
  }
}

__global__ void trap_kernel() { __trap(); }

template <typename Out>
Status launch(Context& ctx, float* residual, const float* x, const float* weight, float eps,
              int64_t n, int64_t h, void* out) {
  if (n == 0) return Status::ok();
  if (launch_injected_fault(ctx)) return Status::ok();
  rms_norm_kernel<Out><<<static_cast<unsigned>(n), kThreads, 0, ctx.stream>>>(
      residual, x, weight, eps, h, static_cast<Out*>(out));
  FB_CUDA_LAUNCHED("rms_norm");
  return Status::ok();
}

}  // namespace

void inject_fault_for_testing(Context& ctx) { ctx.trap_next_launch = true; }

bool launch_injected_fault(Context& ctx) {
  if (!ctx.trap_next_launch) return false;
  ctx.trap_next_launch = false;
  trap_kernel<<<1, 1, 0, ctx.stream>>>();
  return true;
}

Status rms_norm(Context& ctx, const float* x, const float* weight, float eps, int64_t n,
                int64_t h, void* out, DType out_dtype) {
  return out_dtype == DType::kBF16
             ? launch<__nv_bfloat16>(ctx, nullptr, x, weight, eps, n, h, out)
             : launch<float>(ctx, nullptr, x, weight, eps, n, h, out);
}

Status add_rms_norm(Context& ctx, float* residual, const float* x, const float* weight,
                    float eps, int64_t n, int64_t h, void* out, DType out_dtype) {
  return out_dtype == DType::kBF16
             ? launch<__nv_bfloat16>(ctx, residual, x, weight, eps, n, h, out)
             : launch<float>(ctx, residual, x, weight, eps, n, h, out);
}

}  // namespace fourbrain::kernels::cuda
