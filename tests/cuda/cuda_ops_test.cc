// Every CUDA op against the CPU backend (or, for bf16 GEMMs and very long attention, a plain
// double-precision reference), on the same inputs, with guard bytes around the outputs.
#include <chrono>
#include <cmath>

#include "cuda_test_util.h"
#include "ops/gather.h"
#include "ops/ops.h"
#include "quant/fp_formats.h"
#include "quant/weight_quantizers.h"

namespace fourbrain {
namespace {

using testing::floats;
using testing::max_abs;
using testing::max_diff;
using testing::product_in_double;
using testing::random_host;

class CudaOpsTest : public testing::GpuTest {};

// x [n, k] as the FP8 GEMMs see it: each row quantized to e4m3 with scale amax / 448, then
// dequantized.
std::vector<float> fp8_rows_dequantized(const std::vector<float>& x, int64_t n, int64_t k) {
  std::vector<float> out(x.size());
  for (int64_t i = 0; i < n; ++i) {
    float amax = 0;
    for (int64_t j = 0; j < k; ++j) amax = std::max(amax, std::abs(x[i * k + j]));
    const float sx = amax > 0 ? amax / 448.0f : 1.0f;
    for (int64_t j = 0; j < k; ++j) {
      out[i * k + j] = quant::e4m3_to_f32(quant::f32_to_e4m3(x[i * k + j] / sx)) * sx;
    }
  }
  return out;
}

// NVFP4 weights as the FP8 GEMM sees them on Hopper (n > 64): per row, code x block scale
// times the largest power of two p that keeps 6 x the row's largest block scale within 448,
// rounded to e4m3, then times global / p.
std::vector<float> nvfp4_as_fp8(const quant::Nvfp4Weight& q) {
  const int64_t rows = q.rows, cols = q.cols;
  std::vector<float> w(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    float largest = 0;
    for (int64_t b = 0; b < cols / 16; ++b) {
      largest = std::max(largest, quant::e4m3_to_f32(q.block_scale[r * cols / 16 + b]));
    }
    float p = 1;
    if (largest > 0) {
      while (6 * largest * p * 2 <= 448) p *= 2;
      while (6 * largest * p > 448) p /= 2;
    }
    for (int64_t j = 0; j < cols; ++j) {
      const uint8_t code = (q.packed[(r * cols + j) / 2] >> (4 * (j & 1))) & 15;
      const float v =
          quant::e2m1_to_f32(code) * quant::e4m3_to_f32(q.block_scale[(r * cols + j) / 16]);
      w[r * cols + j] = quant::e4m3_to_f32(quant::f32_to_e4m3(v * p)) * (q.scale_2 / p);
    }
  }
  return w;
}

TEST_F(CudaOpsTest, RmsNormAndAddRmsNormMatchCpu) {
  for (int64_t h : {64, 1024, 4096, 1000}) {
    const int64_t n = 37;
    Tensor x = random_host(DType::kF32, {n, h}, 1), w = random_host(DType::kF32, {h}, 2);
    Tensor cpu_out = Tensor::empty(DType::kF32, {n, h}).value();
    ASSERT_TRUE(ops::rms_norm(x, w, 1e-6f, cpu_out).is_ok());
    for (DType out_dtype : {DType::kF32, DType::kBF16}) {
      auto out = guarded(out_dtype, {n, h});
      Tensor gx = to_gpu(x), gw = to_gpu(w);
      ASSERT_TRUE(ops::rms_norm(gx, gw, 1e-6f, out.view).is_ok());
      const double tol = out_dtype == DType::kBF16 ? 1e-2 * max_abs(floats(cpu_out)) : 1e-5;
      EXPECT_LE(max_diff(floats(to_host(out.view)), floats(cpu_out)), tol) << "h " << h;
      check_guards(out);
    }
    // add_rms_norm: residual += x, then the norm of the sum.
    Tensor residual = random_host(DType::kF32, {n, h}, 3);
    Tensor cpu_res = residual.clone().value(),
           cpu_norm = Tensor::empty(DType::kF32, {n, h}).value();
    ASSERT_TRUE(ops::add_rms_norm(cpu_res, x, w, 1e-6f, cpu_norm).is_ok());
    Tensor g_res = to_gpu(residual), gx = to_gpu(x), gw = to_gpu(w);
    auto out = guarded(DType::kF32, {n, h});
    ASSERT_TRUE(ops::add_rms_norm(g_res, gx, gw, 1e-6f, out.view).is_ok());
    EXPECT_LE(max_diff(floats(to_host(g_res)), floats(cpu_res)), 0.0);
    EXPECT_LE(max_diff(floats(to_host(out.view)), floats(cpu_norm)), 1e-5);
    check_guards(out);
  }
}

TEST_F(CudaOpsTest, QkNormRopeMatchesCpu) {
  const int n_heads = 16, n_kv = 8, d = 128;
  const int64_t n = 53, width = int64_t{n_heads + 2 * n_kv} * d;
  Tensor qkv = random_host(DType::kF32, {n, width}, 4);
  Tensor qn = random_host(DType::kF32, {d}, 5), kn = random_host(DType::kF32, {d}, 6);
  Tensor pos = Tensor::empty(DType::kI32, {n}).value();
  for (int64_t i = 0; i < n; ++i) pos.data<int32_t>()[i] = static_cast<int32_t>((i * 7919) % 40000);
  Tensor cpu = qkv.clone().value();
  ASSERT_TRUE(ops::qk_norm_rope(cpu, n_heads, n_kv, d, qn, kn, 1e-6f, pos, 1e6f).is_ok());
  Tensor g = to_gpu(qkv), gqn = to_gpu(qn), gkn = to_gpu(kn), gpos = to_gpu(pos);
  ASSERT_TRUE(ops::qk_norm_rope(g, n_heads, n_kv, d, gqn, gkn, 1e-6f, gpos, 1e6f).is_ok());
  EXPECT_LE(max_diff(floats(to_host(g)), floats(cpu)), 1e-4 * max_abs(floats(cpu)));
  // bf16 storage: the same math on bf16-rounded inputs, rounded once at the end.
  Tensor g16 = to_gpu(testing::to_bf16(qkv));
  ASSERT_TRUE(ops::qk_norm_rope(g16, n_heads, n_kv, d, gqn, gkn, 1e-6f, gpos, 1e6f).is_ok());
  EXPECT_LE(max_diff(floats(to_host(g16)), floats(cpu)), 2e-2 * max_abs(floats(cpu)));
}

// Packed qkv for sequences of `lengths`, bf16-rounded, with cu_seqlens.
struct AttentionCase {
  Tensor qkv;  // f32 (bf16 values)
  Tensor cu;
  int max_len = 0;
};

AttentionCase make_case(const std::vector<int>& lengths, int n_heads, int n_kv, uint32_t seed,
                        int head_dim = 128) {
  AttentionCase c;
  int64_t n = 0;
  c.cu = Tensor::empty(DType::kI32, {static_cast<int64_t>(lengths.size()) + 1}).value();
  c.cu.data<int32_t>()[0] = 0;
  for (size_t i = 0; i < lengths.size(); ++i) {
    n += lengths[i];
    c.cu.data<int32_t>()[i + 1] = static_cast<int32_t>(n);
    c.max_len = std::max(c.max_len, lengths[i]);
  }
  // Scale 2: logits of std ~4, so the softmax is far from uniform.
  c.qkv = testing::round_to_bf16(
      random_host(DType::kF32, {n, int64_t{n_heads + 2 * n_kv} * head_dim}, seed, 2.0f));
  return c;
}

TEST_F(CudaOpsTest, AttentionMatchesCpuOnRaggedBatches) {
  const int n_heads = 8, n_kv = 2;
  const std::vector<int> lengths = {1, 2, 63, 64, 65, 127, 128, 129, 300, 1000, 17};
  for (int d : {32, 64, 128}) {
    AttentionCase c = make_case(lengths, n_heads, n_kv, 7, d);
    const int64_t n = c.qkv.dim(0);
    for (bool causal : {true, false}) {
      SCOPED_TRACE("head_dim " + std::to_string(d) + (causal ? " causal" : " bidirectional"));
      Tensor cpu = Tensor::empty(DType::kF32, {n, n_heads * d}).value();
      ASSERT_TRUE(ops::attention(c.qkv, c.cu, c.max_len, n_heads, n_kv, d, causal, cpu).is_ok());
      const double scale = max_abs(floats(cpu));
      Tensor gq = to_gpu(testing::to_bf16(c.qkv)), gcu = to_gpu(c.cu);
      for (DType out_dtype : {DType::kF32, DType::kBF16}) {
        auto out = guarded(out_dtype, {n, n_heads * d});
        ASSERT_TRUE(ops::attention(gq, gcu, c.max_len, n_heads, n_kv, d, causal, out.view).is_ok());
        // P is rounded to bf16 before P·V (as every bf16 flash attention does).
        EXPECT_LE(max_diff(floats(to_host(out.view)), floats(cpu)), 1e-2 * scale)
            << dtype_name(out_dtype);
        check_guards(out);
      }
      // f32 qkv in gives the same as bf16 qkv (the kernel rounds while staging).
      Tensor gq32 = to_gpu(c.qkv);
      auto out = guarded(DType::kF32, {n, n_heads * d});
      ASSERT_TRUE(ops::attention(gq32, gcu, c.max_len, n_heads, n_kv, d, causal, out.view).is_ok());
      EXPECT_LE(max_diff(floats(to_host(out.view)), floats(cpu)), 1e-2 * scale);
    }
  }
}

TEST_F(CudaOpsTest, EncoderOpsMatchCpu) {
  const int64_t n = 23, h = 384;
  Tensor x = random_host(DType::kF32, {n, h}, 30), r = random_host(DType::kF32, {n, h}, 31);
  Tensor w = random_host(DType::kF32, {h}, 32), b = random_host(DType::kF32, {h}, 33);
  Tensor gx = to_gpu(x), gr = to_gpu(r), gw = to_gpu(w), gb = to_gpu(b);
  Tensor cpu = Tensor::empty(DType::kF32, {n, h}).value();
  ASSERT_TRUE(ops::layer_norm(x, w, b, 1e-12f, cpu).is_ok());
  auto out = guarded(DType::kF32, {n, h});
  ASSERT_TRUE(ops::layer_norm(gx, gw, gb, 1e-12f, out.view).is_ok());
  EXPECT_LE(max_diff(floats(to_host(out.view)), floats(cpu)), 1e-4);
  check_guards(out);
  ASSERT_TRUE(ops::add_layer_norm(x, r, w, b, 1e-12f, cpu).is_ok());
  ASSERT_TRUE(ops::add_layer_norm(gx, gr, gw, gb, 1e-12f, out.view).is_ok());
  EXPECT_LE(max_diff(floats(to_host(out.view)), floats(cpu)), 1e-4);
  ASSERT_TRUE(ops::add(x, r, cpu).is_ok());
  ASSERT_TRUE(ops::add(gx, gr, out.view).is_ok());
  EXPECT_EQ(max_diff(floats(to_host(out.view)), floats(cpu)), 0.0);
  for (ops::Activation act :
       {ops::Activation::kGelu, ops::Activation::kGeluTanh, ops::Activation::kTanh}) {
    ASSERT_TRUE(ops::activation(x, act, cpu).is_ok());
    ASSERT_TRUE(ops::activation(gx, act, out.view).is_ok());
    EXPECT_LE(max_diff(floats(to_host(out.view)), floats(cpu)), 1e-5);
  }
  check_guards(out);
  // Pooling over sequences of 5, 1, 0 (mean: zeros) and 17 rows.
  Tensor cu = Tensor::empty(DType::kI32, {5}).value();
  const int32_t cuts[] = {0, 5, 6, 6, 23};
  std::copy(cuts, cuts + 5, cu.data<int32_t>());
  Tensor gcu = to_gpu(cu);
  Tensor cpu_pool = Tensor::empty(DType::kF32, {4, h}).value();
  auto pooled = guarded(DType::kF32, {4, h});
  ASSERT_TRUE(ops::pool_tokens(x, cu, ops::TokenPooling::kMean, cpu_pool).is_ok());
  ASSERT_TRUE(ops::pool_tokens(gx, gcu, ops::TokenPooling::kMean, pooled.view).is_ok());
  EXPECT_LE(max_diff(floats(to_host(pooled.view)), floats(cpu_pool)), 1e-5);
  check_guards(pooled);
  auto x16 = guarded(DType::kBF16, {n, h});
  ASSERT_TRUE(ops::convert(gx, x16.view).is_ok());
  EXPECT_EQ(max_diff(floats(to_host(x16.view)), floats(testing::round_to_bf16(x))), 0.0);
  check_guards(x16);
}

// Row `row` of one head's causal attention over a sequence starting at `start`, in double.
std::vector<double> reference_row(const std::vector<float>& qkv, int64_t width, int64_t start,
                                  int64_t row, int head, int kv_head, int n_heads, int n_kv) {
  const float* q = qkv.data() + (start + row) * width + head * 128;
  std::vector<double> logits(static_cast<size_t>(row + 1));
  double m = -INFINITY;
  for (int64_t j = 0; j <= row; ++j) {
    const float* k = qkv.data() + (start + j) * width + (n_heads + kv_head) * 128;
    double s = 0;
    for (int d = 0; d < 128; ++d) s += static_cast<double>(q[d]) * k[d];
    logits[j] = s / std::sqrt(128.0);
    m = std::max(m, logits[j]);
  }
  std::vector<double> out(128, 0.0);
  double sum = 0;
  for (int64_t j = 0; j <= row; ++j) {
    const double p = std::exp(logits[j] - m);
    sum += p;
    const float* v = qkv.data() + (start + j) * width + (n_heads + n_kv + kv_head) * 128;
    for (int d = 0; d < 128; ++d) out[d] += p * v[d];
  }
  for (double& o : out) o /= sum;
  return out;
}

TEST_F(CudaOpsTest, AttentionOnA32kSequence) {
  const int n_heads = 2, n_kv = 1;
  const std::vector<int> lengths = {5, 32768, 1};
  AttentionCase c = make_case(lengths, n_heads, n_kv, 8);
  const int64_t n = c.qkv.dim(0), width = c.qkv.dim(1);
  Tensor gq = to_gpu(testing::to_bf16(c.qkv)), gcu = to_gpu(c.cu);
  auto out = guarded(DType::kF32, {n, n_heads * 128});
  ASSERT_TRUE(ops::attention(gq, gcu, c.max_len, n_heads, n_kv, 128, true, out.view).is_ok());
  const std::vector<float> got = floats(to_host(out.view));
  check_guards(out);
  const std::vector<float> qkv = floats(c.qkv);
  double worst = 0;
  for (int64_t row : {0L, 1L, 63L, 64L, 1000L, 4095L, 20000L, 32766L, 32767L}) {
    for (int head = 0; head < n_heads; ++head) {
      const std::vector<double> want = reference_row(qkv, width, 5, row, head, 0, n_heads, n_kv);
      for (int d = 0; d < 128; ++d) {
        worst =
            std::max(worst, std::abs(want[d] - got[(5 + row) * n_heads * 128 + head * 128 + d]));
      }
    }
  }
  // Outputs average many values here (|o| ~ 0.05): an absolute bound.
  EXPECT_LE(worst, 2e-2);
}

TEST_F(CudaOpsTest, SiluMulEmbeddingGatherMatchCpu) {
  const int64_t n = 29, inter = 384;
  Tensor gu = random_host(DType::kF32, {n, 2 * inter}, 9);
  Tensor cpu = Tensor::empty(DType::kF32, {n, inter}).value();
  ASSERT_TRUE(ops::silu_mul(gu, cpu).is_ok());
  auto out = guarded(DType::kF32, {n, inter});
  Tensor ggu = to_gpu(gu);
  ASSERT_TRUE(ops::silu_mul(ggu, out.view).is_ok());
  EXPECT_LE(max_diff(floats(to_host(out.view)), floats(cpu)), 1e-5);
  check_guards(out);

  Tensor table = random_host(DType::kBF16, {1000, 96}, 10);
  Tensor ids = Tensor::empty(DType::kI32, {n}).value();
  for (int64_t i = 0; i < n; ++i) ids.data<int32_t>()[i] = static_cast<int32_t>((i * 37) % 1000);
  Tensor cpu_rows = Tensor::empty(DType::kF32, {n, 96}).value();
  ASSERT_TRUE(ops::embedding_lookup(table, ids, cpu_rows).is_ok());
  Tensor gtable = to_gpu(table), gids = to_gpu(ids);
  auto rows = guarded(DType::kF32, {n, 96});
  ASSERT_TRUE(ops::embedding_lookup(gtable, gids, rows.view).is_ok());
  EXPECT_EQ(max_diff(floats(to_host(rows.view)), floats(cpu_rows)), 0.0);
  check_guards(rows);

  Tensor pick = Tensor::empty(DType::kI32, {3}).value();
  pick.data<int32_t>()[0] = 5, pick.data<int32_t>()[1] = 0, pick.data<int32_t>()[2] = 28;
  Tensor cpu_pick = Tensor::empty(DType::kF32, {3, 96}).value();
  ASSERT_TRUE(ops::gather_rows(cpu_rows, pick, cpu_pick).is_ok());
  Tensor gsrc = to_gpu(cpu_rows), gpick = to_gpu(pick);
  auto picked = guarded(DType::kF32, {3, 96});
  ASSERT_TRUE(ops::gather_rows(gsrc, gpick, picked.view).is_ok());
  EXPECT_EQ(max_diff(floats(to_host(picked.view)), floats(cpu_pick)), 0.0);
  check_guards(picked);
}

TEST_F(CudaOpsTest, Bf16LinearMatchesDoubleReference) {
  const int64_t out_f = 96, k = 200;
  Tensor w = random_host(DType::kBF16, {out_f, k}, 11);
  Tensor bias = random_host(DType::kF32, {out_f}, 12);
  for (bool with_bias : {false, true}) {
    auto weight = ops::LinearWeight::prepare(w, ops::MatmulPrecision::kBF16,
                                             with_bias ? &bias : nullptr, mem_.get());
    ASSERT_TRUE(weight.is_ok()) << weight.status().to_string();
    for (int64_t n : {1, 7, 64, 301}) {
      Tensor x = random_host(DType::kBF16, {n, k}, 13 + static_cast<uint32_t>(n));
      std::vector<float> want(static_cast<size_t>(n * out_f));
      const std::vector<float> xf = floats(x), wf = floats(w), bf = floats(bias);
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t o = 0; o < out_f; ++o) {
          double s = with_bias ? bf[o] : 0.0;
          for (int64_t j = 0; j < k; ++j) s += static_cast<double>(xf[i * k + j]) * wf[o * k + j];
          want[i * out_f + o] = static_cast<float>(s);
        }
      }
      Tensor gx = to_gpu(x);
      for (DType y_dtype : {DType::kF32, DType::kBF16}) {
        auto y = guarded(y_dtype, {n, out_f});
        const Status st = ops::linear(gx, **weight, y.view);
        ASSERT_TRUE(st.is_ok()) << st.to_string();
        const double tol = (y_dtype == DType::kBF16 ? 1e-2 : 1e-4) * max_abs(want);
        EXPECT_LE(max_diff(floats(to_host(y.view)), want), tol) << "n " << n;
        check_guards(y);
      }
    }
  }
}

// FP8: weights quantized per channel (quant/), activations per token on the GPU; against a
// double-precision product of the same dequantized values, with and without fast accumulation.
TEST_F(CudaOpsTest, Fp8LinearMatchesItsDequantizedProduct) {
  const int64_t out_f = 256, k = 512;
  const Tensor w = random_host(DType::kF32, {out_f, k}, 40, 0.05f);
  const quant::Fp8Weight qw = quant::quantize_fp8(w.data<float>(), out_f, k, true, false);
  std::vector<float> wd(static_cast<size_t>(out_f * k));
  quant::dequantize_fp8(qw, wd.data());
  Tensor codes = Tensor::borrow(DType::kU8, {out_f, k}, qw.codes.data(), nullptr);
  Tensor scales = Tensor::borrow(DType::kF32, {out_f}, qw.scales.data(), nullptr);
  for (bool fast : {false, true}) {
    auto weight = ops::LinearWeight::prepare_fp8(codes, scales, *mem_, fast);
    ASSERT_TRUE(weight.is_ok()) << weight.status().to_string();
    for (int64_t n : {1, 5, 64, 333}) {
      const Tensor x = random_host(DType::kBF16, {n, k}, 41 + static_cast<uint32_t>(n));
      const std::vector<float> want =
          product_in_double(fp8_rows_dequantized(floats(x), n, k), wd, n, out_f, k);
      Tensor gx = to_gpu(x);
      auto y = guarded(DType::kF32, {n, out_f});
      const Status st = ops::linear(gx, **weight, y.view);
      ASSERT_TRUE(st.is_ok()) << st.to_string();
      // Fast accumulation keeps fewer bits of the partial sums: measured 1.01e-3 of the
      // largest output at k 512 on an H100.
      EXPECT_LE(max_diff(floats(to_host(y.view)), want), (fast ? 2e-3 : 1e-3) * max_abs(want))
          << "n " << n << (fast ? ", fast accumulation" : "");
      check_guards(y);
    }
  }
}

// NVFP4: weights quantized with ModelOpt's rules (quant/), on the GPU in the tiled layout.
// The weight-only kernel (n <= 64: one to four m16 tiles, split over k in clusters) multiplies
// the exact decoded weights (code x block scale in bf16, the global scale on the sums), so
// it is held to the double-precision product of the dequantized weights. Beyond 64 rows
// Hopper decodes the weights to e4m3 for the FP8 GEMM (held to the product of those weights
// and the per-token FP8 activations), older GPUs to bf16 (the bf16-rounded weights). f32
// and bf16 y, with and without accumulation.
TEST_F(CudaOpsTest, Nvfp4LinearMatchesItsDequantizedProduct) {
  // Blackwell multiplies NVFP4 on its FP4 tensor cores, activations quantized too
  // (cuda_nvfp4_blackwell_test.cc holds that path to its own reference).
  if (kernels::cuda::context_compute_capability(*ctx_) >= 100) GTEST_SKIP() << "FP4 tensor cores";
  // 33 row tiles (a partial row block); 10 chunks of 64 (two per split) and 87 (eleven per
  // split, more than the ring holds, and a shorter last split).
  const int64_t out_f = 264;
  for (int64_t k : {640, 5568}) {
    SCOPED_TRACE("k " + std::to_string(k));
    const Tensor w = random_host(DType::kF32, {out_f, k}, 50, 0.05f);
    auto qw = quant::quantize_nvfp4(w.data<float>(), out_f, k);
    ASSERT_TRUE(qw.is_ok());
    std::vector<float> wd(static_cast<size_t>(out_f * k));
    quant::dequantize_nvfp4(*qw, wd.data());
    const bool fp8_gemm = kernels::cuda::context_compute_capability(*ctx_) >= 90;
    std::vector<float> wd_large = fp8_gemm ? nvfp4_as_fp8(*qw) : wd;
    if (!fp8_gemm) {
      for (float& v : wd_large) v = bf16_to_f32(f32_to_bf16(v));
    }
    Tensor packed = Tensor::borrow(DType::kU8, {out_f, k / 2}, qw->packed.data(), nullptr);
    Tensor scales = Tensor::borrow(DType::kU8, {out_f, k / 16}, qw->block_scale.data(), nullptr);
    auto weight = ops::LinearWeight::prepare_nvfp4(packed, scales, qw->scale_2, *mem_);
    ASSERT_TRUE(weight.is_ok()) << weight.status().to_string();
    // The codes, the block scales and, for the FP8 GEMM, two floats per row.
    EXPECT_EQ((*weight)->nbytes(),
              static_cast<size_t>(out_f * k / 2 + out_f * k / 16 + (fp8_gemm ? 8 * out_f : 0)));
    for (int64_t n : {1, 5, 16, 17, 33, 49, 64, 65, 300}) {
      const Tensor x = random_host(DType::kBF16, {n, k}, 51 + static_cast<uint32_t>(n));
      const bool large = n > 64, fp8 = large && fp8_gemm;
      const std::vector<float> xf = fp8 ? fp8_rows_dequantized(floats(x), n, k) : floats(x);
      const std::vector<float> want = product_in_double(xf, large ? wd_large : wd, n, out_f, k);
      Tensor gx = to_gpu(x);
      for (DType y_dtype : {DType::kF32, DType::kBF16}) {
        auto y = guarded(y_dtype, {n, out_f});
        const Status st = ops::linear(gx, **weight, y.view);
        ASSERT_TRUE(st.is_ok()) << st.to_string();
        const double tol = (y_dtype == DType::kBF16 ? 1e-2 : fp8 ? 1e-3 : 1e-4) * max_abs(want);
        EXPECT_LE(max_diff(floats(to_host(y.view)), want), tol) << "n " << n;
        check_guards(y);
      }
      expect_accumulate_doubles(gx, **weight, want, fp8 ? 2e-3 : 2e-4);
    }
  }
  // Shapes the kernels cannot tile are refused up front.
  const Tensor w = random_host(DType::kF32, {out_f, 80}, 50, 0.05f);
  auto qw = quant::quantize_nvfp4(w.data<float>(), out_f, 80);
  ASSERT_TRUE(qw.is_ok());
  Tensor odd = Tensor::borrow(DType::kU8, {out_f, 40}, qw->packed.data(), nullptr);
  Tensor odd_scales = Tensor::borrow(DType::kU8, {out_f, 5}, qw->block_scale.data(), nullptr);
  EXPECT_EQ(ops::LinearWeight::prepare_nvfp4(odd, odd_scales, qw->scale_2, *mem_).status().code(),
            StatusCode::kInvalidArgument);
}

// NVFP4 embedding rows decode to exactly the host's dequantized values (same f32 products).
TEST_F(CudaOpsTest, Nvfp4EmbeddingLookupMatchesDequantizedRows) {
  const int64_t vocab = 50, h = 96;
  const Tensor table = random_host(DType::kF32, {vocab, h}, 60, 0.1f);
  auto q = quant::quantize_nvfp4(table.data<float>(), vocab, h);
  ASSERT_TRUE(q.is_ok());
  std::vector<float> want_table(static_cast<size_t>(vocab * h));
  quant::dequantize_nvfp4(*q, want_table.data());
  Tensor packed = to_gpu(Tensor::borrow(DType::kU8, {vocab, h / 2}, q->packed.data(), nullptr));
  Tensor scales =
      to_gpu(Tensor::borrow(DType::kU8, {vocab, h / 16}, q->block_scale.data(), nullptr));
  std::vector<int32_t> id_list = {0, 49, 7, 7, 23};
  Tensor ids = to_gpu(Tensor::borrow(DType::kI32, {5}, id_list.data(), nullptr));
  auto out = guarded(DType::kF32, {5, h});
  ASSERT_TRUE(ops::embedding_lookup_nvfp4(packed, scales, q->scale_2, ids, out.view).is_ok());
  const std::vector<float> got = floats(to_host(out.view));
  for (size_t t = 0; t < id_list.size(); ++t) {
    for (int64_t j = 0; j < h; ++j) {
      ASSERT_EQ(got[t * h + j], want_table[id_list[t] * h + j]) << "token " << t << " col " << j;
    }
  }
  check_guards(out);
}

TEST_F(CudaOpsTest, MixedDevicesAndMissingContextAreErrors) {
  Tensor x = random_host(DType::kF32, {4, 64}, 14), w = random_host(DType::kF32, {64}, 15);
  Tensor gx = to_gpu(x);
  Tensor out = Tensor::empty(DType::kF32, {4, 64}).value();
  auto mixed = ops::rms_norm(gx, w, 1e-6f, out);
  EXPECT_EQ(mixed.code(), StatusCode::kInvalidArgument) << mixed.to_string();
  scope_.reset();  // no current context on this thread any more
  Tensor gw = to_gpu(w), gout = to_gpu(out);
  auto no_ctx = ops::rms_norm(gx, gw, 1e-6f, gout);
  EXPECT_EQ(no_ctx.code(), StatusCode::kUnsupported) << no_ctx.to_string();
}

}  // namespace
}  // namespace fourbrain

namespace fourbrain {
namespace {

// Not a test: the attention kernel's throughput on the benchmark's shapes, printed for
// docs/BENCHMARKS.md. Run with --gtest_also_run_disabled_tests --gtest_filter=*Throughput*.
TEST_F(CudaOpsTest, DISABLED_AttentionThroughput) {
  struct Shape {
    const char* name;
    int n_heads, n_kv, n_seqs, len;
  };
  for (const Shape& s : {Shape{"0.6B 64x512", 16, 8, 64, 512}, Shape{"8B 64x512", 32, 8, 64, 512},
                         Shape{"8B 4x4096", 32, 8, 4, 4096}}) {
    AttentionCase c = make_case(std::vector<int>(s.n_seqs, s.len), s.n_heads, s.n_kv, 21);
    Tensor gq = to_gpu(testing::to_bf16(c.qkv)), gcu = to_gpu(c.cu);
    Tensor out = Tensor::empty(DType::kBF16, {c.qkv.dim(0), s.n_heads * 128}, *mem_).value();
    auto run = [&] {
      ASSERT_TRUE(ops::attention(gq, gcu, c.max_len, s.n_heads, s.n_kv, 128, true, out).is_ok());
    };
    run();
    ASSERT_TRUE(kernels::cuda::synchronize(*ctx_).is_ok());
    const int iters = 20;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) run();
    ASSERT_TRUE(kernels::cuda::synchronize(*ctx_).is_ok());
    const double s_per =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / iters;
    // Causal: half of the 4 * len² * head_dim FLOPs per head and sequence.
    const double flops = 2.0 * s.n_seqs * s.n_heads * double(s.len) * s.len * 128;
    std::printf("[ measured ] attention %s: %.3f ms, %.1f TFLOP/s\n", s.name, s_per * 1e3,
                flops / s_per / 1e12);
  }
}

// Not a test: the few-token NVFP4 kernel against the bf16 GEMM on Qwen3-8B's four layer
// GEMMs, printed for docs/BENCHMARKS.md. Each GEMM cycles through copies of its weight that
// together exceed the L2 cache, so every launch reads its weight from DRAM, as a forward
// pass does. Run with --gtest_also_run_disabled_tests --gtest_filter=*Throughput*.
TEST_F(CudaOpsTest, DISABLED_Nvfp4SkinnyThroughput) {
  struct Shape {
    const char* name;
    int64_t out, k;
  };
  const Shape shapes[] = {
      {"qkv", 6144, 4096}, {"o", 4096, 4096}, {"gate_up", 24576, 4096}, {"down", 4096, 12288}};
  uint64_t state = 88172645463325252ull;
  auto random_bytes = [&](Tensor& t, uint8_t mask) {
    auto* p = t.data<uint8_t>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      p[i] = static_cast<uint8_t>(state) & mask;
    }
  };
  const size_t kRotateBytes = size_t{400} << 20;  // eight times the H100's L2
  const int64_t ns[] = {1, 8, 32, 48, 64};
  constexpr int kNs = sizeof(ns) / sizeof(ns[0]);
  double total_fp4[kNs] = {}, total_bf16[kNs] = {};
  for (const Shape& s : shapes) {
    Tensor packed = Tensor::empty(DType::kU8, {s.out, s.k / 2}).value();
    Tensor scales = Tensor::empty(DType::kU8, {s.out, s.k / 16}).value();
    random_bytes(packed, 0xff);
    random_bytes(scales, 0x3f);  // finite e4m3 scales, at most 1.875
    Tensor w16 = Tensor::empty(DType::kBF16, {s.out, s.k}).value();
    random_bytes(w16, 0xff);
    for (int64_t i = 0; i < w16.numel(); ++i) w16.data<uint16_t>()[i] &= 0xbfff;  // |w| < 2
    std::vector<std::shared_ptr<const ops::LinearWeight>> fp4, bf16;
    const size_t fp4_bytes = static_cast<size_t>(s.out * s.k * 9 / 16);
    const size_t bf16_bytes = static_cast<size_t>(s.out * s.k * 2);
    while (fp4.size() * fp4_bytes < kRotateBytes) {
      fp4.push_back(ops::LinearWeight::prepare_nvfp4(packed, scales, 1.0f, *mem_).value());
    }
    while (bf16.size() < 2 || bf16.size() * bf16_bytes < kRotateBytes) {
      bf16.push_back(
          ops::LinearWeight::prepare(w16, ops::MatmulPrecision::kBF16, nullptr, mem_.get())
              .value());
    }
    for (int ni = 0; ni < kNs; ++ni) {
      const int64_t n = ns[ni];
      Tensor x = to_gpu(random_host(DType::kBF16, {n, s.k}, 6));
      Tensor y = Tensor::empty(DType::kBF16, {n, s.out}, *mem_).value();
      auto time_us = [&](const std::vector<std::shared_ptr<const ops::LinearWeight>>& ws) {
        for (const auto& w : ws) EXPECT_TRUE(ops::linear(x, *w, y).is_ok());
        EXPECT_TRUE(kernels::cuda::synchronize(*ctx_).is_ok());
        const int iters = 200;
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < iters; ++i) EXPECT_TRUE(ops::linear(x, *ws[i % ws.size()], y).is_ok());
        const double enqueue =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        EXPECT_TRUE(kernels::cuda::synchronize(*ctx_).is_ok());
        const double all =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (enqueue > 0.9 * all) {
          std::printf("  (host-bound: enqueue %.1f of %.1f us)\n", enqueue / iters * 1e6,
                      all / iters * 1e6);
        }
        return all / iters * 1e6;
      };
      const double us_fp4 = time_us(fp4), us_bf16 = time_us(bf16);
      total_fp4[ni] += us_fp4;
      total_bf16[ni] += us_bf16;
      std::printf(
          "[ measured ] n %2lld %-8s NVFP4 %7.1f us (%5.0f GB/s)  bf16 %7.1f us (%5.0f GB/s)  "
          "bf16/NVFP4 %.2f\n",
          static_cast<long long>(n), s.name, us_fp4, fp4_bytes / us_fp4 / 1e3, us_bf16,
          bf16_bytes / us_bf16 / 1e3, us_bf16 / us_fp4);
    }
  }
  for (int ni = 0; ni < kNs; ++ni) {
    std::printf("[ measured ] n %2lld layer    NVFP4 %7.1f us  bf16 %7.1f us  bf16/NVFP4 %.2f\n",
                static_cast<long long>(ns[ni]), total_fp4[ni], total_bf16[ni],
                total_bf16[ni] / total_fp4[ni]);
  }
}

}  // namespace
}  // namespace fourbrain
