// The BERT-family encoder's elementwise kernels: LayerNorm (with the residual add), add,
// GELU / tanh, token pooling and the f32 -> bf16 copy of GEMM inputs.
#include "kernels/cuda/cuda_internal.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"

namespace fourbrain::kernels::cuda {
namespace {

constexpr int kThreads = 256;

// One block per row. Each thread reads and writes only its own indices (stride blockDim),
// so out may be x or residual itself.
template <typename Out>
__global__ void layer_norm_kernel(const float* x, const float* residual, const float* weight,
                                  const float* bias, float eps, int64_t h, Out* out) {
  const int64_t row = blockIdx.x;
  const float* xr = x + row * h;
  const float* rr = residual != nullptr ? residual + row * h : nullptr;
  auto value = [&](int64_t i) { return rr != nullptr ? xr[i] + rr[i] : xr[i]; };
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < h; i += blockDim.x) sum += value(i);
  const float mean = block_sum(sum) / static_cast<float>(h);
  float sq = 0.0f;
  for (int64_t i = threadIdx.x; i < h; i += blockDim.x) {
    const float d = value(i) - mean;
    sq += d * d;
  }
  const float inv = rsqrtf(block_sum(sq) / static_cast<float>(h) + eps);
  Out* o = out + row * h;
  for (int64_t i = threadIdx.x; i < h; i += blockDim.x) {
    store_f32(o + i, (value(i) - mean) * inv * weight[i] + bias[i]);
  }
}

__global__ void add_kernel(const float* a, const float* b, int64_t count, float* out) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i < count) out[i] = a[i] + b[i];
}

template <typename Out>
__global__ void activation_kernel(const float* x, int64_t count, Activation act, Out* out) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i >= count) return;
  const float v = x[i];
  float y;
  if (act == Activation::kGelu) {
    y = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
  } else if (act == Activation::kGeluTanh) {
    y = 0.5f * v * (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v)));
  } else {
    y = tanhf(v);
  }
  store_f32(out + i, y);
}

// One block per sequence, threads across the features.
__global__ void pool_kernel(const float* x, const int32_t* cu_seqlens, int64_t d, Pooling mode,
                            float* out) {
  const int64_t seq = blockIdx.x;
  const int32_t begin = cu_seqlens[seq], end = cu_seqlens[seq + 1];
  float* o = out + seq * d;
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) {
    if (mode == Pooling::kMean) {
      float sum = 0.0f;
      for (int32_t t = begin; t < end; ++t) sum += x[t * d + j];
      o[j] = end > begin ? sum / static_cast<float>(end - begin) : 0.0f;
    } else {
      o[j] = x[(mode == Pooling::kFirst ? begin : end - 1) * d + j];
    }
  }
}

__global__ void to_bf16_kernel(const float* x, int64_t count, __nv_bfloat16* out) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i < count) out[i] = __float2bfloat16_rn(x[i]);
}

}  // namespace

Status layer_norm(Context& ctx, const float* x, const float* residual, const float* weight,
                  const float* bias, float eps, int64_t n, int64_t h, void* out,
                  DType out_dtype) {
  if (n == 0) return Status::ok();
  const unsigned blocks = static_cast<unsigned>(n);
  if (out_dtype == DType::kBF16) {
    layer_norm_kernel<<<blocks, kThreads, 0, ctx.stream>>>(x, residual, weight, bias, eps, h,
                                                           static_cast<__nv_bfloat16*>(out));
  } else {
    layer_norm_kernel<<<blocks, kThreads, 0, ctx.stream>>>(x, residual, weight, bias, eps, h,
                                                           static_cast<float*>(out));
  }
  FB_CUDA_LAUNCHED("layer_norm");
  return Status::ok();
}

Status add(Context& ctx, const float* a, const float* b, int64_t count, float* out) {
  if (count == 0) return Status::ok();
  add_kernel<<<blocks_for(count, kThreads), kThreads, 0, ctx.stream>>>(a, b, count, out);
  FB_CUDA_LAUNCHED("add");
  return Status::ok();
}

Status activation(Context& ctx, const float* x, int64_t count, Activation act, void* out,
                  DType out_dtype) {
  if (count == 0) return Status::ok();
  const unsigned blocks = blocks_for(count, kThreads);
  if (out_dtype == DType::kBF16) {
    activation_kernel<<<blocks, kThreads, 0, ctx.stream>>>(x, count, act,
                                                           static_cast<__nv_bfloat16*>(out));
  } else {
    activation_kernel<<<blocks, kThreads, 0, ctx.stream>>>(x, count, act,
                                                           static_cast<float*>(out));
  }
  FB_CUDA_LAUNCHED("activation");
  return Status::ok();
}

Status pool_tokens(Context& ctx, const float* x, const int32_t* cu_seqlens, int64_t n_seqs,
                   int64_t d, Pooling mode, float* out) {
  if (n_seqs == 0) return Status::ok();
  pool_kernel<<<static_cast<unsigned>(n_seqs), kThreads, 0, ctx.stream>>>(x, cu_seqlens, d, mode,
                                                                          out);
  FB_CUDA_LAUNCHED("pool_tokens");
  return Status::ok();
}

Status convert_to_bf16(Context& ctx, const float* x, int64_t count, uint16_t* out) {
  if (count == 0) return Status::ok();
  to_bf16_kernel<<<blocks_for(count, kThreads), kThreads, 0, ctx.stream>>>(
      x, count, reinterpret_cast<__nv_bfloat16*>(out));
  FB_CUDA_LAUNCHED("convert_to_bf16");
  return Status::ok();
}

}  // namespace fourbrain::kernels::cuda
