// Ragged grouped-query flash attention (FlashAttention-2 scheme), causal or bidirectional,
// for head_dim 32, 64 and 128.
// K/V tiles are double-buffered in shared memory (cp.async) and read with ldmatrix.
//
// One block of 4 warps takes 64 query rows of one head of one sequence (each warp 16 rows)
// and walks the sequence's keys in tiles of 64: S = Q·Kᵀ and O += P·V on bf16 tensor cores
// (mma.sync m16n8k16, f32 accumulators), with the running max and sum of the softmax kept in
// f32 registers. Sequences are packed without padding (cu_seqlens), so a sequence never sees
// another's keys; blocks past a sequence's end exit at once.
#include <atomic>

#include "kernels/cuda/cuda_internal.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"

namespace fourbrain::kernels::cuda {
namespace {

constexpr int kBlockRows = 64;  // query rows per block (16 per warp)
constexpr int kTileKeys = 64;   // keys per shared-memory tile
constexpr int kThreads = 128;
// A shared-memory row holds head_dim + 8 bf16: the extra 16 bytes spread ldmatrix's rows over
// the banks. Helpers take the row type by its pitch P (head_dim = P - 8).

struct Params {
  const void* qkv;
  int64_t row_stride;
  const int32_t* cu_seqlens;
  int n_heads, n_kv_heads;
  bool causal;
  float scale_log2;  // softmax scale * log2(e): the kernel works in base 2
  void* out;
  int64_t out_stride;
};

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&v);
}

// Two consecutive elements [c, c+1] of a row as one bf16 pair.
__device__ __forceinline__ uint32_t load_pair(const float* p) {
  const float2 v = *reinterpret_cast<const float2*>(p);
  return pack_bf16(v.x, v.y);
}
__device__ __forceinline__ uint32_t load_pair(const __nv_bfloat16* p) {
  return *reinterpret_cast<const uint32_t*>(p);
}


// Rows [0, rows) of a 64 x 128 tile from global (row stride `stride`) into smem as bf16;
// rows past `rows` are zero.
template <int P>
__device__ __forceinline__ void load_tile(const __nv_bfloat16* src, int64_t stride, int rows,
                                          __nv_bfloat16 (*dst)[P]) {
  constexpr int kChunks = (P - 8) / 8;  // uint4 = 8 bf16
  for (int i = threadIdx.x; i < kTileKeys * kChunks; i += kThreads) {
    const int r = i / kChunks, c = (i % kChunks) * 8;
    uint4 v = make_uint4(0, 0, 0, 0);
    if (r < rows) v = *reinterpret_cast<const uint4*>(src + r * stride + c);
    *reinterpret_cast<uint4*>(&dst[r][c]) = v;
  }
}
template <int P>
__device__ __forceinline__ void load_tile(const float* src, int64_t stride, int rows,
                                          __nv_bfloat16 (*dst)[P]) {
  constexpr int kChunks = (P - 8) / 4;  // float4
  for (int i = threadIdx.x; i < kTileKeys * kChunks; i += kThreads) {
    const int r = i / kChunks, c = (i % kChunks) * 4;
    float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
    if (r < rows) v = *reinterpret_cast<const float4*>(src + r * stride + c);
    *reinterpret_cast<uint2*>(&dst[r][c]) = make_uint2(pack_bf16(v.x, v.y), pack_bf16(v.z, v.w));
  }
}

// bf16 rows straight from global to shared memory (cp.async, 16 bytes a thread), rows past
// `rows` zero-filled; completes at cp_async_wait().
template <int P>
__device__ __forceinline__ void load_tile_async(const __nv_bfloat16* src, int64_t stride,
                                                int rows, __nv_bfloat16 (*dst)[P]) {
  constexpr int kChunks = (P - 8) / 8;
  for (int i = threadIdx.x; i < kTileKeys * kChunks; i += kThreads) {
    const int r = i / kChunks, c = (i % kChunks) * 8;
    const bool valid = r < rows;
    const __nv_bfloat16* from = src + (valid ? r : 0) * stride + c;
    cp_async_16(&dst[r][c], from, valid ? 16 : 0);
  }
}
template <int P>
__device__ __forceinline__ void load_tile_async(const float* src, int64_t stride, int rows,
                                                __nv_bfloat16 (*dst)[P]) {
  load_tile(src, stride, rows, dst);  // f32 input (tests): converted on the way, synchronously
}

template <int D>
using TileRow = __nv_bfloat16[D + 8];
// K and V tiles, two of each: the next pair loads while this one is used.
template <int D>
constexpr size_t kSmemBytes = 4 * kTileKeys * sizeof(TileRow<D>);

template <int D, typename In, typename Out>
__global__ void __launch_bounds__(kThreads) flash_attention_kernel(Params p) {
  constexpr int kHeadDim = D;
  using TileRow = fourbrain::kernels::cuda::TileRow<D>;
  extern __shared__ __align__(16) unsigned char smem[];
  TileRow* k_tiles = reinterpret_cast<TileRow*>(smem);  // [2][kTileKeys]
  TileRow* v_tiles = k_tiles + 2 * kTileKeys;           // [2][kTileKeys]

  const int seq = blockIdx.x, head = blockIdx.y;
  // The heaviest causal blocks (last rows) are scheduled first: shorter tail.
  const int q0 = (gridDim.z - 1 - blockIdx.z) * kBlockRows;
  const int start = p.cu_seqlens[seq], len = p.cu_seqlens[seq + 1] - start;
  if (q0 >= len) return;
  const int kv_head = head / (p.n_heads / p.n_kv_heads);
  const In* qkv = static_cast<const In*>(p.qkv) + int64_t{start} * p.row_stride;
  const In* q_base = qkv + int64_t{head} * kHeadDim;
  const In* k_base = qkv + int64_t{p.n_heads + kv_head} * kHeadDim;
  const In* v_base = qkv + int64_t{p.n_heads + p.n_kv_heads + kv_head} * kHeadDim;

  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int g = lane >> 2, t = lane & 3;  // mma fragment coordinates
  const int row0 = q0 + warp * 16 + g, row1 = row0 + 8;

  // This warp's 16 query rows as A fragments, for all of head_dim (8 k-steps of 16).
  uint32_t q_frag[kHeadDim / 16][4];
#pragma unroll
  for (int kk = 0; kk < kHeadDim / 16; ++kk) {
    const int c = kk * 16 + 2 * t;
    const In* q_row0 = q_base + int64_t{row0} * p.row_stride;
    const In* q_row1 = q_base + int64_t{row1} * p.row_stride;
    const bool in0 = row0 < len, in1 = row1 < len;
    q_frag[kk][0] = in0 ? load_pair(q_row0 + c) : 0u;
    q_frag[kk][1] = in1 ? load_pair(q_row1 + c) : 0u;
    q_frag[kk][2] = in0 ? load_pair(q_row0 + c + 8) : 0u;
    q_frag[kk][3] = in1 ? load_pair(q_row1 + c + 8) : 0u;
  }

  float o[kHeadDim / 8][4];
#pragma unroll
  for (int d = 0; d < kHeadDim / 8; ++d) o[d][0] = o[d][1] = o[d][2] = o[d][3] = 0.0f;
  float m0 = -INFINITY, m1 = -INFINITY;  // running max (base 2) of rows row0 and row1
  float l0 = 0.0f, l1 = 0.0f;            // this thread's share of the running sums

  const int key_end = p.causal ? min(len, q0 + kBlockRows) : len;
  const int n_tiles = (key_end + kTileKeys - 1) / kTileKeys;
  auto issue_tile = [&](int tile) {
    const int j0 = tile * kTileKeys, buf = tile & 1, rows = min(kTileKeys, len - j0);
    load_tile_async(k_base + int64_t{j0} * p.row_stride, p.row_stride, rows,
                    k_tiles + buf * kTileKeys);
    load_tile_async(v_base + int64_t{j0} * p.row_stride, p.row_stride, rows,
                    v_tiles + buf * kTileKeys);
    cp_async_commit();
  };
  issue_tile(0);
  for (int tile = 0; tile < n_tiles; ++tile) {
    const int j0 = tile * kTileKeys;
    if (tile + 1 < n_tiles) {
      issue_tile(tile + 1);  // into the other buffer, freed at the end of the last iteration
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();  // this tile is in shared memory for every warp
    const TileRow* k_tile = k_tiles + (tile & 1) * kTileKeys;
    const TileRow* v_tile = v_tiles + (tile & 1) * kTileKeys;

    float s[kTileKeys / 8][4];
#pragma unroll
    for (int nt = 0; nt < kTileKeys / 8; ++nt) s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
    // K fragments by ldmatrix: for key tile nt, four 8x8 matrices cover dims kk*16 .. +31
    // (two k-steps): lane L addresses key nt*8 + L%8, dims + (L/8)*8.
#pragma unroll
    for (int kk = 0; kk < kHeadDim / 16; kk += 2) {
#pragma unroll
      for (int nt = 0; nt < kTileKeys / 8; ++nt) {
        uint32_t kf[4];
        ldmatrix_x4(kf, &k_tile[nt * 8 + (lane & 7)][kk * 16 + (lane >> 3) * 8]);
        mma_bf16(s[nt], q_frag[kk], kf[0], kf[1]);
        mma_bf16(s[nt], q_frag[kk + 1], kf[2], kf[3]);
      }
    }

    // Scale, mask (past the sequence's end; after the query when causal), and the tile max.
    float tile_max0 = -INFINITY, tile_max1 = -INFINITY;
#pragma unroll
    for (int nt = 0; nt < kTileKeys / 8; ++nt) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int key = j0 + nt * 8 + 2 * t + (e & 1);
        const int row = e < 2 ? row0 : row1;
        const bool masked = key >= len || (p.causal && key > row);
        s[nt][e] = masked ? -INFINITY : s[nt][e] * p.scale_log2;
      }
      tile_max0 = fmaxf(tile_max0, fmaxf(s[nt][0], s[nt][1]));
      tile_max1 = fmaxf(tile_max1, fmaxf(s[nt][2], s[nt][3]));
    }
    // The four threads of a fragment row group hold the row between them.
#pragma unroll
    for (int offset = 1; offset < 4; offset <<= 1) {
      tile_max0 = fmaxf(tile_max0, __shfl_xor_sync(0xffffffffu, tile_max0, offset));
      tile_max1 = fmaxf(tile_max1, __shfl_xor_sync(0xffffffffu, tile_max1, offset));
    }
    const float new_m0 = fmaxf(m0, tile_max0), new_m1 = fmaxf(m1, tile_max1);
    // A row with every key masked so far keeps max -inf: subtract 0 instead (no NaN).
    const float base0 = new_m0 == -INFINITY ? 0.0f : new_m0;
    const float base1 = new_m1 == -INFINITY ? 0.0f : new_m1;
    const float alpha0 = exp2f(m0 - base0), alpha1 = exp2f(m1 - base1);
    m0 = new_m0;
    m1 = new_m1;
    float sum0 = 0.0f, sum1 = 0.0f;
#pragma unroll
    for (int nt = 0; nt < kTileKeys / 8; ++nt) {
      s[nt][0] = exp2f(s[nt][0] - base0);
      s[nt][1] = exp2f(s[nt][1] - base0);
      s[nt][2] = exp2f(s[nt][2] - base1);
      s[nt][3] = exp2f(s[nt][3] - base1);
      sum0 += s[nt][0] + s[nt][1];
      sum1 += s[nt][2] + s[nt][3];
    }
    l0 = l0 * alpha0 + sum0;
    l1 = l1 * alpha1 + sum1;
#pragma unroll
    for (int d = 0; d < kHeadDim / 8; ++d) {
      o[d][0] *= alpha0;
      o[d][1] *= alpha0;
      o[d][2] *= alpha1;
      o[d][3] *= alpha1;
    }

    // O += P·V: the S accumulators are already laid out as the A fragments of P.
#pragma unroll
    for (int ks = 0; ks < kTileKeys / 16; ++ks) {
      const uint32_t p_frag[4] = {
          pack_bf16(s[2 * ks][0], s[2 * ks][1]), pack_bf16(s[2 * ks][2], s[2 * ks][3]),
          pack_bf16(s[2 * ks + 1][0], s[2 * ks + 1][1]),
          pack_bf16(s[2 * ks + 1][2], s[2 * ks + 1][3])};
      // V fragments by transposed ldmatrix: keys ks*16 .. +15 by dims d*8 .. +15 (two dim
      // tiles); lane L addresses key ks*16 + L%8 + ((L/8)%2)*8, dim d*8 + (L/16)*8.
      const int v_key = ks * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
#pragma unroll
      for (int d = 0; d < kHeadDim / 8; d += 2) {
        uint32_t vf[4];
        ldmatrix_x4_trans(vf, &v_tile[v_key][d * 8 + (lane >> 4) * 8]);
        mma_bf16(o[d], p_frag, vf[0], vf[1]);
        mma_bf16(o[d + 1], p_frag, vf[2], vf[3]);
      }
    }
    __syncthreads();  // every warp is done with this buffer before it is refilled
  }

#pragma unroll
  for (int offset = 1; offset < 4; offset <<= 1) {
    l0 += __shfl_xor_sync(0xffffffffu, l0, offset);
    l1 += __shfl_xor_sync(0xffffffffu, l1, offset);
  }
  const float inv0 = l0 > 0.0f ? 1.0f / l0 : 0.0f, inv1 = l1 > 0.0f ? 1.0f / l1 : 0.0f;
  Out* out = static_cast<Out*>(p.out) + int64_t{start} * p.out_stride + int64_t{head} * kHeadDim;
#pragma unroll
  for (int d = 0; d < kHeadDim / 8; ++d) {
    const int col = d * 8 + 2 * t;
    if (row0 < len) {
      store_f32(out + int64_t{row0} * p.out_stride + col, o[d][0] * inv0);
      store_f32(out + int64_t{row0} * p.out_stride + col + 1, o[d][1] * inv0);
    }
    if (row1 < len) {
      store_f32(out + int64_t{row1} * p.out_stride + col, o[d][2] * inv1);
      store_f32(out + int64_t{row1} * p.out_stride + col + 1, o[d][3] * inv1);
    }
  }
}

template <int D, typename In, typename Out>
void launch(const Params& p, dim3 grid, const Context& ctx) {
  // More than the default 48 KB of shared memory must be asked for, once per kernel and
  // device (a failure shows as the launch error reported next).
  static std::atomic<uint64_t> opted_in{0};
  const uint64_t bit = uint64_t{1} << (ctx.device % 64);
  if ((opted_in.load() & bit) == 0) {
    cudaFuncSetAttribute(flash_attention_kernel<D, In, Out>,
                         cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes<D>);
    opted_in.fetch_or(bit);
  }
  flash_attention_kernel<D, In, Out><<<grid, kThreads, kSmemBytes<D>, ctx.stream>>>(p);
}

template <int D>
void launch_for_dtypes(const Params& p, dim3 grid, const Context& ctx, bool in_bf16,
                       bool out_bf16) {
  if (in_bf16 && out_bf16) launch<D, __nv_bfloat16, __nv_bfloat16>(p, grid, ctx);
  else if (in_bf16) launch<D, __nv_bfloat16, float>(p, grid, ctx);
  else if (out_bf16) launch<D, float, __nv_bfloat16>(p, grid, ctx);
  else launch<D, float, float>(p, grid, ctx);
}

}  // namespace

Status attention(Context& ctx, const AttentionArgs& a) {
  if (a.head_dim != 32 && a.head_dim != 64 && a.head_dim != 128) {
    return unsupported("attention on CUDA: head_dim " + std::to_string(a.head_dim) +
                       " (kernels exist for 32, 64 and 128)");
  }
  if (a.n_seqs == 0 || a.max_seqlen == 0) return Status::ok();
  Params p;
  p.qkv = a.qkv;
  p.row_stride = int64_t{a.n_heads + 2 * a.n_kv_heads} * a.head_dim;
  p.cu_seqlens = a.cu_seqlens;
  p.n_heads = a.n_heads;
  p.n_kv_heads = a.n_kv_heads;
  p.causal = a.causal;
  p.scale_log2 = a.scale * 1.4426950408889634f;
  p.out = a.out;
  p.out_stride = int64_t{a.n_heads} * a.head_dim;
  const dim3 grid(static_cast<unsigned>(a.n_seqs), static_cast<unsigned>(a.n_heads),
                  blocks_for(a.max_seqlen, kBlockRows));
  const bool in_bf16 = a.qkv_dtype == DType::kBF16, out_bf16 = a.out_dtype == DType::kBF16;
  if (a.head_dim == 32) launch_for_dtypes<32>(p, grid, ctx, in_bf16, out_bf16);
  else if (a.head_dim == 64) launch_for_dtypes<64>(p, grid, ctx, in_bf16, out_bf16);
  else launch_for_dtypes<128>(p, grid, ctx, in_bf16, out_bf16);
  FB_CUDA_LAUNCHED("attention");
  return Status::ok();
}

}  // namespace fourbrain::kernels::cuda
