// NVFP4 weights on Hopper, which has no FP4 tensor cores. Two paths:
//  - few tokens (n <= 64): a weight-only GEMM that reads the 4-bit weights straight from
//    memory, decodes them in registers into bf16 B fragments (e2m1 x e4m3 block scale x
//    global scale) and multiplies on the bf16 tensor cores (mma.sync m16n8k16), split over K
//    so that enough warps stream the weights; a second kernel sums the splits into y.
//  - more tokens: the weight is decoded to bf16 into scratch and cuBLASLt's bf16 GEMM runs;
//    decoding (one read of 4.5 bits, one write of 16 bits per weight) is small next to a
//    GEMM over hundreds of tokens.
// The packed weight is stored in "fragment order" (nvfp4_fragment_layout in cuda_kernels.h)
// so that each lane loads its 8 bytes per 64-column chunk in one coalesced 8-byte load.
#include "kernels/cuda/cuda_internal.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"

namespace fourbrain::kernels::cuda {
namespace {

// A block of 8 warps x 4 tiles covers 256 output features, so the x slice it stages is
// shared by many weight rows (measured on H100: 64-feature blocks spent more time staging x
// than streaming weights).
constexpr int kWarps = 8;         // per block
constexpr int kTilesPerWarp = 4;  // n8 output tiles per warp: 32 output features
constexpr int kTilesPerBlock = kWarps * kTilesPerWarp;

// e2m1 code -> value: the code's bits placed as an f32 with exponent bias 127 instead of 1
// (denormal for e = 0, which gives 0.5 for code 1), times 2^126.
__device__ __forceinline__ float e2m1_value(uint32_t code) {
  return __int_as_float(static_cast<int>(((code & 8u) << 28) | ((code & 7u) << 22))) * 0x1p126f;
}

__device__ __forceinline__ float e4m3_value(uint32_t byte) {
  __nv_fp8_e4m3 v;
  v.__x = static_cast<__nv_fp8_storage_t>(byte);
  return static_cast<float>(v);
}

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&v);
}

// B fragments (two registers) of k16 tile j from a lane's 8 bytes of a 64-column chunk.
__device__ __forceinline__ void decode_tile(uint2 w, uint32_t scales, float global, int j,
                                            uint32_t& b0, uint32_t& b1) {
  const uint32_t word = j < 2 ? w.x : w.y;
  const int shift = (j & 1) * 16;
  const uint32_t lo = (word >> shift) & 0xffu, hi = (word >> (shift + 8)) & 0xffu;
  const float s = e4m3_value((scales >> (8 * j)) & 0xffu) * global;
  b0 = pack_bf16(e2m1_value(lo & 15u) * s, e2m1_value(lo >> 4) * s);
  b1 = pack_bf16(e2m1_value(hi & 15u) * s, e2m1_value(hi >> 4) * s);
}

// The x slice a block works on lives in shared memory: MT * 16 rows (zero past n) of the
// split's columns, each row padded by 8 bf16 so that ldmatrix's eight row reads fall in
// different banks.
constexpr int kSmemBudget = 48 * 1024;
__host__ __device__ constexpr int64_t max_chunks_per_split(int mt) {
  return (kSmemBudget / (mt * 16 * 2) - 8) / 64;
}

// partial[split][n][out] = x[:, chunks of this split] · W[:, same]ᵀ for this block's tiles.
// Each warp owns four 8-row tiles; weights for the next chunk load while this one computes.
template <int MT>
__global__ void __launch_bounds__(kWarps * 32)
    nvfp4_skinny_kernel(const __nv_bfloat16* __restrict__ x, int n, int64_t k,
                        const uint2* __restrict__ w, const uint8_t* __restrict__ scales,
                        float global, int64_t out, int64_t chunks_per_split,
                        float* __restrict__ partial) {
  extern __shared__ __align__(16) __nv_bfloat16 xs[];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
  const int64_t n_tiles = out / 8, n_chunks = k / 64, scale_stride = k / 16;
  const int64_t c_begin = static_cast<int64_t>(blockIdx.y) * chunks_per_split;
  const int64_t c_end = min(c_begin + chunks_per_split, n_chunks);
  const int cols = static_cast<int>((c_end - c_begin) * 64), pitch = cols + 8;

  // Stage x[0 : MT*16, split columns] (16-byte pieces; rows past n are zero).
  for (int i = threadIdx.x; i < MT * 16 * (cols / 8); i += blockDim.x) {
    const int r = i / (cols / 8), c8 = (i % (cols / 8)) * 8;
    uint4 v = make_uint4(0, 0, 0, 0);
    if (r < n) v = __ldg(reinterpret_cast<const uint4*>(x + r * k + c_begin * 64 + c8));
    *reinterpret_cast<uint4*>(xs + r * pitch + c8) = v;
  }
  __syncthreads();

  const int64_t tile0 = (static_cast<int64_t>(blockIdx.x) * kWarps + warp) * kTilesPerWarp;
  if (tile0 >= n_tiles) return;
  auto load = [&](int64_t c, uint2 (&wq)[kTilesPerWarp], uint32_t (&sc)[kTilesPerWarp]) {
#pragma unroll
    for (int nt = 0; nt < kTilesPerWarp; ++nt) {
      const int64_t tile = tile0 + nt;
      if (tile < n_tiles && c < c_end) {
        wq[nt] = __ldg(w + (tile * n_chunks + c) * 32 + lane);
        sc[nt] = __ldg(reinterpret_cast<const unsigned int*>(scales + (tile * 8 + g) * scale_stride + c * 4));
      } else {
        wq[nt] = make_uint2(0, 0);
        sc[nt] = 0;
      }
    }
  };
  float acc[MT][kTilesPerWarp][4] = {};
  uint2 wq[kTilesPerWarp], wq_next[kTilesPerWarp];
  uint32_t sc[kTilesPerWarp], sc_next[kTilesPerWarp];
  load(c_begin, wq, sc);
  for (int64_t c = c_begin; c < c_end; ++c) {
    load(c + 1, wq_next, sc_next);
    const int col0 = static_cast<int>(c - c_begin) * 64;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      uint32_t b[kTilesPerWarp][2];
#pragma unroll
      for (int nt = 0; nt < kTilesPerWarp; ++nt) decode_tile(wq[nt], sc[nt], global, j, b[nt][0], b[nt][1]);
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        uint32_t a[4];
        ldmatrix_x4(a, xs + (mt * 16 + (lane & 15)) * pitch + col0 + j * 16 + (lane >> 4) * 8);
#pragma unroll
        for (int nt = 0; nt < kTilesPerWarp; ++nt) mma_bf16(acc[mt][nt], a, b[nt][0], b[nt][1]);
      }
    }
#pragma unroll
    for (int nt = 0; nt < kTilesPerWarp; ++nt) {
      wq[nt] = wq_next[nt];
      sc[nt] = sc_next[nt];
    }
  }
  float* dst = partial + static_cast<int64_t>(blockIdx.y) * n * out;
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int nt = 0; nt < kTilesPerWarp; ++nt) {
      const int64_t tile = tile0 + nt;
      if (tile >= n_tiles) continue;
      const int64_t col = tile * 8 + 2 * t;
      const int r0 = mt * 16 + g, r1 = r0 + 8;
      if (r0 < n) *reinterpret_cast<float2*>(dst + r0 * out + col) = make_float2(acc[mt][nt][0], acc[mt][nt][1]);
      if (r1 < n) *reinterpret_cast<float2*>(dst + r1 * out + col) = make_float2(acc[mt][nt][2], acc[mt][nt][3]);
    }
  }
}

template <typename T>
__global__ void sum_splits_kernel(const float* __restrict__ partial, int splits, int64_t total,
                                  bool accumulate, T* __restrict__ y) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= total) return;
  float v = accumulate ? load_f32(y + i) : 0.0f;
  for (int s = 0; s < splits; ++s) v += partial[s * total + i];
  store_f32(y + i, v);
}

// W (bf16 [out, k]) from the fragment-ordered NVFP4 weight: one thread per lane-chunk.
__global__ void nvfp4_dequantize_kernel(const uint2* __restrict__ w, const uint8_t* __restrict__ scales,
                                        float global, int64_t out, int64_t k,
                                        __nv_bfloat16* __restrict__ dst) {
  const int64_t n_chunks = k / 64, total = (out / 8) * n_chunks * 32;
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= total) return;
  const int lane = static_cast<int>(i & 31), g = lane >> 2, t = lane & 3;
  const int64_t c = (i >> 5) % n_chunks, tile = (i >> 5) / n_chunks;
  const int64_t row = tile * 8 + g;
  const uint2 wq = __ldg(w + i);
  const uint32_t sc = __ldg(reinterpret_cast<const unsigned int*>(scales + row * (k / 16) + c * 4));
  uint32_t* out_row = reinterpret_cast<uint32_t*>(dst + row * k);
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    uint32_t b0, b1;
    decode_tile(wq, sc, global, j, b0, b1);
    const int64_t col = c * 64 + j * 16 + 2 * t;
    out_row[col / 2] = b0;
    out_row[(col + 8) / 2] = b1;
  }
}

// out (f32 [n, hidden]) = rows ids of an NVFP4 table (packed [v, hidden / 2], row-major,
// e4m3 scales [v, hidden / 16]): one thread per 16-value block.
__global__ void nvfp4_embedding_kernel(const int32_t* __restrict__ ids, int64_t n, int64_t hidden,
                                       const uint8_t* __restrict__ packed,
                                       const uint8_t* __restrict__ scales, float global,
                                       float* __restrict__ out) {
  const int64_t blocks = hidden / 16;
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n * blocks) return;
  const int64_t token = i / blocks, b = i % blocks;
  const int64_t row = ids[token];
  const float s = e4m3_value(scales[row * blocks + b]) * global;
  const uint2 codes = __ldg(reinterpret_cast<const uint2*>(packed + row * (hidden / 2) + b * 8));
  float* dst = out + token * hidden + b * 16;
#pragma unroll
  for (int j = 0; j < 8; ++j) {
    const uint32_t byte = ((j < 4 ? codes.x : codes.y) >> ((j & 3) * 8)) & 0xffu;
    dst[2 * j] = e2m1_value(byte & 15u) * s;
    dst[2 * j + 1] = e2m1_value(byte >> 4) * s;
  }
}

template <int MT>
void launch_skinny(Context& ctx, const Nvfp4GemmArgs& a, dim3 grid, int64_t chunks_per_split,
                   float* partial) {
  const size_t smem = static_cast<size_t>(MT * 16) * (chunks_per_split * 64 + 8) * 2;
  nvfp4_skinny_kernel<MT><<<grid, kWarps * 32, smem, ctx.stream>>>(
      reinterpret_cast<const __nv_bfloat16*>(a.x), static_cast<int>(a.n), a.k,
      reinterpret_cast<const uint2*>(a.w), a.w_scales, a.global_scale, a.out_features,
      chunks_per_split, partial);
}

}  // namespace

Status gemm_nvfp4_small(Context& ctx, const Nvfp4GemmArgs& a) {
  if (a.n == 0) return Status::ok();
  if (a.n > kNvfp4SmallBatch || a.k % 64 != 0 || a.out_features % 8 != 0) {
    return invalid_argument("gemm_nvfp4_small: n <= 64, k % 64 == 0 and out % 8 == 0 required");
  }
  const int64_t n_chunks = a.k / 64;
  const int mt = static_cast<int>((a.n + 15) / 16);
  const int64_t blocks_x = (a.out_features / 8 + kTilesPerBlock - 1) / kTilesPerBlock;
  // Enough blocks to keep every SM streaming weights (about two of 8 warps per SM), and
  // splits small enough for their x slice to fit the shared-memory budget.
  int64_t splits = std::max<int64_t>(1, (2 * std::max(ctx.sm_count, 1) + blocks_x - 1) / blocks_x);
  splits = std::max(splits, (n_chunks + max_chunks_per_split(mt) - 1) / max_chunks_per_split(mt));
  splits = std::min(splits, n_chunks);
  const int64_t chunks_per_split = (n_chunks + splits - 1) / splits;
  splits = (n_chunks + chunks_per_split - 1) / chunks_per_split;
  const int64_t total = a.n * a.out_features;
  FB_ASSIGN_OR_RETURN(void* scratch, context_scratch(ctx, static_cast<size_t>(splits * total) * 4));
  auto* partial = static_cast<float*>(scratch);
  const dim3 grid(static_cast<unsigned>(blocks_x), static_cast<unsigned>(splits));
  if (mt == 1) {
    launch_skinny<1>(ctx, a, grid, chunks_per_split, partial);
  } else if (mt == 2) {
    launch_skinny<2>(ctx, a, grid, chunks_per_split, partial);
  } else if (mt == 3) {
    launch_skinny<3>(ctx, a, grid, chunks_per_split, partial);
  } else {
    launch_skinny<4>(ctx, a, grid, chunks_per_split, partial);
  }
  FB_CUDA_LAUNCHED("nvfp4_skinny");
  constexpr int kThreads = 256;
  const auto blocks = static_cast<unsigned>((total + kThreads - 1) / kThreads);
  if (a.y_dtype == DType::kBF16) {
    if (a.accumulate) return invalid_argument("gemm_nvfp4_small: accumulate needs an f32 y");
    sum_splits_kernel<<<blocks, kThreads, 0, ctx.stream>>>(partial, static_cast<int>(splits), total, false,
                                                          static_cast<__nv_bfloat16*>(a.y));
  } else {
    sum_splits_kernel<<<blocks, kThreads, 0, ctx.stream>>>(partial, static_cast<int>(splits), total,
                                                          a.accumulate, static_cast<float*>(a.y));
  }
  FB_CUDA_LAUNCHED("nvfp4_sum_splits");
  return Status::ok();
}

Status dequantize_nvfp4(Context& ctx, const uint8_t* w, const uint8_t* w_scales, float global_scale,
                        int64_t out_features, int64_t k, uint16_t* w_bf16) {
  if (k % 64 != 0 || out_features % 8 != 0) {
    return invalid_argument("dequantize_nvfp4: k % 64 == 0 and out % 8 == 0 required");
  }
  const int64_t total = (out_features / 8) * (k / 64) * 32;
  if (total == 0) return Status::ok();
  constexpr int kThreads = 256;
  nvfp4_dequantize_kernel<<<static_cast<unsigned>((total + kThreads - 1) / kThreads), kThreads, 0,
                            ctx.stream>>>(reinterpret_cast<const uint2*>(w), w_scales, global_scale,
                                          out_features, k, reinterpret_cast<__nv_bfloat16*>(w_bf16));
  FB_CUDA_LAUNCHED("nvfp4_dequantize");
  return Status::ok();
}

Status embedding_lookup_nvfp4(Context& ctx, const int32_t* ids, int64_t n, int64_t hidden,
                             const uint8_t* packed, const uint8_t* scales, float global_scale,
                             float* out) {
  if (hidden % 16 != 0) return invalid_argument("embedding_lookup_nvfp4: hidden % 16 != 0");
  const int64_t total = n * (hidden / 16);
  if (total == 0) return Status::ok();
  constexpr int kThreads = 256;
  nvfp4_embedding_kernel<<<static_cast<unsigned>((total + kThreads - 1) / kThreads), kThreads, 0,
                           ctx.stream>>>(ids, n, hidden, packed, scales, global_scale, out);
  FB_CUDA_LAUNCHED("nvfp4_embedding");
  return Status::ok();
}

}  // namespace fourbrain::kernels::cuda
