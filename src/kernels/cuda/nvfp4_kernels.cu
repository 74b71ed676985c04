// NVFP4 weights on Hopper, which has no FP4 tensor cores. Two paths:
//  - few tokens (n <= 64): a weight-only GEMM that streams the 4-bit weights (tiled layout,
//    cuda_kernels.h) through a multi-stage cp.async ring in shared memory together with the
//    x columns they meet, decodes them into exact bf16 (e2m1 x e4m3 block scale: at most six
//    significant bits) and multiplies on the bf16 tensor cores (mma.sync m16n8k16, f32
//    accumulation); the global scale is applied once to the sums. K is split over the blocks
//    of a thread-block cluster, whose partial sums meet in distributed shared memory: no
//    partial buffer in global memory and no second kernel. (A global partial buffer reduced
//    by the last block to finish, tried instead, was 20 % slower on H100.)
//  - more tokens: the weight is decoded to bf16 into scratch and cuBLASLt's bf16 GEMM runs;
//    decoding (one read of 4.5 bits, one write of 16 bits per weight) is small next to a
//    GEMM over hundreds of tokens.
#include <cuda_fp8.h>

#include <cooperative_groups.h>

#include <algorithm>
#include <atomic>

#include "kernels/cuda/cuda_internal.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"

namespace fourbrain::kernels::cuda {
namespace {

namespace cg = cooperative_groups;

// 16 warps of two tiles each (measured on H100: 8 warps of four tiles left the schedulers
// idle half the time, with too few warps to hide the decode's dependent instructions).
constexpr int kWarps = 16;
constexpr int kTilesPerWarp = 2;
constexpr int kStages = 4;        // chunks in flight per block
constexpr int kMaxSplits = 8;     // blocks per cluster (the portable maximum)
constexpr int kRedPitch = 256 + 4;
constexpr int kXPitch = 64 + 8;   // bf16 per staged x row: ldmatrix rows in different banks
constexpr int kStageWeightBytes = static_cast<int>(kNvfp4BlockTiles * kNvfp4UnitBytes);
static_assert(kWarps * kTilesPerWarp == kNvfp4BlockTiles, "a block covers one row block");

template <int MT>
struct SkinnySmem {
  static constexpr int kStage = kStageWeightBytes + MT * 16 * kXPitch * 2;
  static constexpr int kRing = kStages * kStage;
  static constexpr int kReduce = MT * 16 * kRedPitch * 4;  // f32 partial sums, reusing the ring
  static constexpr int kBytes = kRing > kReduce ? kRing : kReduce;
};

// bf16 bytes of the e2m1 magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6 (low bytes, high bytes), as
// byte tables for __byte_perm.
constexpr uint32_t kLo0 = 0xC0800000u, kLo1 = 0xC0804000u;
constexpr uint32_t kHi0 = 0x3F3F3F00u, kHi1 = 0x40404040u;

// A word of the tiled layout -> the exact bf16 pairs of its two 16-column steps: (b0, b1)
// of the first step and (b2, b3) of the second (B fragments; unscaled code values).
__device__ __forceinline__ void decode_word(uint32_t w, uint32_t& b0, uint32_t& b1, uint32_t& b2,
                                            uint32_t& b3) {
  const uint32_t sel0 = w & 0x7777u, sel1 = (w >> 16) & 0x7777u;
  uint32_t lo = __byte_perm(kLo0, kLo1, sel0), hi = __byte_perm(kHi0, kHi1, sel0);
  b0 = __byte_perm(lo, hi, 0x5140) | (w & 0x80008000u);
  b1 = __byte_perm(lo, hi, 0x7362) | ((w << 4) & 0x80008000u);
  lo = __byte_perm(kLo0, kLo1, sel1);
  hi = __byte_perm(kHi0, kHi1, sel1);
  b2 = __byte_perm(lo, hi, 0x5140) | ((w << 8) & 0x80008000u);
  b3 = __byte_perm(lo, hi, 0x7362) | ((w << 12) & 0x80008000u);
}

// The four e4m3 block scales of a row's chunk (byte j: step j) as bf16 pairs {s, s} (exact).
__device__ __forceinline__ void decode_scales(uint32_t scales, __nv_bfloat162 (&s)[4]) {
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const __half2_raw raw = __nv_cvt_fp8x2_to_halfraw2(
        static_cast<__nv_fp8x2_storage_t>(scales >> (16 * h)), __NV_E4M3);
    const float2 f = __half22float2(__half2(raw));
    s[2 * h] = __float2bfloat162_rn(f.x);
    s[2 * h + 1] = __float2bfloat162_rn(f.y);
  }
}

__device__ __forceinline__ uint32_t scaled(uint32_t pair, __nv_bfloat162 s) {
  __nv_bfloat162 v = __hmul2(*reinterpret_cast<__nv_bfloat162*>(&pair), s);  // exact
  return *reinterpret_cast<uint32_t*>(&v);
}

// The B fragments of one tile for the two steps of a word (scales s0, s1 of those steps).
__device__ __forceinline__ void decode_steps(uint32_t word, __nv_bfloat162 s0, __nv_bfloat162 s1,
                                             uint32_t (&b)[2][2]) {
  uint32_t r[4];
  decode_word(word, r[0], r[1], r[2], r[3]);
  b[0][0] = scaled(r[0], s0);
  b[0][1] = scaled(r[1], s0);
  b[1][0] = scaled(r[2], s1);
  b[1][1] = scaled(r[3], s1);
}

// Byte offset of the unit of (tile, chunk) in the tiled layout.
__device__ __forceinline__ int64_t unit_offset(int64_t tile, int64_t chunk, int64_t n_tiles,
                                               int64_t n_chunks) {
  const int64_t rb = tile / kNvfp4BlockTiles;
  const int64_t rb_tiles = min(kNvfp4BlockTiles, n_tiles - rb * kNvfp4BlockTiles);
  return (rb * kNvfp4BlockTiles * n_chunks + chunk * rb_tiles + tile % kNvfp4BlockTiles) *
         kNvfp4UnitBytes;
}

// y[:, this row block] (+)= global * x · Wᵀ. Block (rb, split) streams the chunks of its
// split through the ring; the cluster (all splits of rb) then sums the splits' partials,
// each block a share of the outputs.
template <int MT, typename T>
__global__ void __launch_bounds__(kWarps * 32, MT <= 2 ? 2 : 1)
    nvfp4_skinny_kernel(const __nv_bfloat16* __restrict__ x, int n, int64_t k,
                        const uint8_t* __restrict__ w, float global, int64_t out,
                        int64_t chunks_per_split, bool accumulate, T* __restrict__ y) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 900
  using Smem = SkinnySmem<MT>;
  extern __shared__ __align__(16) uint8_t smem[];
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, g = lane >> 2, t = lane & 3;
  const int64_t n_tiles = out / 8, n_chunks = k / 64, rb = blockIdx.x;
  const int tiles = static_cast<int>(min(kNvfp4BlockTiles, n_tiles - rb * kNvfp4BlockTiles));
  const uint8_t* w_rb = w + rb * kNvfp4BlockTiles * n_chunks * kNvfp4UnitBytes;
  const int64_t c_begin = static_cast<int64_t>(blockIdx.y) * chunks_per_split;
  const int steps = static_cast<int>(min(chunks_per_split, n_chunks - c_begin));

  auto load_stage = [&](int step) {
    uint8_t* stage = smem + (step % kStages) * Smem::kStage;
    const int64_t c = c_begin + step;
    const uint8_t* src = w_rb + c * tiles * kNvfp4UnitBytes;
    for (int i = tid; i < tiles * static_cast<int>(kNvfp4UnitBytes / 16); i += kWarps * 32) {
      cp_async_16(stage + i * 16, src + i * 16, 16);
    }
    auto* xs = reinterpret_cast<__nv_bfloat16*>(stage + kStageWeightBytes);
    for (int i = tid; i < MT * 16 * 8; i += kWarps * 32) {
      const int r = i >> 3, piece = i & 7;
      const __nv_bfloat16* from = x + static_cast<int64_t>(min(r, n - 1)) * k + c * 64 + piece * 8;
      cp_async_16(xs + r * kXPitch + piece * 8, from, r < n ? 16 : 0);
    }
  };
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < steps) load_stage(s);
    cp_async_commit();
  }

  const int tile0 = warp * kTilesPerWarp;
  float acc[MT][kTilesPerWarp][4] = {};
  for (int step = 0; step < steps; ++step) {
    cp_async_wait<kStages - 2>();
    __syncthreads();  // this step's stage is in; everyone is done with the one reloaded next
    if (step + kStages - 1 < steps) load_stage(step + kStages - 1);
    cp_async_commit();
    if (tile0 >= tiles) continue;
    const uint8_t* stage = smem + (step % kStages) * Smem::kStage;
    const auto* xs = reinterpret_cast<const __nv_bfloat16*>(stage + kStageWeightBytes);
    uint2 codes[kTilesPerWarp];
    __nv_bfloat162 s[kTilesPerWarp][4];
#pragma unroll
    for (int nt = 0; nt < kTilesPerWarp; ++nt) {  // tiles past `tiles` read stale bytes: unused
      const uint8_t* unit = stage + (tile0 + nt) * kNvfp4UnitBytes;
      codes[nt] = *reinterpret_cast<const uint2*>(unit + lane * 8);
      decode_scales(*reinterpret_cast<const uint32_t*>(unit + 256 + g * 4), s[nt]);
    }
#pragma unroll
    for (int word = 0; word < 2; ++word) {  // steps 2 word and 2 word + 1
      uint32_t b[kTilesPerWarp][2][2];
#pragma unroll
      for (int nt = 0; nt < kTilesPerWarp; ++nt) {
        decode_steps(word ? codes[nt].y : codes[nt].x, s[nt][2 * word], s[nt][2 * word + 1], b[nt]);
      }
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int j = 2 * word + h;
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          uint32_t a[4];
          ldmatrix_x4(a, xs + (mt * 16 + (lane & 15)) * kXPitch + j * 16 + (lane >> 4) * 8);
#pragma unroll
          for (int nt = 0; nt < kTilesPerWarp; ++nt) mma_bf16(acc[mt][nt], a, b[nt][h][0], b[nt][h][1]);
        }
      }
    }
  }

  // Partial sums into this block's shared memory (tiles past `tiles` land in columns
  // nobody reads), then each block of the cluster sums a share of the outputs over all
  // blocks' partials.
  cp_async_wait<0>();
  __syncthreads();
  auto* red = reinterpret_cast<float*>(smem);
  if (tile0 < tiles) {
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
      for (int nt = 0; nt < kTilesPerWarp; ++nt) {
        const int col = (tile0 + nt) * 8 + 2 * t, r0 = mt * 16 + g;
        *reinterpret_cast<float2*>(red + r0 * kRedPitch + col) = make_float2(acc[mt][nt][0], acc[mt][nt][1]);
        *reinterpret_cast<float2*>(red + (r0 + 8) * kRedPitch + col) = make_float2(acc[mt][nt][2], acc[mt][nt][3]);
      }
    }
  }
  cg::cluster_group cluster = cg::this_cluster();
  cluster.sync();
  const int splits = static_cast<int>(cluster.num_blocks()), rank = static_cast<int>(cluster.block_rank());
  const float* parts[kMaxSplits];
#pragma unroll
  for (int sp = 0; sp < kMaxSplits; ++sp) parts[sp] = sp < splits ? cluster.map_shared_rank(red, sp) : nullptr;
  const int cols = tiles * 8;
  for (int e = rank * kWarps * 32 + tid; e < n * cols; e += splits * kWarps * 32) {
    const int i = e / cols, col = e % cols;
    float v = 0.0f;
#pragma unroll
    for (int sp = 0; sp < kMaxSplits; ++sp) {
      if (sp < splits) v += parts[sp][i * kRedPitch + col];
    }
    T* dst = y + i * out + rb * kNvfp4BlockTiles * 8 + col;
    v *= global;
    if (accumulate) v += load_f32(dst);
    store_f32(dst, v);
  }
  cluster.sync();  // no block leaves while another still reads its shared memory
#else
  __trap();  // clusters need compute capability 9.0 (nvfp4_small_batch_supported)
#endif
}

// W from the tiled layout, one thread per lane-chunk of a tile: as bf16 (code x block scale
// x global, rounded once) or, with `row_multipliers`, as e4m3 (code x block scale x the row's
// multiplier, a power of two: rounded once, to nearest even).
template <bool kFp8>
__global__ void nvfp4_dequantize_kernel(const uint8_t* __restrict__ w, float global,
                                        const float* __restrict__ row_multipliers, int64_t out,
                                        int64_t k, void* __restrict__ dst) {
  const int64_t n_chunks = k / 64, n_tiles = out / 8, total = n_tiles * n_chunks * 32;
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= total) return;
  const int lane = static_cast<int>(i & 31), g = lane >> 2, t = lane & 3;
  const int64_t c = (i >> 5) % n_chunks, tile = (i >> 5) / n_chunks;
  const uint8_t* unit = w + unit_offset(tile, c, n_tiles, n_chunks);
  const uint2 codes = *reinterpret_cast<const uint2*>(unit + lane * 8);
  __nv_bfloat162 s[4];
  decode_scales(*reinterpret_cast<const uint32_t*>(unit + 256 + g * 4), s);
  const int64_t row = tile * 8 + g;
  const float multiplier = kFp8 ? row_multipliers[row] : global;
#pragma unroll
  for (int word = 0; word < 2; ++word) {
    uint32_t b[2][2];
    decode_steps(word ? codes.y : codes.x, s[2 * word], s[2 * word + 1], b);
#pragma unroll
    for (int j = 0; j < 2; ++j) {
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        float2 v = __bfloat1622float2(*reinterpret_cast<__nv_bfloat162*>(&b[j][h]));
        v.x *= multiplier;
        v.y *= multiplier;
        const int64_t at = row * k + c * 64 + (2 * word + j) * 16 + h * 8 + 2 * t;
        if constexpr (kFp8) {
          static_cast<__nv_fp8x2_storage_t*>(dst)[at / 2] =
              __nv_cvt_float2_to_fp8x2(v, __NV_SATFINITE, __NV_E4M3);
        } else {
          static_cast<__nv_bfloat162*>(dst)[at / 2] = __floats2bfloat162_rn(v.x, v.y);
        }
      }
    }
  }
}

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

// The kernel's shared memory exceeds the default 48 KB: allowed once per device and kernel.
template <int MT, typename T>
Status allow_smem(int device) {
  static std::atomic<uint64_t> done{0};
  const uint64_t bit = uint64_t{1} << (device & 63);
  if (done.load(std::memory_order_acquire) & bit) return Status::ok();
  FB_CUDA_RETURN(cudaFuncSetAttribute(nvfp4_skinny_kernel<MT, T>,
                                      cudaFuncAttributeMaxDynamicSharedMemorySize,
                                      SkinnySmem<MT>::kBytes));
  done.fetch_or(bit, std::memory_order_acq_rel);
  return Status::ok();
}

template <int MT, typename T>
Status launch_skinny(Context& ctx, const Nvfp4GemmArgs& a, int64_t row_blocks, int splits,
                     int64_t chunks_per_split) {
  FB_RETURN_IF_ERROR((allow_smem<MT, T>(ctx.device)));
  cudaLaunchAttribute cluster;
  cluster.id = cudaLaunchAttributeClusterDimension;
  cluster.val.clusterDim.x = 1;
  cluster.val.clusterDim.y = static_cast<unsigned>(splits);
  cluster.val.clusterDim.z = 1;
  cudaLaunchConfig_t config = {};
  config.gridDim = dim3(static_cast<unsigned>(row_blocks), static_cast<unsigned>(splits));
  config.blockDim = dim3(kWarps * 32);
  config.dynamicSmemBytes = SkinnySmem<MT>::kBytes;
  config.stream = ctx.stream;
  config.attrs = &cluster;
  config.numAttrs = 1;
  FB_CUDA_RETURN(cudaLaunchKernelEx(&config, nvfp4_skinny_kernel<MT, T>,
                                    reinterpret_cast<const __nv_bfloat16*>(a.x), static_cast<int>(a.n),
                                    a.k, a.w, a.global_scale, a.out_features, chunks_per_split,
                                    a.accumulate, static_cast<T*>(a.y)));
  return Status::ok();
}

template <typename T>
Status launch_skinny_for(Context& ctx, const Nvfp4GemmArgs& a, int64_t row_blocks, int splits,
                         int64_t chunks_per_split) {
  switch ((a.n + 15) / 16) {
    case 1: return launch_skinny<1, T>(ctx, a, row_blocks, splits, chunks_per_split);
    case 2: return launch_skinny<2, T>(ctx, a, row_blocks, splits, chunks_per_split);
    case 3: return launch_skinny<3, T>(ctx, a, row_blocks, splits, chunks_per_split);
    default: return launch_skinny<4, T>(ctx, a, row_blocks, splits, chunks_per_split);
  }
}

}  // namespace

bool nvfp4_small_batch_supported(const Context& ctx) {
  return ctx.compute_capability >= 90;  // thread-block clusters
}

Status gemm_nvfp4_small(Context& ctx, const Nvfp4GemmArgs& a) {
  if (a.n == 0) return Status::ok();
  if (a.n > kNvfp4SmallBatch || a.k % 64 != 0 || a.out_features % 8 != 0 || a.k == 0) {
    return invalid_argument("gemm_nvfp4_small: n <= 64, k % 64 == 0 and out % 8 == 0 required");
  }
  if (a.accumulate && a.y_dtype != DType::kF32) {
    return invalid_argument("gemm_nvfp4_small: accumulate needs an f32 y");
  }
  const int64_t n_chunks = a.k / 64;
  const int64_t row_blocks = (a.out_features / 8 + kNvfp4BlockTiles - 1) / kNvfp4BlockTiles;
  // As many splits (clusters of at most kMaxSplits, none empty) as keep all blocks resident
  // at two per SM, so that every SM streams weights.
  int64_t splits = std::max<int64_t>(1, 2 * std::max(ctx.sm_count, 1) / row_blocks);
  splits = std::min<int64_t>({splits, kMaxSplits, n_chunks});
  const int64_t chunks_per_split = (n_chunks + splits - 1) / splits;
  splits = (n_chunks + chunks_per_split - 1) / chunks_per_split;
  if (a.y_dtype == DType::kBF16) {
    return launch_skinny_for<__nv_bfloat16>(ctx, a, row_blocks, static_cast<int>(splits), chunks_per_split);
  }
  return launch_skinny_for<float>(ctx, a, row_blocks, static_cast<int>(splits), chunks_per_split);
}

namespace {

// nvfp4_dequantize_kernel over the whole weight; `what` names the caller in errors.
template <bool kFp8>
Status launch_dequantize(Context& ctx, const char* what, const uint8_t* w, float global_scale,
                         const float* row_multipliers, int64_t out_features, int64_t k, void* dst) {
  if (k % 64 != 0 || out_features % 8 != 0) {
    return invalid_argument(std::string(what) + ": k % 64 == 0 and out % 8 == 0 required");
  }
  const int64_t total = (out_features / 8) * (k / 64) * 32;
  if (total == 0) return Status::ok();
  constexpr int kThreads = 256;
  nvfp4_dequantize_kernel<kFp8><<<blocks_for(total, kThreads), kThreads, 0, ctx.stream>>>(
      w, global_scale, row_multipliers, out_features, k, dst);
  FB_CUDA_LAUNCHED(what);
  return Status::ok();
}

}  // namespace

Status dequantize_nvfp4(Context& ctx, const uint8_t* w, float global_scale, int64_t out_features,
                        int64_t k, uint16_t* w_bf16) {
  return launch_dequantize<false>(ctx, "dequantize_nvfp4", w, global_scale, nullptr, out_features,
                                  k, w_bf16);
}

Status dequantize_nvfp4_fp8(Context& ctx, const uint8_t* w, const float* row_multipliers,
                            int64_t out_features, int64_t k, uint8_t* w_fp8) {
  return launch_dequantize<true>(ctx, "dequantize_nvfp4_fp8", w, 1.0f, row_multipliers,
                                 out_features, k, w_fp8);
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
