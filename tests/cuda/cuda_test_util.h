// Helpers for the CUDA tests: a context and device memory for the test's thread, host <->
// device tensor copies, and outputs with guard bytes to catch out-of-bounds writes.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "core/tensor.h"
#include "kernels/cuda/cuda_backend.h"
#include "ops/ops.h"
#include "ops/transfer.h"

namespace fourbrain::testing {

#define FB_REQUIRE_GPU()                                                       \
  do {                                                                         \
    if (::fourbrain::kernels::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device"; \
  } while (0)

class GpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FB_REQUIRE_GPU();
    auto ctx = kernels::cuda::create_context(0);
    ASSERT_TRUE(ctx.is_ok()) << ctx.status().to_string();
    ctx_ = std::move(ctx).value();
    auto mem = kernels::cuda::make_device_allocator(0);
    ASSERT_TRUE(mem.is_ok());
    mem_ = std::move(mem).value();
    scope_ = std::make_unique<kernels::cuda::ContextScope>(*ctx_);
  }
  void TearDown() override {
    if (ctx_) {
      EXPECT_TRUE(kernels::cuda::synchronize(*ctx_).is_ok());
    }
    scope_.reset();
  }

  Tensor to_gpu(const Tensor& host) {
    Tensor t = Tensor::empty(host.dtype(), host.shape(), *mem_).value();
    EXPECT_TRUE(ops::copy(host, t).is_ok());
    return t;
  }
  Tensor to_host(const Tensor& dev) {
    Tensor t = Tensor::empty(dev.dtype(), dev.shape()).value();
    auto st = ops::copy(dev, t);
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    return t;
  }

  // A device tensor with 4 KiB of guard bytes on each side, filled with a pattern that
  // check_guards() expects to find untouched.
  struct Guarded {
    Tensor block;  // u8, guard + payload + guard
    Tensor view;
  };
  static constexpr size_t kGuard = 4096;
  Guarded guarded(DType dtype, Shape shape) {
    const size_t payload = dtype_bytes(dtype, static_cast<size_t>(shape.numel()));
    Guarded g;
    g.block = Tensor::empty(DType::kU8, {static_cast<int64_t>(payload + 2 * kGuard)}, *mem_).value();
    std::vector<uint8_t> fill(payload + 2 * kGuard, 0xA5);
    EXPECT_TRUE(kernels::cuda::copy_to_device(g.block.raw_data(), fill.data(), fill.size()).is_ok());
    g.view = Tensor::borrow(dtype, std::move(shape), static_cast<uint8_t*>(g.block.raw_data()) + kGuard,
                            nullptr, DeviceKind::kCuda);
    return g;
  }
  void check_guards(const Guarded& g) {
    std::vector<uint8_t> bytes(static_cast<size_t>(g.block.numel()));
    ASSERT_TRUE(kernels::cuda::copy_to_host(bytes.data(), g.block.raw_data(), bytes.size()).is_ok());
    const size_t payload = bytes.size() - 2 * kGuard;
    for (size_t i = 0; i < kGuard; ++i) {
      ASSERT_EQ(bytes[i], 0xA5) << "write before the output at byte " << i;
      ASSERT_EQ(bytes[kGuard + payload + i], 0xA5) << "write after the output at byte " << i;
    }
  }

  // linear() then linear_accumulate() into one f32 y gives twice `want` (the product of x
  // and the weight), within tol_fraction of its largest magnitude; no write outside y.
  void expect_accumulate_doubles(const Tensor& x, const ops::LinearWeight& weight,
                                 const std::vector<float>& want, double tol_fraction);

  kernels::cuda::ContextPtr ctx_;
  std::unique_ptr<Allocator> mem_;
  std::unique_ptr<kernels::cuda::ContextScope> scope_;
};

inline Tensor random_host(DType dtype, Shape shape, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  Tensor t = Tensor::empty(dtype, std::move(shape)).value();
  for (int64_t i = 0; i < t.numel(); ++i) {
    const float v = dist(rng);
    if (dtype == DType::kBF16) t.data<uint16_t>()[i] = f32_to_bf16(v);
    else t.data<float>()[i] = v;
  }
  return t;
}

// f32 copy of an f32 or bf16 host tensor.
inline std::vector<float> floats(const Tensor& t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = t.dtype() == DType::kBF16 ? bf16_to_f32(t.data<uint16_t>()[i]) : t.data<float>()[i];
  }
  return out;
}

// An f32 tensor holding the bf16 rounding of `t` (so both backends see the same inputs).
inline Tensor round_to_bf16(const Tensor& t) {
  Tensor out = Tensor::empty(DType::kF32, t.shape()).value();
  for (int64_t i = 0; i < t.numel(); ++i) out.data<float>()[i] = bf16_to_f32(f32_to_bf16(t.data<float>()[i]));
  return out;
}

inline Tensor to_bf16(const Tensor& t) {
  Tensor out = Tensor::empty(DType::kBF16, t.shape()).value();
  for (int64_t i = 0; i < t.numel(); ++i) out.data<uint16_t>()[i] = f32_to_bf16(t.data<float>()[i]);
  return out;
}

inline double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, static_cast<double>(std::abs(x)));
  return m;
}

// x [n, k] · wᵀ (w [out, k]) accumulated in double: the reference of the GEMM tests.
inline std::vector<float> product_in_double(const std::vector<float>& x, const std::vector<float>& w,
                                            int64_t n, int64_t out, int64_t k) {
  std::vector<float> y(static_cast<size_t>(n * out));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t o = 0; o < out; ++o) {
      double acc = 0;
      for (int64_t j = 0; j < k; ++j) acc += static_cast<double>(x[i * k + j]) * w[o * k + j];
      y[i * out + o] = static_cast<float>(acc);
    }
  }
  return y;
}

inline double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
  return m;
}

inline void GpuTest::expect_accumulate_doubles(const Tensor& x, const ops::LinearWeight& weight,
                                               const std::vector<float>& want,
                                               double tol_fraction) {
  auto y = guarded(DType::kF32, {x.dim(0), weight.out_features()});
  ASSERT_TRUE(ops::linear(x, weight, y.view).is_ok());
  ASSERT_TRUE(ops::linear_accumulate(x, weight, y.view).is_ok());
  std::vector<float> twice = want;
  for (float& v : twice) v *= 2;
  EXPECT_LE(max_diff(floats(to_host(y.view)), twice), tol_fraction * max_abs(twice))
      << "n " << x.dim(0);
  check_guards(y);
}

}  // namespace fourbrain::testing
