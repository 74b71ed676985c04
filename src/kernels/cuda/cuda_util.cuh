// Device helpers shared by the kernels: loads and stores of f32 or bf16 activations, warp
// and block reductions. Only kernels/cuda/*.cu include this.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <initializer_list>
#include <type_traits>

namespace fourbrain::kernels::cuda {

template <typename T>
__device__ __forceinline__ float load_f32(const T* p);
template <>
__device__ __forceinline__ float load_f32<float>(const float* p) { return *p; }
template <>
__device__ __forceinline__ float load_f32<__nv_bfloat16>(const __nv_bfloat16* p) {
  return __bfloat162float(*p);
}

template <>
__device__ __forceinline__ float load_f32<__half>(const __half* p) {
  return __half2float(*p);
}

template <typename T>
__device__ __forceinline__ void store_f32(T* p, float v);
template <>
__device__ __forceinline__ void store_f32<float>(float* p, float v) { *p = v; }
template <>
__device__ __forceinline__ void store_f32<__nv_bfloat16>(__nv_bfloat16* p, float v) {
  *p = __float2bfloat16_rn(v);
}

// `Vec` consecutive values as f32 (8: one 16-byte load of bf16, two of f32; the address
// must then be aligned to the load) and back.
template <int Vec, typename T>
__device__ __forceinline__ void load_vec(const T* p, float (&v)[Vec]) {
  if constexpr (Vec == 8 && std::is_same_v<T, __nv_bfloat16>) {
    const uint4 raw = *reinterpret_cast<const uint4*>(p);
    const auto* pairs = reinterpret_cast<const __nv_bfloat162*>(&raw);
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const float2 f = __bfloat1622float2(pairs[j]);
      v[2 * j] = f.x;
      v[2 * j + 1] = f.y;
    }
  } else if constexpr (Vec == 8 && std::is_same_v<T, float>) {
    const float4 a = reinterpret_cast<const float4*>(p)[0], b = reinterpret_cast<const float4*>(p)[1];
    v[0] = a.x, v[1] = a.y, v[2] = a.z, v[3] = a.w, v[4] = b.x, v[5] = b.y, v[6] = b.z, v[7] = b.w;
  } else {
#pragma unroll
    for (int j = 0; j < Vec; ++j) v[j] = load_f32(p + j);
  }
}

template <int Vec, typename T>
__device__ __forceinline__ void store_vec(T* p, const float (&v)[Vec]) {
  if constexpr (Vec == 8 && std::is_same_v<T, __nv_bfloat16>) {
    uint4 raw;
    auto* pairs = reinterpret_cast<__nv_bfloat162*>(&raw);
#pragma unroll
    for (int j = 0; j < 4; ++j) pairs[j] = __floats2bfloat162_rn(v[2 * j], v[2 * j + 1]);
    *reinterpret_cast<uint4*>(p) = raw;
  } else if constexpr (Vec == 8 && std::is_same_v<T, float>) {
    reinterpret_cast<float4*>(p)[0] = make_float4(v[0], v[1], v[2], v[3]);
    reinterpret_cast<float4*>(p)[1] = make_float4(v[4], v[5], v[6], v[7]);
  } else {
#pragma unroll
    for (int j = 0; j < Vec; ++j) store_f32(p + j, v[j]);
  }
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets it.
__device__ __forceinline__ float block_sum(float v) {
  __shared__ float partial[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // partial[] may still be read by a previous call
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const int n_warps = blockDim.x >> 5;
  float total = lane < n_warps ? partial[lane] : 0.0f;
  return warp_sum(total);
}

__device__ __forceinline__ float warp_max(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) {
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  }
  return v;
}

// Max over the block, as block_sum.
__device__ __forceinline__ float block_max(float v) {
  __shared__ float partial[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const int n_warps = blockDim.x >> 5;
  return warp_max(lane < n_warps ? partial[lane] : 0.0f);
}

// The codes of Vec values (e4m3 of v / scale, rounded to nearest even and saturated, as
// the host quantizer and torch do) stored at `codes`.
template <int Vec>
__device__ __forceinline__ void store_fp8(uint8_t* codes, const float (&v)[Vec], float scale) {
  alignas(8) uint8_t q[Vec];
#pragma unroll
  for (int j = 0; j < Vec; ++j) q[j] = __nv_fp8_e4m3(v[j] / scale).__x;
  if constexpr (Vec == 8) {
    *reinterpret_cast<uint2*>(codes) = *reinterpret_cast<const uint2*>(q);
  } else {
#pragma unroll
    for (int j = 0; j < Vec; ++j) codes[j] = q[j];
  }
}

// One block writes one row of `chunks` x Vec activations as FP8 rows (cuda_kernels.h):
// `values(c, v)` gives the f32 values of chunk c. A row of at most kHeld chunks per thread
// is computed once and held in registers through the block's amax; a longer one is
// computed twice (once for the amax, once for the codes), so it never needs a buffer.
template <int Vec, int kHeld = 8, typename Values>
__device__ __forceinline__ void write_fp8_row(const Values& values, int64_t chunks,
                                              uint8_t* codes, float* scale_out) {
  const bool held = chunks <= int64_t{kHeld} * blockDim.x;  // the same for the whole block
  float v[kHeld][Vec];
  float m = 0.0f;
  if (held) {
#pragma unroll
    for (int i = 0; i < kHeld; ++i) {
      const int64_t c = threadIdx.x + int64_t{i} * blockDim.x;
      if (c >= chunks) break;
      values(c, v[i]);
#pragma unroll
      for (int j = 0; j < Vec; ++j) m = fmaxf(m, fabsf(v[i][j]));
    }
  } else {
    for (int64_t c = threadIdx.x; c < chunks; c += blockDim.x) {
      values(c, v[0]);
#pragma unroll
      for (int j = 0; j < Vec; ++j) m = fmaxf(m, fabsf(v[0][j]));
    }
  }
  m = block_max(m);
  const float scale = m > 0.0f ? m / 448.0f : 1.0f;
  if (threadIdx.x == 0) *scale_out = scale;
  if (held) {
#pragma unroll
    for (int i = 0; i < kHeld; ++i) {
      const int64_t c = threadIdx.x + int64_t{i} * blockDim.x;
      if (c >= chunks) break;
      store_fp8<Vec>(codes + c * Vec, v[i], scale);
    }
    return;
  }
  for (int64_t c = threadIdx.x; c < chunks; c += blockDim.x) {
    values(c, v[0]);
    store_fp8<Vec>(codes + c * Vec, v[0], scale);
  }
}

// Rows of h % 8 == 0 values on 16-byte aligned buffers move 8 at a time (16- and 32-byte
// accesses); others one by one.
inline bool vectorizable(int64_t h, std::initializer_list<const void*> buffers) {
  for (const void* p : buffers) {
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return false;
  }
  return h % 8 == 0;
}

inline unsigned blocks_for(int64_t n, int per_block) {
  return static_cast<unsigned>((n + per_block - 1) / per_block);
}

// Programmatic dependent launch (compute capability 9.0; a no-op elsewhere and for kernels
// launched without the attribute): a kernel launched with it may start while the previous
// kernel on its stream finishes, so it may prefetch what does not depend on that kernel
// (weights), then calls this before it reads or writes anything the previous kernels touch.
__device__ __forceinline__ void wait_for_previous_kernels() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" : : : "memory");
#endif
}

// c (f32 16x8) += a (bf16 16x16, row-major fragment) · b (bf16 16x8, col-major fragment).
__device__ __forceinline__ void mma_bf16(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                         uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Four 8x8 bf16 matrices from shared memory; lane L gives the row address of matrix L / 8.
// Plain: each thread gets (row T/4, cols 2(T%4), +1) of each matrix, the B-fragment layout
// for rows = n. Transposed: (rows 2(T%4), +1, col T/4), the B layout for rows = k.
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const __nv_bfloat16* row) {
  const auto addr = static_cast<uint32_t>(__cvta_generic_to_shared(row));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const __nv_bfloat16* row) {
  const auto addr = static_cast<uint32_t>(__cvta_generic_to_shared(row));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// 16 bytes global -> shared without passing through registers; the first `src_bytes` come
// from `src`, the rest are zero (0: a zero fill; `src` must still be a valid address).
// Complete after cp_async_commit() and cp_async_wait<pending groups allowed>().
__device__ __forceinline__ void cp_async_16(void* dst, const void* src, int src_bytes) {
  const auto to = static_cast<uint32_t>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" : : "r"(to), "l"(src), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n"); }
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" : : "n"(kPending));
}

}  // namespace fourbrain::kernels::cuda
