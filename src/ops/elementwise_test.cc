#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/cpu/isa.h"
#include "kernels/ref/ref.h"
#include "ops/ops.h"
#include "ops/ops_test_util.h"

namespace fourbrain::ops {
namespace {

using testing::all_close;
using testing::Guarded;

class PathTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { kernels::cpu::set_avx512_allowed(GetParam()); }
  void TearDown() override { kernels::cpu::set_avx512_allowed(true); }
};

TEST_P(PathTest, SiluMul) {
  for (auto [n, inter] : {std::pair<int64_t, int64_t>{1, 1}, {3, 17}, {64, 3072}, {5, 100}}) {
    Guarded gate_up(DType::kF32, {n, 2 * inter});
    testing::fill_normal(gate_up.data<float>(), n * 2 * inter, 1, 4.0f);
    gate_up.data<float>()[0] = -100.0f;  // exp overflow side
    gate_up.data<float>()[n * 2 * inter - 1] = 95.0f;
    std::vector<float> want(static_cast<size_t>(n * inter));
    kernels::ref::silu_mul(gate_up.data<float>(), n, inter, want.data());
    Guarded out(DType::kF32, {n, inter});
    ASSERT_TRUE(silu_mul(gate_up.t(), out.t()).is_ok());
    EXPECT_TRUE(all_close(out.data<float>(), want.data(), n * inter, 1e-30, 1e-6));
    Guarded out16(DType::kBF16, {n, inter});
    ASSERT_TRUE(silu_mul(gate_up.t(), out16.t()).is_ok());
    EXPECT_TRUE(all_close(testing::bf16_to_floats(out16.data<uint16_t>(), n * inter), want, 1e-30,
                          1.0 / 256));
    EXPECT_TRUE(out.guards_intact() && out16.guards_intact() && gate_up.guards_intact());
  }
}

TEST_P(PathTest, QkNormRope) {
  const int n_heads = 4, n_kv = 2;
  for (int head_dim : {128, 64, 6, 256}) {
    const int64_t n = 37;
    const int64_t width = int64_t{n_heads + 2 * n_kv} * head_dim;
    Guarded qkv(DType::kF32, {n, width});
    testing::fill_normal(qkv.data<float>(), n * width, 2, 2.0f);
    Guarded qn(DType::kF32, {head_dim}), kn(DType::kF32, {head_dim});
    testing::fill_normal(qn.data<float>(), head_dim, 3);
    testing::fill_normal(kn.data<float>(), head_dim, 4);
    Guarded pos(DType::kI32, {n});
    for (int64_t i = 0; i < n; ++i) pos.data<int32_t>()[i] = static_cast<int32_t>(i * 997 % 5000);
    pos.data<int32_t>()[5] = 70000;  // past the cached table
    pos.data<int32_t>()[6] = 32767;
    std::vector<float> want(qkv.data<float>(), qkv.data<float>() + n * width);
    kernels::ref::qk_norm_rope(want.data(), width, n, n_heads, n_kv, head_dim, qn.data<float>(),
                               kn.data<float>(), 1e-6f, pos.data<int32_t>(), 1e6f);
    ASSERT_TRUE(qk_norm_rope(qkv.t(), n_heads, n_kv, head_dim, qn.t(), kn.t(), 1e-6f, pos.t(), 1e6f)
                    .is_ok());
    EXPECT_TRUE(all_close(qkv.data<float>(), want.data(), n * width, 2e-6, 5e-6))
        << "head_dim " << head_dim;
    EXPECT_TRUE(qkv.guards_intact());
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, PathTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Avx512" : "Portable"; });

TEST(Elementwise, EmbeddingLookupAllDtypesUnaligned) {
  const int64_t vocab = 50, hidden = 37;
  std::vector<float> values = testing::normal_vector(vocab * hidden, 5);
  std::vector<int32_t> ids = {0, 49, 7, 7, 23};
  Tensor id_t = Tensor::borrow(DType::kI32, {5}, ids.data(), nullptr);
  for (DType dt : {DType::kF32, DType::kBF16, DType::kF16}) {
    Guarded table(dt, {vocab, hidden}, /*misalign=*/2);
    auto* bytes = static_cast<uint8_t*>(table.t().raw_data());
    for (int64_t i = 0; i < vocab * hidden; ++i) {
      if (dt == DType::kF32) {
        std::memcpy(bytes + 4 * i, &values[static_cast<size_t>(i)], 4);
      } else {
        const uint16_t b = dt == DType::kBF16 ? f32_to_bf16(values[static_cast<size_t>(i)])
                                              : f32_to_f16(values[static_cast<size_t>(i)]);
        std::memcpy(bytes + 2 * i, &b, 2);
      }
    }
    std::vector<float> want(static_cast<size_t>(5 * hidden));
    kernels::ref::embedding_lookup(bytes, dt, hidden, ids.data(), 5, want.data());
    Guarded out(DType::kF32, {5, hidden});
    ASSERT_TRUE(embedding_lookup(table.t(), id_t, out.t()).is_ok());
    EXPECT_TRUE(all_close(out.data<float>(), want.data(), 5 * hidden, 0, 0));
    EXPECT_TRUE(out.guards_intact());
  }
  auto table = Tensor::zeros(DType::kF32, {vocab, hidden});
  auto out = Tensor::zeros(DType::kF32, {1, hidden});
  for (int32_t bad : {-1, 50}) {
    Tensor bad_id = Tensor::borrow(DType::kI32, {1}, &bad, nullptr);
    Status s = embedding_lookup(*table, bad_id, *out);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("embedding_lookup"), std::string::npos);
  }
  auto out_wrong = Tensor::zeros(DType::kF32, {5, hidden + 1});
  EXPECT_EQ(embedding_lookup(*table, id_t, *out_wrong).code(), StatusCode::kInvalidArgument);
  auto i64 = Tensor::zeros(DType::kI64, {5});
  auto out5 = Tensor::zeros(DType::kF32, {5, hidden});
  EXPECT_EQ(embedding_lookup(*table, *i64, *out5).code(), StatusCode::kInvalidArgument);
}

TEST(Elementwise, RejectsBadArguments) {
  auto gu = Tensor::zeros(DType::kF32, {4, 10});
  auto gu_odd = Tensor::zeros(DType::kF32, {4, 9});
  auto out = Tensor::zeros(DType::kF32, {4, 5});
  auto out_wrong = Tensor::zeros(DType::kF32, {4, 6});
  EXPECT_TRUE(silu_mul(*gu, *out).is_ok());
  EXPECT_EQ(silu_mul(*gu_odd, *out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(silu_mul(*gu, *out_wrong).code(), StatusCode::kInvalidArgument);
  Tensor alias = Tensor::borrow(DType::kF32, {4, 5}, gu->raw_data(), nullptr);
  EXPECT_EQ(silu_mul(*gu, alias).code(), StatusCode::kInvalidArgument);

  auto qkv = Tensor::zeros(DType::kF32, {3, 4 * 8});  // 2 q + 2 * 1 kv heads of 8
  auto norm8 = Tensor::zeros(DType::kF32, {8});
  auto norm7 = Tensor::zeros(DType::kF32, {7});
  auto pos = Tensor::zeros(DType::kI32, {3});
  auto pos2 = Tensor::zeros(DType::kI32, {2});
  EXPECT_TRUE(qk_norm_rope(*qkv, 2, 1, 8, *norm8, *norm8, 1e-6f, *pos, 1e6f).is_ok());
  Status s = qk_norm_rope(*qkv, 2, 1, 8, *norm7, *norm8, 1e-6f, *pos, 1e6f);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("qk_norm_rope"), std::string::npos);
  EXPECT_EQ(qk_norm_rope(*qkv, 2, 1, 8, *norm8, *norm8, 1e-6f, *pos2, 1e6f).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(qk_norm_rope(*qkv, 3, 1, 8, *norm8, *norm8, 1e-6f, *pos, 1e6f).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(qk_norm_rope(*qkv, 2, 1, 8, *norm8, *norm8, 1e-6f, *pos, 0.0f).code(),
            StatusCode::kInvalidArgument);
  pos->data<int32_t>()[1] = -1;
  EXPECT_EQ(qk_norm_rope(*qkv, 2, 1, 8, *norm8, *norm8, 1e-6f, *pos, 1e6f).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fourbrain::ops
