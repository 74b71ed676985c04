#include <gtest/gtest.h>

#include <thread>
#include <tuple>
#include <vector>

#include "kernels/ref/ref.h"
#include "ops/ops.h"
#include "ops/ops_test_util.h"

namespace fourbrain::ops {
namespace {

using testing::all_close;
using testing::Guarded;

// Writes `values` into a Guarded tensor of `dtype` (rounding), misaligned by `misalign`
// bytes, and returns the values as the weight really holds them.
std::vector<float> store_weight(const std::vector<float>& values, DType dtype, Guarded& g) {
  std::vector<float> held(values.size());
  auto* bytes = static_cast<uint8_t*>(g.t().raw_data());
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == DType::kF32) {
      std::memcpy(bytes + 4 * i, &values[i], 4);
      held[i] = values[i];
    } else {
      const uint16_t bits = dtype == DType::kBF16 ? f32_to_bf16(values[i]) : f32_to_f16(values[i]);
      std::memcpy(bytes + 2 * i, &bits, 2);
      held[i] = dtype == DType::kBF16 ? bf16_to_f32(bits) : f16_to_f32(bits);
    }
  }
  return held;
}

using LinearCase = std::tuple<DType, MatmulPrecision, int64_t /*m*/, int64_t /*n*/, int64_t /*k*/>;

class LinearTest : public ::testing::TestWithParam<LinearCase> {};

TEST_P(LinearTest, MatchesReference) {
  const auto [wdtype, precision, m, n, k] = GetParam();
  Guarded w(wdtype, {n, k}, /*misalign=*/2);  // a view into a file need not be aligned
  std::vector<float> held = store_weight(testing::normal_vector(n * k, 1, 0.1f), wdtype, w);
  auto prepared = LinearWeight::prepare(w.t(), precision);
  ASSERT_TRUE(prepared.is_ok()) << prepared.status().to_string();
  EXPECT_EQ((*prepared)->out_features(), n);
  EXPECT_EQ((*prepared)->in_features(), k);
  EXPECT_EQ((*prepared)->precision(), precision);
  EXPECT_GE((*prepared)->nbytes(),
            static_cast<size_t>(n * k) * (precision == MatmulPrecision::kBF16 ? 2 : 4));

  Guarded x(DType::kF32, {m, k});
  testing::fill_normal(x.data<float>(), m * k, 2);
  Guarded y(DType::kF32, {m, n});
  ASSERT_TRUE(linear(x.t(), **prepared, y.t()).is_ok());
  EXPECT_TRUE(x.guards_intact() && y.guards_intact());

  std::vector<float> xs(x.data<float>(), x.data<float>() + m * k);
  const bool bf16 = precision == MatmulPrecision::kBF16;
  if (bf16) {
    for (float& v : xs) v = kernels::ref::round_bf16(v);
    for (float& v : held) v = kernels::ref::round_bf16(v);
  }
  std::vector<float> want(static_cast<size_t>(m * n));
  kernels::ref::matmul(xs.data(), held.data(), m, n, k, want.data());
  // Outputs are O(0.1 * sqrt(k)); f32 accumulation error grows ~ sqrt(k) * eps.
  EXPECT_TRUE(all_close(y.data<float>(), want.data(), m * n, 2e-5, 1e-4));

  if (bf16) {  // bf16 activations go straight in, with the same result
    Guarded xb(DType::kBF16, {m, k}, 2);
    for (int64_t i = 0; i < m * k; ++i) xb.data<uint16_t>()[i] = f32_to_bf16(x.data<float>()[i]);
    Guarded yb(DType::kF32, {m, n});
    ASSERT_TRUE(linear(xb.t(), **prepared, yb.t()).is_ok());
    EXPECT_EQ(0, std::memcmp(yb.data<float>(), y.data<float>(), static_cast<size_t>(m * n) * 4));
    EXPECT_TRUE(yb.guards_intact());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, LinearTest,
    ::testing::Combine(::testing::Values(DType::kF32, DType::kBF16, DType::kF16),
                       ::testing::Values(MatmulPrecision::kF32, MatmulPrecision::kBF16),
                       ::testing::Values(1, 3, 64, 301), ::testing::Values(1, 33, 256),
                       ::testing::Values(1, 17, 128)));

// Batches over the GEMM's 1024-row block: the block seams and the tail must be exact.
INSTANTIATE_TEST_SUITE_P(RowBlocks, LinearTest,
                         ::testing::Combine(::testing::Values(DType::kBF16),
                                            ::testing::Values(MatmulPrecision::kF32,
                                                              MatmulPrecision::kBF16),
                                            ::testing::Values(1024, 1025, 2500),
                                            ::testing::Values(33), ::testing::Values(17, 128)));

TEST(Linear, ConcurrentCallsWithDifferentBatchSizes) {
  const int64_t n = 96, k = 80;
  auto w = Tensor::empty(DType::kF32, {n, k});
  ASSERT_TRUE(w.is_ok());
  testing::fill_normal(w->data<float>(), n * k, 3);
  for (MatmulPrecision precision : {MatmulPrecision::kF32, MatmulPrecision::kBF16}) {
    auto prepared = LinearWeight::prepare(*w, precision);
    ASSERT_TRUE(prepared.is_ok());
    std::vector<std::thread> threads;
    std::vector<int> failures(8, 0);
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int iter = 0; iter < 20; ++iter) {
          const int64_t m = 1 + (t * 7 + iter * 13) % 50;
          std::vector<float> x =
              testing::normal_vector(m * k, static_cast<uint32_t>(t * 100 + iter));
          std::vector<float> y(static_cast<size_t>(m * n)), want(y.size());
          Tensor xt = Tensor::borrow(DType::kF32, {m, k}, x.data(), nullptr);
          Tensor yt = Tensor::borrow(DType::kF32, {m, n}, y.data(), nullptr);
          if (!linear(xt, **prepared, yt).is_ok()) ++failures[t];
          std::vector<float> ws(w->data<float>(), w->data<float>() + n * k);
          if (precision == MatmulPrecision::kBF16) {
            for (float& v : x) v = kernels::ref::round_bf16(v);
            for (float& v : ws) v = kernels::ref::round_bf16(v);
          }
          kernels::ref::matmul(x.data(), ws.data(), m, n, k, want.data());
          if (!all_close(y, want, 1e-4, 1e-4)) ++failures[t];
        }
      });
    }
    for (auto& th : threads) th.join();
    for (int t = 0; t < 8; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  }
}

TEST(Linear, RejectsBadShapesAndDtypes) {
  auto w = Tensor::zeros(DType::kF32, {8, 4});
  ASSERT_TRUE(w.is_ok());
  auto f32 = LinearWeight::prepare(*w, MatmulPrecision::kF32);
  ASSERT_TRUE(f32.is_ok());
  auto x = Tensor::zeros(DType::kF32, {3, 4});
  auto x_wrong = Tensor::zeros(DType::kF32, {3, 5});
  auto x_bf16 = Tensor::zeros(DType::kBF16, {3, 4});
  auto y = Tensor::zeros(DType::kF32, {3, 8});
  auto y_wrong = Tensor::zeros(DType::kF32, {2, 8});
  Status s = linear(*x_wrong, **f32, *y);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("linear"), std::string::npos);
  EXPECT_NE(s.message().find("[3, 5]"), std::string::npos);
  EXPECT_EQ(linear(*x, **f32, *y_wrong).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(linear(*x_bf16, **f32, *y).code(), StatusCode::kInvalidArgument);  // bf16 x needs kBF16
  EXPECT_EQ(linear(*x, **f32, *x).code(), StatusCode::kInvalidArgument);

  auto v = Tensor::zeros(DType::kF32, {8});
  auto i32 = Tensor::zeros(DType::kI32, {8, 4});
  auto empty = Tensor::zeros(DType::kF32, {0, 4});
  EXPECT_EQ(LinearWeight::prepare(*v, MatmulPrecision::kF32).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(LinearWeight::prepare(*i32, MatmulPrecision::kF32).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(LinearWeight::prepare(*empty, MatmulPrecision::kF32).status().code(),
            StatusCode::kInvalidArgument);

  Tensor gpu = Tensor::borrow(DType::kF32, {8, 4}, w->raw_data(), nullptr, DeviceKind::kCuda);
  EXPECT_EQ(LinearWeight::prepare(gpu, MatmulPrecision::kF32).status().code(),
            StatusCode::kUnsupported);
  Tensor gpu_x = Tensor::borrow(DType::kF32, {3, 4}, x->raw_data(), nullptr, DeviceKind::kCuda);
  EXPECT_EQ(linear(gpu_x, **f32, *y).code(), StatusCode::kUnsupported);

  auto zero_rows = Tensor::zeros(DType::kF32, {0, 4});
  auto zero_out = Tensor::zeros(DType::kF32, {0, 8});
  EXPECT_TRUE(linear(*zero_rows, **f32, *zero_out).is_ok());
}

}  // namespace
}  // namespace fourbrain::ops
