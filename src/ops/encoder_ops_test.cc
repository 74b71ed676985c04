// The BERT-family encoder ops against kernels/ref: layer_norm, add_layer_norm, add,
// activation (both CPU paths), pool_tokens, linear with a bias, and bidirectional
// (causal = false) multi-head attention at BERT's head sizes.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernels/cpu/isa.h"
#include "kernels/ref/ref.h"
#include "ops/ops.h"
#include "ops/ops_test_util.h"

namespace fourbrain::ops {
namespace {

using testing::all_close;
using testing::Guarded;

class EncoderShapes : public ::testing::TestWithParam<std::pair<int64_t, int64_t>> {};

TEST_P(EncoderShapes, LayerNormF32Bf16AndInPlace) {
  const auto [n, h] = GetParam();
  Guarded x(DType::kF32, {n, h}), w(DType::kF32, {h}), b(DType::kF32, {h});
  testing::fill_normal(x.data<float>(), n * h, 1, 3.0f);
  for (int64_t i = 0; i < n * h; i += 7) x.data<float>()[i] += 20.0f;  // a mean far from 0
  testing::fill_normal(w.data<float>(), h, 2);
  testing::fill_normal(b.data<float>(), h, 3);
  std::vector<float> want(static_cast<size_t>(n * h));
  kernels::ref::layer_norm(x.data<float>(), w.data<float>(), b.data<float>(), n, h, 1e-12f,
                           want.data());
  Guarded out(DType::kF32, {n, h});
  ASSERT_TRUE(layer_norm(x.t(), w.t(), b.t(), 1e-12f, out.t()).is_ok());
  EXPECT_TRUE(all_close(out.data<float>(), want.data(), n * h, 2e-6, 2e-6));
  Guarded out16(DType::kBF16, {n, h});
  ASSERT_TRUE(layer_norm(x.t(), w.t(), b.t(), 1e-12f, out16.t()).is_ok());
  EXPECT_TRUE(
      all_close(testing::bf16_to_floats(out16.data<uint16_t>(), n * h), want, 2e-6, 1.0 / 256));
  EXPECT_TRUE(out.guards_intact() && out16.guards_intact());
  ASSERT_TRUE(layer_norm(x.t(), w.t(), b.t(), 1e-12f, x.t()).is_ok());  // in place
  EXPECT_EQ(0, std::memcmp(x.data<float>(), out.data<float>(), static_cast<size_t>(n * h) * 4));
  EXPECT_TRUE(x.guards_intact() && w.guards_intact() && b.guards_intact());
}

TEST_P(EncoderShapes, AddLayerNormIntoEitherInput) {
  const auto [n, h] = GetParam();
  Guarded x(DType::kF32, {n, h}), r(DType::kF32, {n, h}), w(DType::kF32, {h}), b(DType::kF32, {h});
  testing::fill_normal(x.data<float>(), n * h, 4, 2.0f);
  testing::fill_normal(r.data<float>(), n * h, 5, 2.0f);
  testing::fill_normal(w.data<float>(), h, 6);
  testing::fill_normal(b.data<float>(), h, 7);
  std::vector<float> want(static_cast<size_t>(n * h));
  kernels::ref::add_layer_norm(x.data<float>(), r.data<float>(), w.data<float>(), b.data<float>(),
                               n, h, 1e-5f, want.data());
  Guarded out(DType::kF32, {n, h});
  ASSERT_TRUE(add_layer_norm(x.t(), r.t(), w.t(), b.t(), 1e-5f, out.t()).is_ok());
  EXPECT_TRUE(all_close(out.data<float>(), want.data(), n * h, 2e-6, 2e-6));
  EXPECT_TRUE(out.guards_intact());
  // out = residual (BERT's stream updated in place), then out = x.
  std::vector<float> x_copy(x.data<float>(), x.data<float>() + n * h);
  ASSERT_TRUE(add_layer_norm(x.t(), r.t(), w.t(), b.t(), 1e-5f, r.t()).is_ok());
  EXPECT_EQ(0, std::memcmp(r.data<float>(), out.data<float>(), static_cast<size_t>(n * h) * 4));
  Guarded r2(DType::kF32, {n, h});
  testing::fill_normal(r2.data<float>(), n * h, 5, 2.0f);
  ASSERT_TRUE(add_layer_norm(x.t(), r2.t(), w.t(), b.t(), 1e-5f, x.t()).is_ok());
  EXPECT_EQ(0, std::memcmp(x.data<float>(), out.data<float>(), static_cast<size_t>(n * h) * 4));
  EXPECT_TRUE(x.guards_intact() && r.guards_intact() && r2.guards_intact());
}

TEST_P(EncoderShapes, AddAndPoolTokens) {
  const auto [n, h] = GetParam();
  Guarded a(DType::kF32, {n, h}), b(DType::kF32, {n, h}), sum(DType::kF32, {n, h});
  testing::fill_normal(a.data<float>(), n * h, 8);
  testing::fill_normal(b.data<float>(), n * h, 9);
  std::vector<float> want(static_cast<size_t>(n * h));
  kernels::ref::add(a.data<float>(), b.data<float>(), n * h, want.data());
  ASSERT_TRUE(add(a.t(), b.t(), sum.t()).is_ok());
  EXPECT_TRUE(all_close(sum.data<float>(), want.data(), n * h, 0, 0));
  ASSERT_TRUE(add(a.t(), b.t(), a.t()).is_ok());  // in place
  EXPECT_TRUE(all_close(a.data<float>(), want.data(), n * h, 0, 0));
  EXPECT_TRUE(a.guards_intact() && sum.guards_intact());

  // Ragged sequences covering all n rows: lengths 1, 2, 3, ... with the rest in the last.
  std::vector<int32_t> cu{0};
  for (int32_t len = 1; cu.back() + len < n; ++len) cu.push_back(cu.back() + len);
  cu.push_back(static_cast<int32_t>(n));
  const auto n_seqs = static_cast<int64_t>(cu.size()) - 1;
  Tensor cu_t = Tensor::borrow(DType::kI32, {n_seqs + 1}, cu.data(), nullptr);
  const TokenPooling modes[] = {TokenPooling::kMean, TokenPooling::kFirst, TokenPooling::kLast};
  for (int mode = 0; mode < 3; ++mode) {
    Guarded out(DType::kF32, {n_seqs, h});
    ASSERT_TRUE(pool_tokens(sum.t(), cu_t, modes[mode], out.t()).is_ok());
    std::vector<float> pooled(static_cast<size_t>(n_seqs * h));
    kernels::ref::pool_tokens(sum.data<float>(), h, cu.data(), n_seqs, mode, pooled.data());
    EXPECT_TRUE(all_close(out.data<float>(), pooled.data(), n_seqs * h, 1e-7, 1e-6))
        << "mode " << mode;
    EXPECT_TRUE(out.guards_intact());
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, EncoderShapes,
                         ::testing::Values(std::pair<int64_t, int64_t>{1, 1},
                                           std::pair<int64_t, int64_t>{3, 32},
                                           std::pair<int64_t, int64_t>{77, 384},
                                           std::pair<int64_t, int64_t>{300, 1024},
                                           std::pair<int64_t, int64_t>{513, 130}));

class ActivationPaths : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { kernels::cpu::set_avx512_allowed(GetParam()); }
  void TearDown() override { kernels::cpu::set_avx512_allowed(true); }
};

TEST_P(ActivationPaths, GeluErfGeluTanhAndTanh) {
  const Activation acts[] = {Activation::kGelu, Activation::kGeluTanh, Activation::kTanh};
  for (int act = 0; act < 3; ++act) {
    for (auto [n, d] : {std::pair<int64_t, int64_t>{1, 1}, {3, 17}, {64, 1536}, {5, 100}}) {
      SCOPED_TRACE(::testing::Message() << "act " << act << " shape " << n << "x" << d);
      Guarded x(DType::kF32, {n, d});
      testing::fill_normal(x.data<float>(), n * d, 10 + act, 3.0f);
      x.data<float>()[0] = -30.0f;  // exp underflow side
      x.data<float>()[n * d - 1] = 30.0f;
      std::vector<float> want(static_cast<size_t>(n * d));
      kernels::ref::unary_activation(x.data<float>(), n * d, act, want.data());
      Guarded out(DType::kF32, {n, d});
      ASSERT_TRUE(activation(x.t(), acts[act], out.t()).is_ok());
      EXPECT_TRUE(all_close(out.data<float>(), want.data(), n * d, 1e-6, 2e-6));
      Guarded out16(DType::kBF16, {n, d});
      ASSERT_TRUE(activation(x.t(), acts[act], out16.t()).is_ok());
      EXPECT_TRUE(
          all_close(testing::bf16_to_floats(out16.data<uint16_t>(), n * d), want, 1e-6, 1.0 / 256));
      ASSERT_TRUE(activation(x.t(), acts[act], x.t()).is_ok());  // in place
      EXPECT_EQ(0, std::memcmp(x.data<float>(), out.data<float>(), static_cast<size_t>(n * d) * 4));
      EXPECT_TRUE(x.guards_intact() && out.guards_intact() && out16.guards_intact());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, ActivationPaths, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Avx512" : "Portable"; });

TEST(LinearBias, MatchesReferenceForEveryDtypeAndPrecision) {
  for (DType wdt : {DType::kF32, DType::kBF16, DType::kF16}) {
    for (MatmulPrecision precision : {MatmulPrecision::kF32, MatmulPrecision::kBF16}) {
      for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1},
                             {7, 96, 32},
                             {301, 33, 17},
                             {1100, 64, 128}}) {
        SCOPED_TRACE(::testing::Message()
                     << dtype_name(wdt) << " m " << m << " n " << n << " k " << k << " bf16 "
                     << (precision == MatmulPrecision::kBF16));
        std::vector<float> w = testing::normal_vector(n * k, 1, 0.1f);
        std::vector<float> bias = testing::normal_vector(n, 2);
        auto w32 = Tensor::empty(DType::kF32, {n, k});
        ASSERT_TRUE(w32.is_ok());
        std::copy(w.begin(), w.end(), w32->data<float>());
        // The bias arrives in the weight's dtype, as checkpoints store it.
        auto b_t = Tensor::empty(wdt, {n});
        ASSERT_TRUE(b_t.is_ok());
        for (int64_t i = 0; i < n; ++i) {
          if (wdt == DType::kF32) {
            b_t->data<float>()[i] = bias[static_cast<size_t>(i)];
          } else {
            const uint16_t bits = wdt == DType::kBF16 ? f32_to_bf16(bias[i]) : f32_to_f16(bias[i]);
            b_t->data<uint16_t>()[i] = bits;
            bias[static_cast<size_t>(i)] =
                wdt == DType::kBF16 ? bf16_to_f32(bits) : f16_to_f32(bits);
          }
        }
        auto prepared = LinearWeight::prepare(*w32, precision, &*b_t);
        ASSERT_TRUE(prepared.is_ok()) << prepared.status().to_string();
        EXPECT_TRUE((*prepared)->has_bias());
        Guarded x(DType::kF32, {m, k}), y(DType::kF32, {m, n});
        testing::fill_normal(x.data<float>(), m * k, 3);
        ASSERT_TRUE(linear(x.t(), **prepared, y.t()).is_ok());
        std::vector<float> xs(x.data<float>(), x.data<float>() + m * k);
        if (precision == MatmulPrecision::kBF16) {
          for (float& v : xs) v = kernels::ref::round_bf16(v);
          for (float& v : w) v = kernels::ref::round_bf16(v);
        }
        std::vector<float> want(static_cast<size_t>(m * n));
        kernels::ref::matmul_bias(xs.data(), w.data(), bias.data(), m, n, k, want.data());
        EXPECT_TRUE(all_close(y.data<float>(), want.data(), m * n, 2e-5, 1e-4));
        EXPECT_TRUE(y.guards_intact());
      }
    }
  }
  auto w = Tensor::zeros(DType::kF32, {8, 4});
  auto no_bias = LinearWeight::prepare(*w, MatmulPrecision::kF32);
  ASSERT_TRUE(no_bias.is_ok());
  EXPECT_FALSE((*no_bias)->has_bias());
  auto wrong = Tensor::zeros(DType::kF32, {7});
  Status s = LinearWeight::prepare(*w, MatmulPrecision::kF32, &*wrong).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("bias f32[7]"), std::string::npos) << s.to_string();
  auto i32 = Tensor::zeros(DType::kI32, {8});
  EXPECT_EQ(LinearWeight::prepare(*w, MatmulPrecision::kF32, &*i32).status().code(),
            StatusCode::kInvalidArgument);
}

// BERT runs the ragged attention bidirectionally with n_kv_heads == n_heads.
TEST(BidirectionalAttention, MultiHeadAtBertHeadSizes) {
  for (bool avx512 : {true, false}) {
    kernels::cpu::set_avx512_allowed(avx512);
    for (auto [n_heads, head_dim] : {std::pair<int, int>{4, 8}, {12, 32}, {12, 64}, {16, 64}}) {
      SCOPED_TRACE(::testing::Message()
                   << n_heads << " heads of " << head_dim << " avx512 " << avx512);
      const std::vector<int32_t> cu = {0, 1, 3, 40, 41, 170, 300, 556};
      const int64_t n = cu.back(), width = 3LL * n_heads * head_dim;
      std::vector<float> qkv = testing::normal_vector(n * width, 20 + head_dim);
      Tensor qkv_t = Tensor::borrow(DType::kF32, {n, width}, qkv.data(), nullptr);
      Tensor cu_t =
          Tensor::borrow(DType::kI32, {static_cast<int64_t>(cu.size())}, cu.data(), nullptr);
      Guarded out(DType::kF32, {n, int64_t{n_heads} * head_dim});
      ASSERT_TRUE(attention(qkv_t, cu_t, 256, n_heads, n_heads, head_dim, /*causal=*/false, out.t())
                      .is_ok());
      std::vector<float> want(static_cast<size_t>(out.t().numel()));
      kernels::ref::attention(qkv.data(), width, cu.data(), static_cast<int64_t>(cu.size()) - 1,
                              n_heads, n_heads, head_dim, false, want.data());
      EXPECT_TRUE(all_close(out.data<float>(), want.data(), out.t().numel(), 2e-6, 2e-5));
      EXPECT_TRUE(out.guards_intact());
      // A query early in a sequence sees keys after it: causal attention differs there.
      Guarded causal(DType::kF32, {n, int64_t{n_heads} * head_dim});
      ASSERT_TRUE(
          attention(qkv_t, cu_t, 256, n_heads, n_heads, head_dim, true, causal.t()).is_ok());
      EXPECT_NE(0, std::memcmp(causal.data<float>() + 3 * n_heads * head_dim,
                               out.data<float>() + 3 * n_heads * head_dim, 4 * size_t(head_dim)));
    }
  }
  kernels::cpu::set_avx512_allowed(true);
}

TEST(EncoderOps, RejectBadArguments) {
  auto x = Tensor::zeros(DType::kF32, {4, 8});
  auto w = Tensor::zeros(DType::kF32, {8});
  auto w7 = Tensor::zeros(DType::kF32, {7});
  auto out = Tensor::zeros(DType::kF32, {4, 8});
  auto out_f16 = Tensor::zeros(DType::kF16, {4, 8});
  auto out_bf16 = Tensor::zeros(DType::kBF16, {4, 8});
  Status s = layer_norm(*x, *w, *w7, 1e-5f, *out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("layer_norm"), std::string::npos);
  EXPECT_NE(s.message().find("bias f32[7]"), std::string::npos);
  EXPECT_EQ(layer_norm(*x, *w, *w, 1e-5f, *out_f16).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(add_layer_norm(*x, *out, *w, *w, 1e-5f, *out_bf16).code(),
            StatusCode::kInvalidArgument);  // the stream stays f32
  auto big = Tensor::zeros(DType::kF32, {5, 8});
  Tensor rows_0_4 = Tensor::borrow(DType::kF32, {4, 8}, big->data<float>(), nullptr);
  Tensor rows_1_5 = Tensor::borrow(DType::kF32, {4, 8}, big->data<float>() + 8, nullptr);
  EXPECT_EQ(add_layer_norm(*x, rows_0_4, *w, *w, 1e-5f, rows_1_5).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(add(*x, *big, *out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(activation(*x, Activation::kGelu, *out_f16).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(activation(rows_0_4, Activation::kGelu, rows_1_5).code(), StatusCode::kInvalidArgument);
  std::vector<int32_t> cu = {0, 2, 2, 4};
  Tensor cu_t = Tensor::borrow(DType::kI32, {4}, cu.data(), nullptr);
  auto pooled = Tensor::zeros(DType::kF32, {3, 8});
  EXPECT_TRUE(pool_tokens(*x, cu_t, TokenPooling::kMean, *pooled).is_ok());  // empty: zeros
  EXPECT_EQ(pool_tokens(*x, cu_t, TokenPooling::kFirst, *pooled).code(),
            StatusCode::kInvalidArgument);  // an empty sequence has no first token
  std::vector<int32_t> short_cu = {0, 2, 3, 3};
  Tensor short_t = Tensor::borrow(DType::kI32, {4}, short_cu.data(), nullptr);
  EXPECT_EQ(pool_tokens(*x, short_t, TokenPooling::kMean, *pooled).code(),
            StatusCode::kInvalidArgument);
  auto pooled_wrong = Tensor::zeros(DType::kF32, {2, 8});
  EXPECT_EQ(pool_tokens(*x, cu_t, TokenPooling::kMean, *pooled_wrong).code(),
            StatusCode::kInvalidArgument);
  Tensor gpu = Tensor::borrow(DType::kF32, {4, 8}, x->raw_data(), nullptr, DeviceKind::kCuda);
  // A CUDA tensor among CPU ones is a bad argument; all on CUDA with no context on this
  // thread is Unsupported (checked before any device memory is touched).
  EXPECT_EQ(layer_norm(gpu, *w, *w, 1e-5f, *out).code(), StatusCode::kInvalidArgument);
  Tensor gpu_out = Tensor::borrow(DType::kF32, {4, 8}, out->raw_data(), nullptr, DeviceKind::kCuda);
  EXPECT_EQ(activation(gpu, Activation::kTanh, gpu_out).code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace fourbrain::ops
