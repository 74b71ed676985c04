// rms_norm and add_rms_norm (and rms_norm into FP8 rows): one block per row, f32 math as
// HF's Qwen3RMSNorm.
#include "kernels/cuda/cuda_internal.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"

namespace fourbrain::kernels::cuda {
namespace {

constexpr int kThreads = 256;

// residual (if non-null) += x first; then 1 / rms of the sum (or of x), for every thread.
template <int Vec>
__device__ __forceinline__ float inverse_rms(float* rr, const float* xr, float eps, int64_t h) {
  float sum_sq = 0.0f;
  for (int64_t c = threadIdx.x; c < h / Vec; c += blockDim.x) {
    float v[Vec];
    load_vec<Vec>(xr + c * Vec, v);
    if (rr != nullptr) {
      float r[Vec];
      load_vec<Vec>(rr + c * Vec, r);
#pragma unroll
      for (int j = 0; j < Vec; ++j) v[j] += r[j];
      store_vec<Vec>(rr + c * Vec, v);
    }
#pragma unroll
    for (int j = 0; j < Vec; ++j) sum_sq += v[j] * v[j];
  }
  return rsqrtf(block_sum(sum_sq) / static_cast<float>(h) + eps);
}

// weight * (x * inv) for chunk c of a row: the normed values.
template <int Vec>
__device__ __forceinline__ void normed_chunk(const float* src, const float* weight, float inv,
                                             int64_t c, float (&v)[Vec]) {
  float w[Vec];
  load_vec<Vec>(src + c * Vec, v);
  load_vec<Vec>(weight + c * Vec, w);
#pragma unroll
  for (int j = 0; j < Vec; ++j) v[j] = w[j] * (v[j] * inv);
}

template <typename Out, int Vec>
__global__ void rms_norm_kernel(float* residual, const float* x, const float* weight, float eps,
                                int64_t h, Out* out) {
  const int64_t row = blockIdx.x;
  const float* xr = x + row * h;
  float* rr = residual != nullptr ? residual + row * h : nullptr;
  const float inv = inverse_rms<Vec>(rr, xr, eps, h);
  const float* src = rr != nullptr ? rr : xr;
  Out* o = out + row * h;
  // Each thread reads back only what it wrote above (same chunk stride): no barrier needed.
  for (int64_t c = threadIdx.x; c < h / Vec; c += blockDim.x) {
    float v[Vec];
    normed_chunk<Vec>(src, weight, inv, c, v);
    store_vec<Vec>(o + c * Vec, v);
  }
}

// The same norm written as FP8 rows: codes [n, h] and one scale per row.
template <int Vec>
__global__ void rms_norm_fp8_kernel(const float* x, const float* weight, float eps, int64_t h,
                                    uint8_t* codes, float* scales) {
  const int64_t row = blockIdx.x;
  const float* xr = x + row * h;
  const float inv = inverse_rms<Vec>(nullptr, xr, eps, h);
  write_fp8_row<Vec>([&](int64_t c, float(&v)[Vec]) { normed_chunk<Vec>(xr, weight, inv, c, v); },
                     h / Vec, codes + row * h, scales + row);
}

__global__ void trap_kernel() { __trap(); }

template <typename Out>
Status launch(Context& ctx, float* residual, const float* x, const float* weight, float eps,
              int64_t n, int64_t h, void* out) {
  if (n == 0) return Status::ok();
  if (launch_injected_fault(ctx)) return Status::ok();
  if (vectorizable(h, {residual, x, weight, out})) {
    rms_norm_kernel<Out, 8><<<static_cast<unsigned>(n), kThreads, 0, ctx.stream>>>(
        residual, x, weight, eps, h, static_cast<Out*>(out));
  } else {
    rms_norm_kernel<Out, 1><<<static_cast<unsigned>(n), kThreads, 0, ctx.stream>>>(
        residual, x, weight, eps, h, static_cast<Out*>(out));
  }
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

Status rms_norm_fp8(Context& ctx, const float* x, const float* weight, float eps, int64_t n,
                    int64_t h, uint8_t* codes, float* scales) {
  if (n == 0) return Status::ok();
  if (launch_injected_fault(ctx)) return Status::ok();
  if (vectorizable(h, {x, weight, codes})) {
    rms_norm_fp8_kernel<8><<<static_cast<unsigned>(n), kThreads, 0, ctx.stream>>>(
        x, weight, eps, h, codes, scales);
  } else {
    rms_norm_fp8_kernel<1><<<static_cast<unsigned>(n), kThreads, 0, ctx.stream>>>(
        x, weight, eps, h, codes, scales);
  }
  FB_CUDA_LAUNCHED("rms_norm_fp8");
  return Status::ok();
}

Status add_rms_norm(Context& ctx, float* residual, const float* x, const float* weight,
                    float eps, int64_t n, int64_t h, void* out, DType out_dtype) {
  return out_dtype == DType::kBF16
             ? launch<__nv_bfloat16>(ctx, residual, x, weight, eps, n, h, out)
             : launch<float>(ctx, residual, x, weight, eps, n, h, out);
}

}  // namespace fourbrain::kernels::cuda
