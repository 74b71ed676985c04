#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>
#include <tuple>
#include <vector>

#include "kernels/cpu/isa.h"
#include "kernels/ref/ref.h"
#include "ops/ops.h"
#include "ops/ops_test_util.h"

namespace fourbrain::ops {
namespace {

using testing::all_close;
using testing::Guarded;

struct Batch {
  std::vector<int32_t> cu{0};
  int max_len = 0;
  int64_t n() const { return cu.back(); }
};

Batch make_batch(const std::vector<int>& lengths) {
  Batch b;
  for (int len : lengths) {
    b.cu.push_back(b.cu.back() + len);
    b.max_len = std::max(b.max_len, len);
  }
  return b;
}

// Runs ops::attention on random qkv and checks it against the reference, guards included.
void check_attention(const std::vector<int>& lengths, int n_heads, int n_kv_heads, int head_dim,
                     bool causal, DType out_dtype, uint32_t seed) {
  const Batch b = make_batch(lengths);
  const int64_t width = int64_t{n_heads + 2 * n_kv_heads} * head_dim;
  std::vector<float> qkv = testing::normal_vector(b.n() * width, seed);
  Tensor qkv_t = Tensor::borrow(DType::kF32, {b.n(), width}, qkv.data(), nullptr);
  Tensor cu_t =
      Tensor::borrow(DType::kI32, {static_cast<int64_t>(b.cu.size())}, b.cu.data(), nullptr);
  Guarded out(out_dtype, {b.n(), int64_t{n_heads} * head_dim});
  Status s = attention(qkv_t, cu_t, b.max_len, n_heads, n_kv_heads, head_dim, causal, out.t());
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  ASSERT_TRUE(out.guards_intact());
  std::vector<float> want(static_cast<size_t>(out.t().numel()));
  kernels::ref::attention(qkv.data(), width, b.cu.data(), static_cast<int64_t>(lengths.size()),
                          n_heads, n_kv_heads, head_dim, causal, want.data());
  if (out_dtype == DType::kBF16) {
    std::vector<float> got = testing::bf16_to_floats(out.data<uint16_t>(), out.t().numel());
    EXPECT_TRUE(all_close(got, want, 1e-5, 1.0 / 128));
  } else {
    EXPECT_TRUE(all_close(out.data<float>(), want.data(), out.t().numel(), 2e-6, 2e-5));
  }
}

// Runs every test twice: hand-vectorised AVX-512 path (where the CPU has it) and portable.
class AttentionTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { kernels::cpu::set_avx512_allowed(GetParam()); }
  void TearDown() override { kernels::cpu::set_avx512_allowed(true); }
};

TEST_P(AttentionTest, MixedLengthsGqaCausalAndNot) {
  const std::vector<int> lengths = {1, 2, 5, 16, 17, 31, 63, 64, 65, 100, 127, 128, 129, 200};
  for (int n_rep : {1, 2, 4}) {
    for (bool causal : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "n_rep " << n_rep << " causal " << causal);
      check_attention(lengths, 2 * n_rep, 2, 128, causal, DType::kF32, 10 + n_rep);
    }
  }
}

TEST_P(AttentionTest, ManyRandomLengthsUpTo700) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> len(1, 700);
  std::vector<int> lengths(24);
  for (int& l : lengths) l = len(rng);
  check_attention(lengths, 4, 2, 64, true, DType::kF32, 21);
  check_attention(lengths, 4, 1, 64, false, DType::kF32, 22);
}

TEST_P(AttentionTest, HeadDims) {
  for (int head_dim : {16, 64, 80, 96, 200, 256, 72 /* not a multiple of 16 */, 6}) {
    SCOPED_TRACE(::testing::Message() << "head_dim " << head_dim);
    check_attention({1, 7, 33, 130}, 4, 2, head_dim, true, DType::kF32, 30 + head_dim);
    check_attention({3, 70}, 2, 2, head_dim, false, DType::kF32, 31 + head_dim);
  }
}

TEST_P(AttentionTest, Bf16Output) {
  check_attention({1, 50, 129}, 16, 8, 128, true, DType::kBF16, 40);
}

TEST_P(AttentionTest, EmptySequencesAndManyHeadsPerGroup) {
  check_attention({0, 5, 0, 0, 77, 0}, 16, 1, 64, true, DType::kF32, 50);  // n_rep 16
  check_attention({3, 9}, 96, 1, 16, false, DType::kF32, 51);              // n_rep > rows per task
}

TEST_P(AttentionTest, LongSequence) { check_attention({4100}, 1, 1, 64, true, DType::kF32, 60); }

TEST_P(AttentionTest, BatchInvariance) {
  const int n_heads = 16, n_kv = 8, d = 128;
  const int64_t width = int64_t{n_heads + 2 * n_kv} * d;
  const std::vector<int> lengths = {37, 300, 1, 129, 64};
  const Batch b = make_batch(lengths);
  std::vector<float> qkv = testing::normal_vector(b.n() * width, 70);
  std::vector<float> out(static_cast<size_t>(b.n() * n_heads * d));
  for (bool causal : {true, false}) {
    Tensor qkv_t = Tensor::borrow(DType::kF32, {b.n(), width}, qkv.data(), nullptr);
    Tensor cu_t =
        Tensor::borrow(DType::kI32, {static_cast<int64_t>(b.cu.size())}, b.cu.data(), nullptr);
    Tensor out_t = Tensor::borrow(DType::kF32, {b.n(), int64_t{n_heads} * d}, out.data(), nullptr);
    ASSERT_TRUE(attention(qkv_t, cu_t, b.max_len, n_heads, n_kv, d, causal, out_t).is_ok());
    for (size_t s = 0; s < lengths.size(); ++s) {
      const int64_t len = lengths[s];
      std::vector<int32_t> cu1 = {0, static_cast<int32_t>(len)};
      std::vector<float> alone(static_cast<size_t>(len * n_heads * d));
      Tensor q1 = Tensor::borrow(DType::kF32, {len, width}, qkv.data() + b.cu[s] * width, nullptr);
      Tensor c1 = Tensor::borrow(DType::kI32, {2}, cu1.data(), nullptr);
      Tensor o1 = Tensor::borrow(DType::kF32, {len, int64_t{n_heads} * d}, alone.data(), nullptr);
      ASSERT_TRUE(attention(q1, c1, static_cast<int>(len), n_heads, n_kv, d, causal, o1).is_ok());
      EXPECT_EQ(0, std::memcmp(alone.data(), out.data() + b.cu[s] * n_heads * d, alone.size() * 4))
          << "sequence " << s << " causal " << causal;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, AttentionTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Avx512" : "Portable"; });

TEST(Attention, RejectsBadArguments) {
  std::vector<float> qkv(static_cast<size_t>(10 * 4 * 16), 0.0f);
  std::vector<float> out(static_cast<size_t>(10 * 2 * 16));
  std::vector<int32_t> cu = {0, 4, 10};
  Tensor q =
      Tensor::borrow(DType::kF32, {10, 64}, qkv.data(), nullptr);  // 2 q + 2*1 kv heads of 16
  Tensor o = Tensor::borrow(DType::kF32, {10, 32}, out.data(), nullptr);
  Tensor c = Tensor::borrow(DType::kI32, {3}, cu.data(), nullptr);
  EXPECT_TRUE(attention(q, c, 6, 2, 1, 16, true, o).is_ok());
  Status s = attention(q, c, 6, 3, 1, 16, true, o);  // width mismatch and 3 % 1 fine -> width
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("attention"), std::string::npos);
  EXPECT_EQ(attention(q, c, 6, 2, 0, 16, true, o).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(attention(q, c, 5, 2, 1, 16, true, o).code(),
            StatusCode::kInvalidArgument);  // max_seqlen
  std::vector<int32_t> bad_cu = {0, 7, 5};
  Tensor bc = Tensor::borrow(DType::kI32, {3}, bad_cu.data(), nullptr);
  EXPECT_EQ(attention(q, bc, 10, 2, 1, 16, true, o).code(), StatusCode::kInvalidArgument);
  std::vector<int32_t> short_cu = {0, 4, 9};
  Tensor sc = Tensor::borrow(DType::kI32, {3}, short_cu.data(), nullptr);
  EXPECT_EQ(attention(q, sc, 10, 2, 1, 16, true, o).code(), StatusCode::kInvalidArgument);
  Tensor o_wrong = Tensor::borrow(DType::kF32, {10, 16}, out.data(), nullptr);
  EXPECT_EQ(attention(q, c, 6, 2, 1, 16, true, o_wrong).code(), StatusCode::kInvalidArgument);
  Tensor o_alias = Tensor::borrow(DType::kF32, {10, 32}, qkv.data(), nullptr);
  EXPECT_EQ(attention(q, c, 6, 2, 1, 16, true, o_alias).code(), StatusCode::kInvalidArgument);
  Tensor gpu = Tensor::borrow(DType::kF32, {10, 64}, qkv.data(), nullptr, DeviceKind::kCuda);
  // CUDA and CPU tensors mixed: refused before any device is touched.
  EXPECT_EQ(attention(gpu, c, 6, 2, 1, 16, true, o).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fourbrain::ops
