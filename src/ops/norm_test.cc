#include <gtest/gtest.h>

#include <vector>

#include "kernels/ref/ref.h"
#include "ops/ops.h"
#include "ops/ops_test_util.h"

namespace fourbrain::ops {
namespace {

using testing::all_close;
using testing::Guarded;

class NormTest : public ::testing::TestWithParam<std::pair<int64_t, int64_t>> {};

TEST_P(NormTest, RmsNormF32AndBf16) {
  const auto [n, h] = GetParam();
  Guarded x(DType::kF32, {n, h});
  testing::fill_normal(x.data<float>(), n * h, 1, 3.0f);
  Guarded w(DType::kF32, {h});
  testing::fill_normal(w.data<float>(), h, 2);
  std::vector<float> want(static_cast<size_t>(n * h));
  kernels::ref::rms_norm(x.data<float>(), w.data<float>(), n, h, 1e-6f, want.data());

  Guarded out(DType::kF32, {n, h});
  ASSERT_TRUE(rms_norm(x.t(), w.t(), 1e-6f, out.t()).is_ok());
  EXPECT_TRUE(all_close(out.data<float>(), want.data(), n * h, 1e-6, 5e-6));
  EXPECT_TRUE(out.guards_intact());

  Guarded out16(DType::kBF16, {n, h});
  ASSERT_TRUE(rms_norm(x.t(), w.t(), 1e-6f, out16.t()).is_ok());
  EXPECT_TRUE(
      all_close(testing::bf16_to_floats(out16.data<uint16_t>(), n * h), want, 1e-6, 1.0 / 256));
  EXPECT_TRUE(out16.guards_intact());

  ASSERT_TRUE(rms_norm(x.t(), w.t(), 1e-6f, x.t()).is_ok());  // in place
  EXPECT_EQ(0, std::memcmp(x.data<float>(), out.data<float>(), static_cast<size_t>(n * h) * 4));
  EXPECT_TRUE(x.guards_intact() && w.guards_intact());
}

TEST_P(NormTest, AddRmsNorm) {
  const auto [n, h] = GetParam();
  Guarded residual(DType::kF32, {n, h}), x(DType::kF32, {n, h}), w(DType::kF32, {h});
  testing::fill_normal(residual.data<float>(), n * h, 3);
  testing::fill_normal(x.data<float>(), n * h, 4);
  testing::fill_normal(w.data<float>(), h, 5);
  std::vector<float> want_res(residual.data<float>(), residual.data<float>() + n * h);
  std::vector<float> want(static_cast<size_t>(n * h));
  kernels::ref::add_rms_norm(want_res.data(), x.data<float>(), w.data<float>(), n, h, 1e-6f,
                             want.data());
  for (DType dt : {DType::kF32, DType::kBF16}) {
    Guarded r(DType::kF32, {n, h});
    std::memcpy(r.data<float>(), residual.data<float>(), static_cast<size_t>(n * h) * 4);
    Guarded out(dt, {n, h});
    ASSERT_TRUE(add_rms_norm(r.t(), x.t(), w.t(), 1e-6f, out.t()).is_ok());
    EXPECT_TRUE(all_close(r.data<float>(), want_res.data(), n * h, 0, 0));  // one f32 add: exact
    if (dt == DType::kF32) {
      EXPECT_TRUE(all_close(out.data<float>(), want.data(), n * h, 1e-6, 5e-6));
    } else {
      EXPECT_TRUE(
          all_close(testing::bf16_to_floats(out.data<uint16_t>(), n * h), want, 1e-6, 1.0 / 256));
    }
    EXPECT_TRUE(r.guards_intact() && out.guards_intact());
  }
  // out may be x itself.
  ASSERT_TRUE(add_rms_norm(residual.t(), x.t(), w.t(), 1e-6f, x.t()).is_ok());
  EXPECT_TRUE(all_close(x.data<float>(), want.data(), n * h, 1e-6, 5e-6));
}

TEST_P(NormTest, L2Normalize) {
  const auto [n, h] = GetParam();
  Guarded x(DType::kF32, {n, h});
  testing::fill_normal(x.data<float>(), n * h, 6);
  std::fill(x.data<float>(), x.data<float>() + h, 0.0f);  // a zero row stays zero
  std::vector<float> want(x.data<float>(), x.data<float>() + n * h);
  kernels::ref::l2_normalize_rows(want.data(), n, h);
  ASSERT_TRUE(l2_normalize_rows(x.t()).is_ok());
  EXPECT_TRUE(all_close(x.data<float>(), want.data(), n * h, 1e-7, 2e-6));
  for (int64_t i = 0; i < h; ++i) EXPECT_EQ(x.data<float>()[i], 0.0f);
  EXPECT_TRUE(x.guards_intact());
}

INSTANTIATE_TEST_SUITE_P(Shapes, NormTest,
                         ::testing::Values(std::pair<int64_t, int64_t>{1, 1},
                                           std::pair<int64_t, int64_t>{1, 1024},
                                           std::pair<int64_t, int64_t>{3, 17},
                                           std::pair<int64_t, int64_t>{77, 1024},
                                           std::pair<int64_t, int64_t>{513, 130}));

TEST(Norm, RejectsBadArguments) {
  auto x = Tensor::zeros(DType::kF32, {4, 8});
  auto w = Tensor::zeros(DType::kF32, {8});
  auto w7 = Tensor::zeros(DType::kF32, {7});
  auto out = Tensor::zeros(DType::kF32, {4, 8});
  auto out_f16 = Tensor::zeros(DType::kF16, {4, 8});
  auto xi = Tensor::zeros(DType::kI32, {4, 8});
  Status s = rms_norm(*x, *w7, 1e-6f, *out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("rms_norm"), std::string::npos);
  EXPECT_NE(s.message().find("f32[7]"), std::string::npos);
  EXPECT_EQ(rms_norm(*x, *w, 1e-6f, *out_f16).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(rms_norm(*xi, *w, 1e-6f, *out).code(), StatusCode::kInvalidArgument);
  auto big = Tensor::zeros(DType::kF32, {5, 8});
  Tensor x_in_big = Tensor::borrow(DType::kF32, {4, 8}, big->data<float>(), nullptr);
  Tensor shifted_big = Tensor::borrow(DType::kF32, {4, 8}, big->data<float>() + 1, nullptr);
  EXPECT_EQ(rms_norm(x_in_big, *w, 1e-6f, shifted_big).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(add_rms_norm(*x, *out, *w, 1e-6f, *x).code(),
            StatusCode::kInvalidArgument);  // residual = out
  auto x5 = Tensor::zeros(DType::kF32, {5, 8});
  EXPECT_EQ(add_rms_norm(*x, *x5, *w, 1e-6f, *out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(l2_normalize_rows(*xi).code(), StatusCode::kInvalidArgument);
  Tensor gpu = Tensor::borrow(DType::kF32, {4, 8}, x->raw_data(), nullptr, DeviceKind::kCuda);
  EXPECT_EQ(l2_normalize_rows(gpu).code(), StatusCode::kUnsupported);
  // Mixed devices are a bad argument; all-CUDA tensors need this thread's CUDA context.
  EXPECT_EQ(rms_norm(gpu, *w, 1e-6f, *out).code(), StatusCode::kInvalidArgument);
  Tensor gpu_w = Tensor::borrow(DType::kF32, {8}, w->raw_data(), nullptr, DeviceKind::kCuda);
  Tensor gpu_out = Tensor::borrow(DType::kF32, {4, 8}, out->raw_data(), nullptr, DeviceKind::kCuda);
  EXPECT_EQ(rms_norm(gpu, gpu_w, 1e-6f, gpu_out).code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace fourbrain::ops
