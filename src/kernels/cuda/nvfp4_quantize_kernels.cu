// Activations to NVFP4 for cuBLASLt's block-scaled FP4 GEMM (nvfp4_blackwell.h): an amax
// pass, then one thread per 16-column block that writes its 8 code bytes and its e4m3 scale
// straight into the swizzled layout (padding included, as zeros). The conversions are
// integer and f32 arithmetic ported from quant/fp_formats.cc, not the FP4/FP8 conversion
// instructions, so that the bits match the host quantizer and the kernel runs on Hopper too
// (where its tests run).
#include <algorithm>

#include "kernels/cuda/cuda_internal.h"
#include "kernels/cuda/cuda_util.cuh"
#include "kernels/cuda/nvfp4_blackwell.h"

namespace fourbrain::kernels::cuda {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ float bf16_bits_to_f32(uint32_t bits16) {
  return __uint_as_float(bits16 << 16);
}

// max |x| of the tensor: per block, then an atomic max on the f32 bits (non-negative floats
// order as their bit patterns). *amax_bits starts at 0.
__global__ void amax_kernel(const uint4* __restrict__ x, int64_t n_vec,
                            unsigned int* __restrict__ amax_bits) {
  float m = 0.0f;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n_vec;
       i += stride) {
    const uint4 v = __ldg(x + i);
    const uint32_t words[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
    for (uint32_t word : words) {
      m = fmaxf(m, fabsf(bf16_bits_to_f32(word & 0xffffu)));
      m = fmaxf(m, fabsf(bf16_bits_to_f32(word >> 16)));
    }
  }
  m = block_max(m);
  if (threadIdx.x == 0) atomicMax(amax_bits, __float_as_uint(m));
}

// quant::f32_to_e4m3 for x in [2^-9, 448] (PyTorch's rounding: nearest, ties to even).
__device__ __forceinline__ uint32_t e4m3_code(float x) {
  constexpr uint32_t kDenormMask = 141u << 23;
  uint32_t bits = __float_as_uint(x);
  if (bits >= 0x43E00000u) return 0x7Eu;
  if (bits < (121u << 23)) {  // subnormal e4m3: the f32 add rounds it
    return __float_as_uint(__fadd_rn(x, __uint_as_float(kDenormMask))) - kDenormMask;
  }
  const uint32_t mant_odd = (bits >> 20) & 1u;
  bits += (static_cast<uint32_t>(7 - 127) << 23) + 0x7FFFFu;
  bits += mant_odd;
  return (bits >> 20) & 0xffu;
}

__device__ __forceinline__ float e4m3_value(uint32_t code) {  // code < 0x7F, sign clear
  const uint32_t e = code >> 3, m = code & 7u;
  return e == 0 ? static_cast<float>(m) * 0x1p-9f : __uint_as_float(((e + 120u) << 23) | (m << 20));
}

// quant::f32_to_e2m1: nearest, ties to the even code, saturating at 6; a negative input
// keeps its sign bit even when it rounds to zero.
__device__ __forceinline__ uint32_t e2m1_code(float x) {
  const float a = fabsf(x);
  uint32_t code =
      (a > 0.25f) + (a > 0.75f) + (a > 1.25f) + (a > 1.75f) + (a > 2.5f) + (a > 3.5f) + (a > 5.0f);
  code += (a == 0.75f) | (a == 1.75f) | (a == 3.5f);
  return code | (x < 0.0f ? 8u : 0u);
}

// Swizzled offset of scale (row, col); k_tiles = scale columns / 4, rounded up.
__device__ __forceinline__ int64_t swizzled_offset(int64_t row, int64_t col, int64_t k_tiles) {
  return ((row / 128) * k_tiles + col / 4) * 512 + (row % 32) * 16 + (row / 32 % 4) * 4 + col % 4;
}

// One thread per entry of the padded [rows_padded, cols_padded] scale matrix.
__global__ void quantize_kernel(const uint4* __restrict__ x, int64_t n, int64_t blocks_per_row,
                                int64_t cols_padded, int64_t total, const float* __restrict__ amax,
                                uint2* __restrict__ codes, uint8_t* __restrict__ scales,
                                float* __restrict__ global_out) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= total) return;
  float global = *amax / 2688.0f;  // 6 * 448, as quant::nvfp4_scale_2
  if (global == 0.0f) global = 1.0f;
  if (i == 0) *global_out = global;
  const int64_t row = i / cols_padded, col = i % cols_padded;
  uint8_t* scale_out = scales + swizzled_offset(row, col, cols_padded / 4);
  if (row >= n || col >= blocks_per_row) {
    *scale_out = 0;
    return;
  }
  const int64_t block = row * blocks_per_row + col;
  const uint4 lo = __ldg(x + 2 * block), hi = __ldg(x + 2 * block + 1);
  const uint32_t words[8] = {lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w};
  float v[16];
  float block_amax = 0.0f;
#pragma unroll
  for (int j = 0; j < 8; ++j) {
    v[2 * j] = bf16_bits_to_f32(words[j] & 0xffffu);
    v[2 * j + 1] = bf16_bits_to_f32(words[j] >> 16);
    block_amax = fmaxf(block_amax, fmaxf(fabsf(v[2 * j]), fabsf(v[2 * j + 1])));
  }
  // quant::nvfp4_block_scales: (6 * global) first, an all-zero block counts as 1, clamp.
  float scale = block_amax / (6.0f * global);
  if (scale == 0.0f) scale = 1.0f;
  scale = scale < 0x1p-9f ? 0x1p-9f : (448.0f < scale ? 448.0f : scale);
  const uint32_t scale_code = e4m3_code(scale);
  const float divisor = e4m3_value(scale_code) * global;
  uint32_t packed[2] = {0, 0};
#pragma unroll
  for (int j = 0; j < 16; ++j) {
    packed[j / 8] |= e2m1_code(__fdiv_rn(v[j], divisor)) << (4 * (j % 8));
  }
  codes[block] = make_uint2(packed[0], packed[1]);
  *scale_out = static_cast<uint8_t>(scale_code);
}

__global__ void gemm_scalars_kernel(const float* x_global, float w_global, float beta, float* out) {
  out[0] = *x_global * w_global;
  out[1] = beta;
}

}  // namespace

Status quantize_nvfp4_activations(Context& ctx, const Nvfp4QuantizeArgs& a) {
  if (a.k % 16 != 0 || reinterpret_cast<uintptr_t>(a.x) % 16 != 0 ||
      reinterpret_cast<uintptr_t>(a.codes) % 8 != 0) {
    return invalid_argument(
        "quantize_nvfp4_activations: k % 16 == 0, x 16-byte and codes "
        "8-byte aligned required");
  }
  if (a.n == 0) return Status::ok();
  const int64_t blocks_per_row = a.k / 16, n_vec = a.n * a.k / 8;
  FB_CUDA_RETURN(cudaMemsetAsync(a.amax, 0, sizeof(float), ctx.stream));
  const int64_t amax_blocks =
      std::min<int64_t>(blocks_for(n_vec, kThreads), 4 * std::max(ctx.sm_count, 1));
  amax_kernel<<<static_cast<unsigned>(amax_blocks), kThreads, 0, ctx.stream>>>(
      reinterpret_cast<const uint4*>(a.x), n_vec, reinterpret_cast<unsigned int*>(a.amax));
  FB_CUDA_LAUNCHED("nvfp4_amax");
  const int64_t rows_padded = (a.n + 127) / 128 * 128;
  const int64_t cols_padded = (blocks_per_row + 3) / 4 * 4;
  const int64_t total = rows_padded * cols_padded;
  quantize_kernel<<<blocks_for(total, kThreads), kThreads, 0, ctx.stream>>>(
      reinterpret_cast<const uint4*>(a.x), a.n, blocks_per_row, cols_padded, total, a.amax,
      reinterpret_cast<uint2*>(a.codes), a.scales, a.global_scale);
  FB_CUDA_LAUNCHED("nvfp4_quantize_activations");
  return Status::ok();
}

Status write_gemm_scalars(Context& ctx, const float* x_global, float w_global, float beta) {
  gemm_scalars_kernel<<<1, 1, 0, ctx.stream>>>(x_global, w_global, beta, ctx.gemm_scalars);
  FB_CUDA_LAUNCHED("gemm_scalars");
  return Status::ok();
}

}  // namespace fourbrain::kernels::cuda
