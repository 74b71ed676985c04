// NVFP4 weights on Hopper, which has no FP4 tensor cores. Two paths:
//  - few tokens (n <= 64): a weight-only GEMM that streams the 4-bit weights (tiled layout,
//    cuda_kernels.h) through a ring of stages in shared memory together with the x columns
//    they meet, decodes them into exact bf16 (e2m1 x e4m3 block scale: at most six
//    significant bits) and multiplies on the bf16 tensor cores (mma.sync m16n8k16, f32
//    accumulation); the global scale is applied once to the sums. One producer warp per
//    block fills the ring (a bulk copy for the weights, cp.async for x), the consumer warps
//    only decode and multiply: shared-memory barriers count the bytes in, no block-wide
//    barrier per stage (which, with every thread issuing copies, spent a third of the
//    instructions on H100). K is split over the blocks of a thread-block cluster, whose
//    partial sums meet in distributed shared memory: no partial buffer in global memory and
//    no second kernel. (A global partial buffer reduced by the last block to finish, tried
//    instead, was 20 % slower on H100.)
//  - more tokens: the weight is decoded into scratch (to e4m3 for the FP8 GEMM on Hopper,
//    to bf16 elsewhere) and cuBLASLt runs; decoding is small next to a GEMM over hundreds
//    of tokens.
#include <cooperative_groups.h>
#include <cuda_fp8.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "kernels/cuda/bulk_copy.cuh"
#include "kernels/cuda/cuda_internal.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"

namespace fourbrain::kernels::cuda {
namespace {

namespace cg = cooperative_groups;

constexpr int kMaxSplits = 8;     // blocks per cluster (the portable maximum)
constexpr int kXPitch = 64 + 8;   // bf16 per staged x row: ldmatrix rows in different banks

// A block covers a row group of kGroupTiles tiles (8 rows each; half a row block) with
// consumer warps of kWarpTiles tiles and one producer warp. Measured on H100 (8B shapes,
// 32 tokens): whole row blocks (32 tiles) took 18 % longer a layer, warps of one tile 21 %.
constexpr int kGroupTiles = 16;
constexpr int kWarpTiles = 2;

template <int MT>
struct Skinny {
  // Chunks in flight per block: fewer for four m-tiles, so that three blocks share an SM
  // (with at most 72 registers a thread, __launch_bounds__ below). Measured on H100, 8B
  // layer at 64 tokens: 150 µs, against 179 µs with two blocks an SM.
  static constexpr int kStages = MT <= 3 ? 6 : 4;
  static constexpr int kConsumers = kGroupTiles / kWarpTiles;
  static constexpr int kThreads = (kConsumers + 1) * 32;
  static constexpr int kRedPitch = kGroupTiles * 8 + 4;
  static constexpr int kStageWeightBytes = static_cast<int>(kGroupTiles * kNvfp4UnitBytes);
  static constexpr int kStage = kStageWeightBytes + MT * 16 * kXPitch * 2;
  static constexpr int kRing = kStages * kStage;
  static constexpr int kReduce = MT * 16 * kRedPitch * 4;  // f32 partial sums, reusing the ring
  // The full and empty barriers of the stages, after the ring (or the partial sums).
  static constexpr int kBarrierOffset = kRing > kReduce ? kRing : kReduce;
  static constexpr int kBytes = kBarrierOffset + 2 * kStages * 8;
  static_assert(kNvfp4BlockTiles % kGroupTiles == 0, "blocks split a row block evenly");
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

// y[:, the block's rows] (+)= global * x · Wᵀ. Block (row group, split) streams the chunks
// of its split through a ring of stages: the producer warp fills a stage (the group's
// weight units of one 64-column chunk, contiguous in the tiled layout, and the x columns
// they meet) with bulk copies once the consumers released it; consumer warps decode their
// tiles and multiply. The cluster (all splits of the row group) then sums the splits'
// partials, each block a share of the outputs. The first stages' weights are requested
// before waiting for the previous kernel (programmatic dependent launch): they do not
// depend on it.
template <int MT, typename T>
__global__ void __launch_bounds__(Skinny<MT>::kThreads, 3)
    nvfp4_skinny_kernel(const __nv_bfloat16* __restrict__ x, int n, int64_t k,
                        const uint8_t* __restrict__ w, float global, int64_t out,
                        int64_t chunks_per_split, bool accumulate, T* __restrict__ y) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 900
  using Cfg = Skinny<MT>;
  constexpr int kGroups = kNvfp4BlockTiles / kGroupTiles;  // row groups per row block
  extern __shared__ __align__(128) uint8_t smem[];
  auto* full = reinterpret_cast<uint64_t*>(smem + Cfg::kBarrierOffset);
  uint64_t* empty = full + Cfg::kStages;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, g = lane >> 2, t = lane & 3;
  const int64_t n_tiles = out / 8, n_chunks = k / 64, rb = blockIdx.x / kGroups;
  const int group = static_cast<int>(blockIdx.x % kGroups);
  const int rb_tiles = static_cast<int>(min(kNvfp4BlockTiles, n_tiles - rb * kNvfp4BlockTiles));
  const int tiles =
      min(kGroupTiles, rb_tiles - group * kGroupTiles);  // > 0: the grid has no empty groups
  const int64_t c_begin = static_cast<int64_t>(blockIdx.y) * chunks_per_split;
  const int steps = static_cast<int>(min(chunks_per_split, n_chunks - c_begin));
  if (tid == 0) {
    for (int s = 0; s < Cfg::kStages; ++s) {
      barrier_init(&full[s], 1 + 32);  // the weights' arrival, each producer lane's x
      barrier_init(&empty[s], Cfg::kConsumers);
    }
    barrier_init_fence();
  }
  __syncthreads();

  const int tile0 = warp * kWarpTiles;
  float acc[MT][kWarpTiles][4] = {};
  if (warp == Cfg::kConsumers) {  // the producer
    const uint32_t weight_bytes = static_cast<uint32_t>(tiles * kNvfp4UnitBytes);
    const uint8_t* w_src =
        w + (rb * kNvfp4BlockTiles * n_chunks + group * kGroupTiles + c_begin * rb_tiles) *
                kNvfp4UnitBytes;
    const int64_t w_step = rb_tiles * kNvfp4UnitBytes;
    const __nv_bfloat16* x_src = x + c_begin * 64;
    auto load_weights = [&](int step) {
      const int s = step % Cfg::kStages;
      if (lane == 0) {
        barrier_arrive_expect_bytes(&full[s], weight_bytes);
        bulk_copy_to_shared(smem + s * Cfg::kStage, w_src + step * w_step, weight_bytes, &full[s]);
      }
    };
    auto load_x = [&](int step) {
      const int s = step % Cfg::kStages;
      auto* xs = reinterpret_cast<__nv_bfloat16*>(smem + s * Cfg::kStage + Cfg::kStageWeightBytes);
      // Rows of 128 bytes are too small for bulk copies: 16-byte copies, eight a row.
      for (int i = lane; i < n * 8; i += 32) {
        const int r = i >> 3, piece = i & 7;
        cp_async_16(xs + r * kXPitch + piece * 8, x_src + r * k + step * 64 + piece * 8, 16);
      }
      barrier_arrive_after_copies(&full[s]);
    };
    const int first = min(steps, Cfg::kStages);
    for (int step = 0; step < first; ++step) load_weights(step);
    wait_for_previous_kernels();
    __syncwarp();
    for (int step = 0; step < first; ++step) load_x(step);
    for (int step = Cfg::kStages; step < steps; ++step) {
      barrier_wait(&empty[step % Cfg::kStages], ((step / Cfg::kStages) - 1) & 1);
      load_weights(step);
      __syncwarp();
      load_x(step);
    }
  } else {
    for (int step = 0; step < steps; ++step) {
      const int s = step % Cfg::kStages;
      barrier_wait(&full[s], (step / Cfg::kStages) & 1);
      if (tile0 < tiles) {
        const uint8_t* stage = smem + s * Cfg::kStage;
        const auto* xs = reinterpret_cast<const __nv_bfloat16*>(stage + Cfg::kStageWeightBytes);
        uint2 codes[kWarpTiles];
        __nv_bfloat162 sc[kWarpTiles][4];
#pragma unroll
        for (int nt = 0; nt < kWarpTiles; ++nt) {  // tiles past `tiles` read stale bytes: unused
          const uint8_t* unit = stage + (tile0 + nt) * kNvfp4UnitBytes;
          codes[nt] = *reinterpret_cast<const uint2*>(unit + lane * 8);
          decode_scales(*reinterpret_cast<const uint32_t*>(unit + 256 + g * 4), sc[nt]);
        }
#pragma unroll
        for (int word = 0; word < 2; ++word) {  // steps 2 word and 2 word + 1
          uint32_t b[kWarpTiles][2][2];
#pragma unroll
          for (int nt = 0; nt < kWarpTiles; ++nt) {
            decode_steps(word ? codes[nt].y : codes[nt].x, sc[nt][2 * word], sc[nt][2 * word + 1],
                         b[nt]);
          }
#pragma unroll
          for (int h = 0; h < 2; ++h) {
            const int j = 2 * word + h;
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {  // rows past n hold stale values: unused
              uint32_t a[4];
              ldmatrix_x4(a, xs + (mt * 16 + (lane & 15)) * kXPitch + j * 16 + (lane >> 4) * 8);
#pragma unroll
              for (int nt = 0; nt < kWarpTiles; ++nt)
                mma_bf16(acc[mt][nt], a, b[nt][h][0], b[nt][h][1]);
            }
          }
        }
      }
      __syncwarp();
      if (lane == 0) barrier_arrive(&empty[s]);
    }
  }

  // Partial sums into shared memory once every warp is done with the ring (the producer
  // warp's tiles are past `tiles`); y only once the previous kernels are done.
  wait_for_previous_kernels();
  __syncthreads();
  auto* red = reinterpret_cast<float*>(smem);
  if (tile0 < tiles) {
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
      for (int nt = 0; nt < kWarpTiles; ++nt) {
        const int col = (tile0 + nt) * 8 + 2 * t, r0 = mt * 16 + g;
        *reinterpret_cast<float2*>(red + r0 * Cfg::kRedPitch + col) =
            make_float2(acc[mt][nt][0], acc[mt][nt][1]);
        *reinterpret_cast<float2*>(red + (r0 + 8) * Cfg::kRedPitch + col) =
            make_float2(acc[mt][nt][2], acc[mt][nt][3]);
      }
    }
  }

  // Each block of the cluster sums a share of the outputs over all blocks' partials.
  cg::cluster_group cluster = cg::this_cluster();
  cluster.sync();
  const int splits = static_cast<int>(cluster.num_blocks()), rank = static_cast<int>(cluster.block_rank());
  const float* parts[kMaxSplits];
#pragma unroll
  for (int sp = 0; sp < kMaxSplits; ++sp) parts[sp] = sp < splits ? cluster.map_shared_rank(red, sp) : nullptr;
  const int cols = tiles * 8;
  const int64_t col0 = (rb * kNvfp4BlockTiles + group * kGroupTiles) * 8;
  for (int e = rank * Cfg::kThreads + tid; e < n * cols; e += splits * Cfg::kThreads) {
    const int i = e / cols, col = e % cols;
    float v = 0.0f;
#pragma unroll
    for (int sp = 0; sp < kMaxSplits; ++sp) {
      if (sp < splits) v += parts[sp][i * Cfg::kRedPitch + col];
    }
    T* dst = y + i * out + col0 + col;
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

// How many clusters of each size of a kernel instantiation fit on a device at once.
struct SkinnyPlan {
  int max_clusters[kMaxSplits + 1] = {};
};

template <int MT, typename T>
Result<SkinnyPlan> plan_skinny(Context& ctx) {
  static std::mutex mu;
  static std::map<int, SkinnyPlan> plans;  // by device
  std::lock_guard<std::mutex> lock(mu);
  auto it = plans.find(ctx.device);
  if (it != plans.end()) return it->second;
  using Cfg = Skinny<MT>;
  auto* kernel = nvfp4_skinny_kernel<MT, T>;
  SkinnyPlan plan;
  // The kernel's shared memory exceeds the default 48 KB: allowed once per device.
  FB_CUDA_RETURN(
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, Cfg::kBytes));
  for (int s = 1; s <= kMaxSplits; ++s) {
    cudaLaunchAttribute cluster;
    cluster.id = cudaLaunchAttributeClusterDimension;
    cluster.val.clusterDim.x = 1;
    cluster.val.clusterDim.y = static_cast<unsigned>(s);
    cluster.val.clusterDim.z = 1;
    cudaLaunchConfig_t config = {};
    config.gridDim = dim3(1, static_cast<unsigned>(s));
    config.blockDim = dim3(Cfg::kThreads);
    config.dynamicSmemBytes = Cfg::kBytes;
    config.attrs = &cluster;
    config.numAttrs = 1;
    FB_CUDA_RETURN(cudaOccupancyMaxActiveClusters(&plan.max_clusters[s], kernel, &config));
  }
  plans[ctx.device] = plan;
  return plan;
}

template <int MT, typename T>
Status launch_skinny(Context& ctx, const Nvfp4GemmArgs& a) {
  FB_ASSIGN_OR_RETURN(const SkinnyPlan plan, (plan_skinny<MT, T>(ctx)));
  const int64_t n_chunks = a.k / 64, n_tiles = a.out_features / 8;
  const int64_t full_rbs = n_tiles / kNvfp4BlockTiles, rest = n_tiles % kNvfp4BlockTiles;
  const int64_t row_groups =
      full_rbs * (kNvfp4BlockTiles / kGroupTiles) + (rest + kGroupTiles - 1) / kGroupTiles;
  // The most splits (cluster size) whose clusters all fit on the GPU at once: every block
  // streams from the start, on as many SMs as possible. (Forcing one block to an SM, so that
  // clusters spread, measured 1.3-2.4x slower a layer on H100.)
  int64_t splits = 1;
  for (int64_t s = std::min<int64_t>(kMaxSplits, n_chunks); s >= 1; --s) {
    if (row_groups <= plan.max_clusters[s]) {
      splits = s;
      break;
    }
  }
  const int64_t chunks_per_split = (n_chunks + splits - 1) / splits;
  splits = (n_chunks + chunks_per_split - 1) / chunks_per_split;
  cudaLaunchAttribute attrs[2];
  attrs[0].id = cudaLaunchAttributeClusterDimension;
  attrs[0].val.clusterDim.x = 1;
  attrs[0].val.clusterDim.y = static_cast<unsigned>(splits);
  attrs[0].val.clusterDim.z = 1;
  // Programmatic dependent launch: the blocks may start, and request their first weights,
  // while the previous kernel finishes (measured 6 % less time a layer on H100).
  attrs[1].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attrs[1].val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t config = {};
  config.gridDim = dim3(static_cast<unsigned>(row_groups), static_cast<unsigned>(splits));
  config.blockDim = dim3(Skinny<MT>::kThreads);
  config.dynamicSmemBytes = Skinny<MT>::kBytes;
  config.stream = ctx.stream;
  config.attrs = attrs;
  config.numAttrs = 2;
  FB_CUDA_RETURN(cudaLaunchKernelEx(&config, nvfp4_skinny_kernel<MT, T>,
                                    reinterpret_cast<const __nv_bfloat16*>(a.x), static_cast<int>(a.n),
                                    a.k, a.w, a.global_scale, a.out_features, chunks_per_split,
                                    a.accumulate, static_cast<T*>(a.y)));
  return Status::ok();
}

template <typename T>
Status launch_skinny_for(Context& ctx, const Nvfp4GemmArgs& a) {
  switch ((a.n + 15) / 16) {
    case 1:
      return launch_skinny<1, T>(ctx, a);
    case 2:
      return launch_skinny<2, T>(ctx, a);
    case 3:
      return launch_skinny<3, T>(ctx, a);
    default:
      return launch_skinny<4, T>(ctx, a);
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
  if (a.y_dtype == DType::kBF16) return launch_skinny_for<__nv_bfloat16>(ctx, a);
  return launch_skinny_for<float>(ctx, a);
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
