// The AVX-512 attention task. Layout choices, all to keep the inner loops free of
// horizontal reductions and strided loads:
// - The task's keys and values are first copied into contiguous [key][head_dim] tiles. In
//   qkv they sit a whole qkv row apart (16 KiB for Qwen3-0.6B), which maps them onto the
//   same few L1 sets; copied once, they serve every query block of the task from L2.
// - Per block of query rows, Q is transposed into qt [head_dim][rows], so the score tile is
//   computed as S^T [keys][rows] = K · Qᵀ with keys broadcast and query rows in vector lanes.
// - The online-softmax state (running max m, sum l) is a vector over rows, so the max and
//   sum over keys are plain vertical max/add.
// - O stays [rows][head_dim] and is updated as O = O * alpha + P · V.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "kernels/cpu/attention_internal.h"
#include "kernels/cpu/avx512_util.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,fma")

namespace fourbrain::kernels::cpu::attention_detail {
namespace {

using avx512::exp_ps;

constexpr int kQkKeys = 6;  // keys per S^T register tile (x 4 row vectors = 24 accumulators)
constexpr int kPvRows = 8;  // rows per O register tile (x 3 head_dim vectors = 24 accumulators)

// s[k][*] = scale * sum_x keys[k][x] * qt[x][*] for KR keys (rows of `keys`, head_dim
// apart) and NV vectors of query rows.
template <int KR, int NV>
void qk_tile(const float* keys, const float* qt, int64_t rows_pad, int head_dim, float scale,
             float* s) {
  __m512 acc[KR][NV];
  for (int k = 0; k < KR; ++k)
    for (int v = 0; v < NV; ++v) acc[k][v] = _mm512_setzero_ps();
  for (int x = 0; x < head_dim; ++x) {
    __m512 q[NV];
    for (int v = 0; v < NV; ++v) q[v] = _mm512_loadu_ps(qt + x * rows_pad + 16 * v);
    for (int k = 0; k < KR; ++k) {
      const __m512 kx = _mm512_set1_ps(keys[k * head_dim + x]);
      for (int v = 0; v < NV; ++v) acc[k][v] = _mm512_fmadd_ps(kx, q[v], acc[k][v]);
    }
  }
  const __m512 sv = _mm512_set1_ps(scale);
  for (int k = 0; k < KR; ++k)
    for (int v = 0; v < NV; ++v)
      _mm512_storeu_ps(s + k * rows_pad + 16 * v, _mm512_mul_ps(acc[k][v], sv));
}

using QkTileFn = void (*)(const float*, const float*, int64_t, int, float, float*);

template <int KR>
constexpr QkTileFn qk_tile_for(int nv) {
  return nv == 1   ? qk_tile<KR, 1>
         : nv == 2 ? qk_tile<KR, 2>
         : nv == 3 ? qk_tile<KR, 3>
                   : qk_tile<KR, 4>;
}

QkTileFn qk_tile_fn(int kr, int nv) {
  switch (kr) {
    case 1:
      return qk_tile_for<1>(nv);
    case 2:
      return qk_tile_for<2>(nv);
    case 3:
      return qk_tile_for<3>(nv);
    case 4:
      return qk_tile_for<4>(nv);
    case 5:
      return qk_tile_for<5>(nv);
    default:
      return qk_tile_for<6>(nv);
  }
}

// o[i][0 : 16 NV] = o[i][...] * alpha[i] + sum_j p[j][i] * values[j][0 : 16 NV] for 8 rows i
// (values rows head_dim apart, o rows head_dim apart, p rows rows_pad apart).
template <int NV>
void pv_tile(const float* values, int n_keys, const float* p, int64_t rows_pad, const float* alpha,
             float* o, int head_dim) {
  __m512 acc[kPvRows][NV];
  for (int i = 0; i < kPvRows; ++i) {
    const __m512 a = _mm512_set1_ps(alpha[i]);
    for (int v = 0; v < NV; ++v)
      acc[i][v] = _mm512_mul_ps(_mm512_loadu_ps(o + i * head_dim + 16 * v), a);
  }
  for (int j = 0; j < n_keys; ++j) {
    __m512 val[NV];
    for (int v = 0; v < NV; ++v) val[v] = _mm512_loadu_ps(values + j * head_dim + 16 * v);
    const float* pj = p + j * rows_pad;
    for (int i = 0; i < kPvRows; ++i) {
      const __m512 pi = _mm512_set1_ps(pj[i]);
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(pi, val[v], acc[i][v]);
    }
  }
  for (int i = 0; i < kPvRows; ++i)
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(o + i * head_dim + 16 * v, acc[i][v]);
}

// Scratch of one task, carved out of the thread's workspace.
struct Tiles {
  int64_t rows_pad;  // query rows per block, padded to whole vectors
  float* qt;         // [head_dim][rows_pad]
  float* s;          // [kKeyBlock][rows_pad], scores then probabilities
  float* o;          // [rows_pad][head_dim]
  float* m;          // [rows_pad] running max
  float* l;          // [rows_pad] running sum
  float* alpha;      // [rows_pad] rescale of the current key block
  float* pos;        // [rows_pad] query position (as float, exact below 2^24)
  float* k;          // [n_keys][head_dim] the task's keys
  float* v;          // [n_keys][head_dim] the task's values
};

Tiles carve(Workspace& ws, int64_t rows_pad, int head_dim, int64_t n_keys) {
  const int64_t d = head_dim;
  const int64_t floats = rows_pad * (2 * d + kKeyBlock + 4) + 2 * n_keys * d;
  if (static_cast<int64_t>(ws.floats.size()) < floats)
    ws.floats.resize(static_cast<size_t>(floats));
  Tiles t;
  t.rows_pad = rows_pad;
  t.qt = ws.floats.data();
  t.s = t.qt + d * rows_pad;
  t.o = t.s + kKeyBlock * rows_pad;
  t.m = t.o + rows_pad * d;
  t.l = t.m + rows_pad;
  t.alpha = t.l + rows_pad;
  t.pos = t.alpha + rows_pad;
  t.k = t.pos + rows_pad;
  t.v = t.k + n_keys * d;
  return t;
}

void pack_keys_values(const AttentionArgs& a, const Task& t, int32_t n_keys, const Tiles& tl) {
  const int d = a.head_dim;
  const int64_t k_col = int64_t{a.n_heads + t.kv_head} * d;
  const int64_t v_col = int64_t{a.n_heads + a.n_kv_heads + t.kv_head} * d;
  constexpr int kAhead = 8;  // rows sit on different pages: the hardware prefetcher won't help
  for (int64_t j = 0; j < n_keys; ++j) {
    const float* row = a.qkv + (t.token_begin + j) * a.qkv_row_stride;
    if (j + kAhead < n_keys) {
      const float* ahead = row + kAhead * a.qkv_row_stride;
      for (int x = 0; x < d; x += 16) {
        _mm_prefetch(reinterpret_cast<const char*>(ahead + k_col + x), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(ahead + v_col + x), _MM_HINT_T0);
      }
    }
    for (int x = 0; x < d; x += 16) {
      _mm512_storeu_ps(tl.k + j * d + x, _mm512_loadu_ps(row + k_col + x));
      _mm512_storeu_ps(tl.v + j * d + x, _mm512_loadu_ps(row + v_col + x));
    }
  }
}

// Row r of a block is query position q_begin + r / n_rep of head kv_head * n_rep + r % n_rep;
// rows past the end are padding (zero queries at the last position, results dropped).
void load_queries(const AttentionArgs& a, const Task& t, int32_t q_begin, int32_t q_end, int rows,
                  const Tiles& tl) {
  const int n_rep = a.n_heads / a.n_kv_heads;
  const int d = a.head_dim;
  for (int64_t rb = 0; rb < tl.rows_pad; rb += 16) {
    const float* src[16];
    for (int i = 0; i < 16; ++i) {
      const int64_t r = rb + i;
      const int64_t pos = r < rows ? q_begin + r / n_rep : q_end - 1;
      tl.pos[r] = static_cast<float>(pos);
      src[i] = r < rows ? a.qkv + (t.token_begin + pos) * a.qkv_row_stride +
                              int64_t{t.kv_head * n_rep + static_cast<int>(r % n_rep)} * d
                        : nullptr;
    }
    for (int x0 = 0; x0 < d; x0 += 16) {
      __m512 block[16];
      for (int i = 0; i < 16; ++i)
        block[i] = src[i] ? _mm512_loadu_ps(src[i] + x0) : _mm512_setzero_ps();
      avx512::transpose16(block);
      for (int i = 0; i < 16; ++i) _mm512_storeu_ps(tl.qt + (x0 + i) * tl.rows_pad + rb, block[i]);
    }
  }
}

// Online-softmax update for row vectors [c_begin, c_end) of a key block: masks, new max,
// alpha = exp(m_old - m_new), p = exp(s - m_new) in place of s, l = l * alpha + sum p.
// Scores never computed (fully masked causal tiles) are overwritten by the mask.
void softmax_block(const Tiles& tl, int64_t c_begin, int64_t c_end, int n_keys, int64_t key0,
                   bool mask) {
  const __m512 neg_inf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  for (int64_t c = c_begin; c < c_end; ++c) {
    const int64_t off = 16 * c;
    const __m512 pos = _mm512_loadu_ps(tl.pos + off);
    const __m512 m_old = _mm512_loadu_ps(tl.m + off);
    __m512 m_new = m_old;
    for (int j = 0; j < n_keys; ++j) {
      float* sj = tl.s + j * tl.rows_pad + off;
      __m512 s = _mm512_loadu_ps(sj);
      if (mask) {
        const __mmask16 live =
            _mm512_cmp_ps_mask(_mm512_set1_ps(static_cast<float>(key0 + j)), pos, _CMP_LE_OQ);
        s = _mm512_mask_mov_ps(neg_inf, live, s);
        _mm512_storeu_ps(sj, s);
      }
      m_new = _mm512_max_ps(m_new, s);
    }
    __m512 sum = _mm512_setzero_ps();
    for (int j = 0; j < n_keys; ++j) {
      float* sj = tl.s + j * tl.rows_pad + off;
      const __m512 p = exp_ps(_mm512_sub_ps(_mm512_loadu_ps(sj), m_new));
      _mm512_storeu_ps(sj, p);
      sum = _mm512_add_ps(sum, p);
    }
    const __m512 alpha = exp_ps(_mm512_sub_ps(m_old, m_new));
    _mm512_storeu_ps(tl.alpha + off, alpha);
    _mm512_storeu_ps(tl.m + off, m_new);
    _mm512_storeu_ps(tl.l + off, _mm512_fmadd_ps(_mm512_loadu_ps(tl.l + off), alpha, sum));
  }
}

void store_rows(const AttentionArgs& a, const Task& t, int32_t q_begin, int rows, const Tiles& tl) {
  const int n_rep = a.n_heads / a.n_kv_heads;
  const int d = a.head_dim;
  const bool bf16 = a.out_dtype == DType::kBF16;
  for (int r = 0; r < rows; ++r) {
    const __m512 inv = _mm512_set1_ps(1.0f / tl.l[r]);
    const int64_t offset = (t.token_begin + q_begin + r / n_rep) * a.out_row_stride +
                           int64_t{t.kv_head * n_rep + r % n_rep} * d;
    const float* o = tl.o + int64_t{r} * d;
    for (int x = 0; x < d; x += 16) {
      const __m512 y = _mm512_mul_ps(_mm512_loadu_ps(o + x), inv);
      if (bf16) {
        auto* out = static_cast<uint16_t*>(a.out) + offset + x;
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), avx512::cvt_bf16(y));
      } else {
        _mm512_storeu_ps(static_cast<float*>(a.out) + offset + x, y);
      }
    }
  }
}

// Starts fetching what the next phase needs while this block computes: the query rows of
// the next block (to L2) and, with write intent, this block's output rows.
void prefetch_rows(const AttentionArgs& a, const Task& t, int32_t q_begin, int32_t q_end,
                   int32_t next_end) {
  const int n_rep = a.n_heads / a.n_kv_heads;
  const int d = a.head_dim;
  const int out_elem = a.out_dtype == DType::kBF16 ? 2 : 4;
  for (int32_t q = q_begin; q < next_end; ++q) {
    const bool next = q >= q_end;
    for (int r = 0; r < n_rep; ++r) {
      const int64_t head = int64_t{t.kv_head * n_rep + r} * d;
      if (next) {
        const char* src =
            reinterpret_cast<const char*>(a.qkv + (t.token_begin + q) * a.qkv_row_stride + head);
        for (int b = 0; b < d * 4; b += 64) _mm_prefetch(src + b, _MM_HINT_T1);
      } else {
        const char* dst = static_cast<const char*>(a.out) +
                          ((t.token_begin + q) * a.out_row_stride + head) * out_elem;
        for (int b = 0; b < d * out_elem; b += 64) _mm_prefetch(dst + b, _MM_HINT_ET0);
      }
    }
  }
}

// First row vector whose last (largest) position is >= key: under the causal mask the row
// vectors before it see nothing at or after `key`.
int64_t first_live_row_vec(const Tiles& tl, int64_t n_row_vecs, int64_t key) {
  int64_t c = 0;
  while (c < n_row_vecs && tl.pos[16 * c + 15] < static_cast<float>(key)) ++c;
  return c;
}

// Attention for query positions [q_begin, q_end) of the task, keys already packed.
void run_block(const AttentionArgs& a, const Task& t, int32_t q_begin, int32_t q_end,
               int32_t next_end, const Tiles& tl) {
  const int d = a.head_dim;
  const int rows = (q_end - q_begin) * (a.n_heads / a.n_kv_heads);
  const int64_t rows_pad = (rows + 15) / 16 * 16;
  const int64_t n_row_vecs = rows_pad / 16;
  Tiles bt = tl;
  bt.rows_pad = rows_pad;
  load_queries(a, t, q_begin, q_end, rows, bt);
  prefetch_rows(a, t, q_begin, q_end, next_end);
  std::fill(bt.o, bt.o + rows_pad * d, 0.0f);
  std::fill(bt.m, bt.m + rows_pad, -std::numeric_limits<float>::infinity());
  std::fill(bt.l, bt.l + rows_pad, 0.0f);

  const int32_t key_end = a.causal ? q_end : t.seq_len;
  for (int32_t kb = 0; kb < key_end; kb += kKeyBlock) {
    const int n_keys = std::min(kKeyBlock, key_end - kb);
    const int64_t c_begin = a.causal ? first_live_row_vec(bt, n_row_vecs, kb) : 0;
    for (int j = 0; j < n_keys; j += kQkKeys) {
      const int kr = std::min(kQkKeys, n_keys - j);
      const int64_t c_live = a.causal ? first_live_row_vec(bt, n_row_vecs, kb + j) : 0;
      for (int64_t c = c_live; c < n_row_vecs; c += 4) {
        const int nv = static_cast<int>(std::min<int64_t>(4, n_row_vecs - c));
        qk_tile_fn(kr, nv)(bt.k + int64_t{kb + j} * d, bt.qt + 16 * c, rows_pad, d, a.scale,
                           bt.s + j * rows_pad + 16 * c);
      }
    }
    softmax_block(bt, c_begin, n_row_vecs, n_keys, kb, a.causal && kb + n_keys - 1 > q_begin);
    for (int64_t r = 16 * c_begin; r < rows_pad; r += kPvRows) {
      // Keys past the group's last position carry p == 0 under the causal mask: skip them.
      const int last = static_cast<int>(bt.pos[r + kPvRows - 1]);
      const int live = a.causal ? std::min(n_keys, last - kb + 1) : n_keys;
      if (live <= 0) continue;
      for (int x = 0; x < d; x += 48) {
        const float* values = bt.v + int64_t{kb} * d + x;
        float* o = bt.o + r * d + x;
        switch (std::min(3, (d - x) / 16)) {
          case 1:
            pv_tile<1>(values, live, bt.s + r, rows_pad, bt.alpha + r, o, d);
            break;
          case 2:
            pv_tile<2>(values, live, bt.s + r, rows_pad, bt.alpha + r, o, d);
            break;
          default:
            pv_tile<3>(values, live, bt.s + r, rows_pad, bt.alpha + r, o, d);
            break;
        }
      }
    }
  }
  store_rows(a, t, q_begin, rows, bt);
}

}  // namespace

void run_task_avx512(const AttentionArgs& a, const Task& t, Workspace& ws) {
  const int n_rep = a.n_heads / a.n_kv_heads;
  const int q_block = queries_per_block(n_rep);
  const int32_t n_keys = a.causal ? t.q_end : t.seq_len;
  const int64_t max_rows_pad = (int64_t{q_block} * n_rep + 15) / 16 * 16;
  const Tiles tl = carve(ws, max_rows_pad, a.head_dim, n_keys);
  pack_keys_values(a, t, n_keys, tl);
  for (int32_t q = t.q_begin; q < t.q_end; q += q_block) {
    const int32_t end = std::min(t.q_end, q + q_block);
    run_block(a, t, q, end, std::min(t.q_end, end + q_block), tl);
  }
}

}  // namespace fourbrain::kernels::cpu::attention_detail

#pragma GCC pop_options
