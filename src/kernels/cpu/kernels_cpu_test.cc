#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/cpu/avx512_util.h"
#include "kernels/cpu/convert.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/isa.h"
#include "kernels/ref/ref.h"

namespace fourbrain::kernels::cpu {
namespace {

std::vector<float> random_floats(size_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,fma")

std::vector<float> exp_avx512(const std::vector<float>& x) {
  std::vector<float> y(x.size());
  for (size_t i = 0; i + 16 <= x.size(); i += 16) {
    _mm512_storeu_ps(&y[i], avx512::exp_ps(_mm512_loadu_ps(&x[i])));
  }
  return y;
}

std::vector<uint16_t> bf16_avx512(const std::vector<float>& x) {
  std::vector<uint16_t> y(x.size());
  for (size_t i = 0; i + 16 <= x.size(); i += 16) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(&y[i]),
                        avx512::cvt_bf16(_mm512_loadu_ps(&x[i])));
  }
  return y;
}

std::vector<float> transpose_avx512(const std::vector<float>& x) {
  __m512 rows[16];
  for (int i = 0; i < 16; ++i) rows[i] = _mm512_loadu_ps(&x[static_cast<size_t>(16 * i)]);
  avx512::transpose16(rows);
  std::vector<float> y(256);
  for (int i = 0; i < 16; ++i) _mm512_storeu_ps(&y[static_cast<size_t>(16 * i)], rows[i]);
  return y;
}

#pragma GCC pop_options

TEST(Avx512Util, ExpWithinTwoUlp) {
  if (!has_avx512()) GTEST_SKIP() << "no AVX-512";
  std::vector<float> x = random_floats(1 << 16, 1, -87.0f, 88.5f);
  x[0] = 0.0f;
  x[1] = -1e-8f;
  x[2] = 88.7f;
  x[3] = -87.3f;
  const std::vector<float> y = exp_avx512(x);
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(double{x[i]});
    const double ulp = std::ldexp(1.0, std::ilogb(want) - 23);
    ASSERT_LE(std::fabs(y[i] - want), 2 * ulp) << "x = " << x[i];
  }
  std::vector<float> edge = {-std::numeric_limits<float>::infinity(),
                             -1000.0f,
                             -88.0f,
                             89.0f,
                             std::numeric_limits<float>::infinity(),
                             1e30f,
                             -1e30f,
                             0.5f,
                             0,
                             0,
                             0,
                             0,
                             0,
                             0,
                             0,
                             0};
  const std::vector<float> e = exp_avx512(edge);
  EXPECT_EQ(e[0], 0.0f);
  EXPECT_EQ(e[1], 0.0f);
  EXPECT_EQ(e[2], 0.0f);  // flushed instead of a denormal
  EXPECT_EQ(e[3], std::numeric_limits<float>::infinity());
  EXPECT_EQ(e[4], std::numeric_limits<float>::infinity());
  EXPECT_EQ(e[5], std::numeric_limits<float>::infinity());
  EXPECT_EQ(e[6], 0.0f);
}

TEST(Avx512Util, Bf16RoundingMatchesScalar) {
  if (!has_avx512()) GTEST_SKIP() << "no AVX-512";
  std::vector<float> x = random_floats(4096, 2, -1e6f, 1e6f);
  std::mt19937 rng(3);
  for (size_t i = 0; i < 1024; ++i) {  // arbitrary bit patterns, NaNs and ties included
    uint32_t bits = rng();
    if (i % 7 == 0) bits = (bits & 0xffff0000u) | 0x8000u;
    std::memcpy(&x[i], &bits, 4);
  }
  const std::vector<uint16_t> y = bf16_avx512(x);
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(y[i], f32_to_bf16(x[i])) << i;
  std::vector<uint16_t> z(x.size());
  convert_to_bf16(x.data(), DType::kF32, static_cast<int64_t>(x.size()), z.data());
  EXPECT_EQ(z, y);
}

TEST(Avx512Util, Transpose16) {
  if (!has_avx512()) GTEST_SKIP() << "no AVX-512";
  std::vector<float> x(256);
  for (int i = 0; i < 256; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i);
  const std::vector<float> y = transpose_avx512(x);
  for (int r = 0; r < 16; ++r)
    for (int c = 0; c < 16; ++c)
      ASSERT_EQ(y[static_cast<size_t>(16 * r + c)], x[static_cast<size_t>(16 * c + r)]);
}

TEST(Gemm, BothLayoutsManyBatchSizes) {
  const int64_t n = 160, k = 96;
  const std::vector<float> w = random_floats(static_cast<size_t>(n * k), 4, -1, 1);
  for (GemmPrecision p : {GemmPrecision::kF32, GemmPrecision::kBF16}) {
    for (GemmWeightLayout layout : {GemmWeightLayout::kBlocked, GemmWeightLayout::kPlain}) {
      auto packed = GemmWeight::pack(w.data(), DType::kF32, n, k, p, layout);
      ASSERT_TRUE(packed.is_ok()) << packed.status().to_string();
      std::vector<float> wr = w;
      if (p == GemmPrecision::kBF16)
        for (float& v : wr) v = ref::round_bf16(v);
      for (int64_t m : {1, 2, 5, 16, 31, 100, 257, 1024}) {
        std::vector<float> x =
            random_floats(static_cast<size_t>(m * k), 5 + static_cast<uint32_t>(m), -1, 1);
        std::vector<float> y(static_cast<size_t>(m * n) + 16, 12345.0f),
            want(static_cast<size_t>(m * n));
        ASSERT_TRUE((*packed)->multiply(x.data(), DType::kF32, m, y.data()).is_ok());
        if (p == GemmPrecision::kBF16)
          for (float& v : x) v = ref::round_bf16(v);
        ref::matmul(x.data(), wr.data(), m, n, k, want.data());
        for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(y[i], want[i], 1e-4) << "m " << m;
        for (size_t i = want.size(); i < y.size(); ++i) ASSERT_EQ(y[i], 12345.0f) << "wrote past y";
      }
    }
  }
}

TEST(Gemm, RejectsBadInput) {
  float w[4] = {1, 2, 3, 4};
  EXPECT_FALSE(GemmWeight::pack(w, DType::kI32, 2, 2, GemmPrecision::kF32).is_ok());
  EXPECT_FALSE(GemmWeight::pack(w, DType::kF32, 0, 2, GemmPrecision::kF32).is_ok());
  auto packed = GemmWeight::pack(w, DType::kF32, 2, 2, GemmPrecision::kF32);
  ASSERT_TRUE(packed.is_ok());
  float y[4];
  EXPECT_FALSE((*packed)->multiply(w, DType::kBF16, 2, y).is_ok());
  EXPECT_TRUE((*packed)->multiply(w, DType::kF32, 0, y).is_ok());
}

}  // namespace
}  // namespace fourbrain::kernels::cpu
