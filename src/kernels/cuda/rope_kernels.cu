// qk_norm_rope: per-head RMSNorm of q and k, then half-split RoPE, in place. One block per
// token: its cos/sin row is computed once (in double, as the CPU backend does) and shared by
// every head; one warp per head.
#include "kernels/cuda/cuda_internal.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"

namespace fourbrain::kernels::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kMaxHeadDim = 256;

template <typename T>
__global__ void qk_norm_rope_kernel(T* qkv, int64_t row_stride, int n_heads, int n_kv_heads,
                                    int head_dim, const float* q_norm, const float* k_norm,
                                    float eps, const int32_t* positions, float theta) {
  __shared__ float cos_row[kMaxHeadDim / 2], sin_row[kMaxHeadDim / 2];
  const int64_t token = blockIdx.x;
  const int half = head_dim / 2;
  const float position = static_cast<float>(positions[token]);
  for (int i = threadIdx.x; i < half; i += blockDim.x) {
    // inv_freq and the angle in f32 as HF; cos/sin of the f32 angle in double.
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim);
    const float inv_freq = 1.0f / static_cast<float>(pow(static_cast<double>(theta), exponent));
    const double angle = static_cast<double>(position * inv_freq);
    cos_row[i] = static_cast<float>(cos(angle));
    sin_row[i] = static_cast<float>(sin(angle));
  }
  __syncthreads();
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, n_warps = blockDim.x >> 5;
  T* row = qkv + token * row_stride;
  for (int head = warp; head < n_heads + n_kv_heads; head += n_warps) {
    T* x = row + int64_t{head} * head_dim;
    const float* w = head < n_heads ? q_norm : k_norm;
    float sum_sq = 0.0f;
    for (int i = lane; i < head_dim; i += 32) {
      const float v = load_f32(x + i);
      sum_sq += v * v;
    }
    const float inv = 1.0f / sqrtf(warp_sum(sum_sq) / static_cast<float>(head_dim) + eps);
    for (int i = lane; i < half; i += 32) {
      const float a = w[i] * (load_f32(x + i) * inv);
      const float b = w[i + half] * (load_f32(x + i + half) * inv);
      // HF: q * cos + rotate_half(q) * sin, each product rounded (no fused multiply-add).
      store_f32(x + i, __fadd_rn(__fmul_rn(a, cos_row[i]), __fmul_rn(-b, sin_row[i])));
      store_f32(x + i + half, __fadd_rn(__fmul_rn(b, cos_row[i]), __fmul_rn(a, sin_row[i])));
    }
  }
}

}  // namespace

Status qk_norm_rope(Context& ctx, const QkNormRopeArgs& a) {
  if (a.head_dim > kMaxHeadDim || a.head_dim % 2 != 0) {
    return unsupported("qk_norm_rope on CUDA: head_dim " + std::to_string(a.head_dim) +
                       " (even, at most 256)");
  }
  if (a.n_tokens == 0) return Status::ok();
  const int64_t stride = int64_t{a.n_heads + 2 * a.n_kv_heads} * a.head_dim;
  const unsigned blocks = static_cast<unsigned>(a.n_tokens);
  if (a.dtype == DType::kBF16) {
    qk_norm_rope_kernel<<<blocks, kThreads, 0, ctx.stream>>>(
        static_cast<__nv_bfloat16*>(a.qkv), stride, a.n_heads, a.n_kv_heads, a.head_dim,
        a.q_norm, a.k_norm, a.eps, a.positions, a.theta);
  } else {
    qk_norm_rope_kernel<<<blocks, kThreads, 0, ctx.stream>>>(
        static_cast<float*>(a.qkv), stride, a.n_heads, a.n_kv_heads, a.head_dim, a.q_norm,
        a.k_norm, a.eps, a.positions, a.theta);
  }
  FB_CUDA_LAUNCHED("qk_norm_rope");
  return Status::ok();
}

}  // namespace fourbrain::kernels::cuda
