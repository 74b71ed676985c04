// embedding_lookup, silu_mul, gather_rows and the FP8 row quantizers: memory-bound, one
// thread per element or per 8-value chunk (16-byte chunk for the row copies), or one block
// per row where a row's amax is needed.
#include "kernels/cuda/cuda_internal.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"

namespace fourbrain::kernels::cuda {
namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void embedding_kernel(const T* table, int64_t hidden, const int32_t* ids,
                                 int64_t total, float* out) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i >= total) return;
  const int64_t row = i / hidden, col = i - row * hidden;
  out[i] = load_f32(table + ids[row] * hidden + col);
}

// silu(g) * u for chunk c (Vec values) of a row of gate_up: silu(g) = g * sigmoid(g), in
// f32 as torch computes it.
template <int Vec, typename In>
__device__ __forceinline__ void silu_mul_chunk(const In* g, int64_t inter, int64_t c,
                                               float (&v)[Vec]) {
  float up[Vec];
  load_vec<Vec>(g + c * Vec, v);
  load_vec<Vec>(g + inter + c * Vec, up);
#pragma unroll
  for (int j = 0; j < Vec; ++j) v[j] = v[j] / (1.0f + expf(-v[j])) * up[j];
}

// One thread per chunk of Vec outputs.
template <int Vec, typename In, typename Out>
__global__ void silu_mul_kernel(const In* gate_up, int64_t inter, int64_t chunks, Out* out) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i >= chunks) return;
  const int64_t per_row = inter / Vec, row = i / per_row, c = i - row * per_row;
  float v[Vec];
  silu_mul_chunk<Vec>(gate_up + row * 2 * inter, inter, c, v);
  store_vec<Vec>(out + row * inter + c * Vec, v);
}

// One block per row, written as FP8 rows.
template <int Vec, typename In>
__global__ void silu_mul_fp8_kernel(const In* gate_up, int64_t inter, uint8_t* codes,
                                    float* scales) {
  const int64_t row = blockIdx.x;
  const In* g = gate_up + row * 2 * inter;
  write_fp8_row<Vec>([&](int64_t c, float(&v)[Vec]) { silu_mul_chunk<Vec>(g, inter, c, v); },
                     inter / Vec, codes + row * inter, scales + row);
}

// Rows whose size is a multiple of 16 bytes move as uint4; others byte by byte.
template <typename Chunk>
__global__ void gather_kernel(const Chunk* x, int64_t chunks_per_row, const int32_t* rows,
                              int64_t total, Chunk* out) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i >= total) return;
  const int64_t r = i / chunks_per_row, c = i - r * chunks_per_row;
  out[i] = x[rows[r] * chunks_per_row + c];
}

// One block per row of bf16 x.
template <int Vec>
__global__ void quantize_fp8_rows_kernel(const __nv_bfloat16* x, int64_t k, uint8_t* codes,
                                         float* scales) {
  const int64_t row = blockIdx.x;
  const __nv_bfloat16* xr = x + row * k;
  write_fp8_row<Vec>([&](int64_t c, float(&v)[Vec]) { load_vec<Vec>(xr + c * Vec, v); }, k / Vec,
                     codes + row * k, scales + row);
}

template <typename T>
__global__ void add_bias_kernel(const float* bias, int64_t out, int64_t total, T* y) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i >= total) return;
  store_f32(y + i, load_f32(y + i) + bias[i % out]);
}

template <typename In, typename Out>
Status launch_silu(Context& ctx, const void* gate_up, int64_t n, int64_t inter, void* out) {
  const auto* in = static_cast<const In*>(gate_up);
  if (vectorizable(inter, {gate_up, out})) {
    const int64_t chunks = n * inter / 8;
    silu_mul_kernel<8><<<blocks_for(chunks, kThreads), kThreads, 0, ctx.stream>>>(
        in, inter, chunks, static_cast<Out*>(out));
  } else {
    silu_mul_kernel<1><<<blocks_for(n * inter, kThreads), kThreads, 0, ctx.stream>>>(
        in, inter, n * inter, static_cast<Out*>(out));
  }
  FB_CUDA_LAUNCHED("silu_mul");
  return Status::ok();
}

template <typename In>
Status launch_silu_fp8(Context& ctx, const void* gate_up, int64_t n, int64_t inter,
                       uint8_t* codes, float* scales) {
  const auto* in = static_cast<const In*>(gate_up);
  if (vectorizable(inter, {gate_up, codes})) {
    silu_mul_fp8_kernel<8><<<static_cast<unsigned>(n), kThreads, 0, ctx.stream>>>(in, inter,
                                                                                 codes, scales);
  } else {
    silu_mul_fp8_kernel<1><<<static_cast<unsigned>(n), kThreads, 0, ctx.stream>>>(in, inter,
                                                                                 codes, scales);
  }
  FB_CUDA_LAUNCHED("silu_mul_fp8");
  return Status::ok();
}

}  // namespace

Status embedding_lookup(Context& ctx, const void* table, DType table_dtype, int64_t hidden,
                        const int32_t* ids, int64_t n, float* out) {
  const int64_t total = n * hidden;
  if (total == 0) return Status::ok();
  const unsigned blocks = blocks_for(total, kThreads);
  if (table_dtype == DType::kBF16) {
    embedding_kernel<<<blocks, kThreads, 0, ctx.stream>>>(
        static_cast<const __nv_bfloat16*>(table), hidden, ids, total, out);
  } else if (table_dtype == DType::kF32) {
    embedding_kernel<<<blocks, kThreads, 0, ctx.stream>>>(static_cast<const float*>(table),
                                                          hidden, ids, total, out);
  } else if (table_dtype == DType::kF16) {
    embedding_kernel<<<blocks, kThreads, 0, ctx.stream>>>(static_cast<const __half*>(table),
                                                          hidden, ids, total, out);
  } else {
    return unsupported("embedding_lookup on CUDA: table must be bf16, f16 or f32");
  }
  FB_CUDA_LAUNCHED("embedding_lookup");
  return Status::ok();
}

Status silu_mul(Context& ctx, const void* gate_up, DType in_dtype, int64_t n, int64_t inter,
                void* out, DType out_dtype) {
  if (n * inter == 0) return Status::ok();
  const bool in_bf16 = in_dtype == DType::kBF16, out_bf16 = out_dtype == DType::kBF16;
  if (in_bf16 && out_bf16) return launch_silu<__nv_bfloat16, __nv_bfloat16>(ctx, gate_up, n, inter, out);
  if (in_bf16) return launch_silu<__nv_bfloat16, float>(ctx, gate_up, n, inter, out);
  if (out_bf16) return launch_silu<float, __nv_bfloat16>(ctx, gate_up, n, inter, out);
  return launch_silu<float, float>(ctx, gate_up, n, inter, out);
}

Status silu_mul_fp8(Context& ctx, const void* gate_up, DType in_dtype, int64_t n, int64_t inter,
                    uint8_t* codes, float* scales) {
  if (n * inter == 0) return Status::ok();
  return in_dtype == DType::kBF16
             ? launch_silu_fp8<__nv_bfloat16>(ctx, gate_up, n, inter, codes, scales)
             : launch_silu_fp8<float>(ctx, gate_up, n, inter, codes, scales);
}

Status quantize_fp8_rows(Context& ctx, const uint16_t* x, int64_t n, int64_t k, uint8_t* xq,
                         float* scales) {
  if (n == 0) return Status::ok();
  const auto* in = reinterpret_cast<const __nv_bfloat16*>(x);
  if (vectorizable(k, {x, xq})) {
    quantize_fp8_rows_kernel<8><<<static_cast<unsigned>(n), kThreads, 0, ctx.stream>>>(in, k, xq,
                                                                                      scales);
  } else {
    quantize_fp8_rows_kernel<1><<<static_cast<unsigned>(n), kThreads, 0, ctx.stream>>>(in, k, xq,
                                                                                      scales);
  }
  FB_CUDA_LAUNCHED("quantize_fp8_rows");
  return Status::ok();
}

Status add_bias(Context& ctx, const float* bias, int64_t n, int64_t out, void* y, DType y_dtype) {
  const int64_t total = n * out;
  if (total == 0) return Status::ok();
  if (y_dtype == DType::kBF16) {
    add_bias_kernel<<<blocks_for(total, kThreads), kThreads, 0, ctx.stream>>>(
        bias, out, total, static_cast<__nv_bfloat16*>(y));
  } else {
    add_bias_kernel<<<blocks_for(total, kThreads), kThreads, 0, ctx.stream>>>(
        bias, out, total, static_cast<float*>(y));
  }
  FB_CUDA_LAUNCHED("add_bias");
  return Status::ok();
}

Status gather_rows(Context& ctx, const void* x, size_t row_bytes, const int32_t* rows,
                   int64_t m, void* out) {
  if (m == 0 || row_bytes == 0) return Status::ok();
  const bool aligned = row_bytes % 16 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0 &&
                       reinterpret_cast<uintptr_t>(out) % 16 == 0;
  if (aligned) {
    const int64_t chunks = static_cast<int64_t>(row_bytes / 16), total = m * chunks;
    gather_kernel<<<blocks_for(total, kThreads), kThreads, 0, ctx.stream>>>(
        static_cast<const uint4*>(x), chunks, rows, total, static_cast<uint4*>(out));
  } else {
    const int64_t chunks = static_cast<int64_t>(row_bytes), total = m * chunks;
    gather_kernel<<<blocks_for(total, kThreads), kThreads, 0, ctx.stream>>>(
        static_cast<const uint8_t*>(x), chunks, rows, total, static_cast<uint8_t*>(out));
  }
  FB_CUDA_LAUNCHED("gather_rows");
  return Status::ok();
}

}  // namespace fourbrain::kernels::cuda
