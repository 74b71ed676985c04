// FP8 rows (ops::Fp8Rows): the norm, SwiGLU and bf16 quantizers that write them, against
// the host's E4M3 conversion (quant/, bit-exact with torch) of the same f32 values, and the
// FP8 GEMM fed with them against the GEMM that quantizes its bf16 input itself.
#include <cmath>

#include "cuda_test_util.h"
#include "ops/ops.h"
#include "quant/fp_formats.h"
#include "quant/weight_quantizers.h"

namespace fourbrain {
namespace {

using testing::floats;
using testing::random_host;

class CudaFp8RowsTest : public testing::GpuTest {
 protected:
  ops::LinearInput fp8_rows(int64_t n, int64_t k) {
    auto rows = ops::LinearInput::fp8_rows(n, k, *mem_);
    EXPECT_TRUE(rows.is_ok()) << rows.status().to_string();
    return std::move(rows).value();
  }

  // The GPU's rows against the host quantizer applied to `values` (f32 [n, k]): the scale is
  // amax / 448 and each code e4m3(v / scale). The values come from the same op on the CPU
  // backend (itself held to transformers), whose f32 results differ from the GPU's in the
  // last bits: the scales agree to 1e-5 and a code may differ only where such a difference
  // crosses a rounding boundary, by one step, on at most 0.5 % of the codes.
  void expect_rows_of(const ops::Fp8Rows& got, const std::vector<float>& values, int64_t n,
                      int64_t k) {
    const Tensor codes = to_host(got.codes), scales = to_host(got.scales);
    int64_t off_by_one = 0;
    for (int64_t r = 0; r < n; ++r) {
      float amax = 0.0f;
      for (int64_t j = 0; j < k; ++j) amax = std::max(amax, std::abs(values[r * k + j]));
      const float scale = amax > 0.0f ? amax / 448.0f : 1.0f;
      ASSERT_NEAR(scales.data<float>()[r], scale, 1e-5 * scale) << "row " << r;
      for (int64_t j = 0; j < k; ++j) {
        const int want = quant::f32_to_e4m3(values[r * k + j] / scale);
        const int have = codes.data<uint8_t>()[r * k + j];
        if (have == want) continue;
        ASSERT_EQ(have & 0x80, want & 0x80) << "sign, row " << r << " col " << j;
        ASSERT_EQ(std::abs((have & 0x7f) - (want & 0x7f)), 1) << "row " << r << " col " << j;
        ++off_by_one;
      }
    }
    EXPECT_LE(off_by_one, n * k / 200);
  }
};

TEST_F(CudaFp8RowsTest, RmsNormWritesTheRowsOfTheCpuNorm) {
  // 8 values at a time and one by one; rows held in registers, and rows too long for that
  // (more than 8 chunks a thread) computed twice.
  for (int64_t h : {4096, 1000, 16392, 2500}) {
    const int64_t n = h > 4096 ? 3 : 37;
    const Tensor x = random_host(DType::kF32, {n, h}, 1), w = random_host(DType::kF32, {h}, 2);
    Tensor cpu = Tensor::empty(DType::kF32, {n, h}).value();
    ASSERT_TRUE(ops::rms_norm(x, w, 1e-6f, cpu).is_ok());
    ops::LinearInput rows = fp8_rows(n, h);
    const Status st = ops::rms_norm(to_gpu(x), to_gpu(w), 1e-6f, rows);
    ASSERT_TRUE(st.is_ok()) << st.to_string();
    expect_rows_of(rows.fp8(), floats(cpu), n, h);
  }
}

TEST_F(CudaFp8RowsTest, SiluMulWritesTheRowsOfTheCpuSiluMul) {
  for (DType in : {DType::kBF16, DType::kF32}) {
    for (int64_t inter : {384, 100, 16392, 2100}) {  // as the norm's widths
      const int64_t n = inter > 384 ? 3 : 29;
      const Tensor gu = random_host(in, {n, 2 * inter}, 9);
      // The CPU op reads f32: the bf16 values widened exactly.
      std::vector<float> gu_f32 = floats(gu);
      Tensor cpu_in = Tensor::borrow(DType::kF32, {n, 2 * inter}, gu_f32.data(), nullptr);
      Tensor cpu = Tensor::empty(DType::kF32, {n, inter}).value();
      ASSERT_TRUE(ops::silu_mul(cpu_in, cpu).is_ok());
      ops::LinearInput rows = fp8_rows(n, inter);
      const Status st = ops::silu_mul(to_gpu(gu), rows);
      ASSERT_TRUE(st.is_ok()) << st.to_string();
      expect_rows_of(rows.fp8(), floats(cpu), n, inter);
    }
  }
}

TEST_F(CudaFp8RowsTest, QuantizedBf16RowsAndAZeroRow) {
  const int64_t n = 5, k = 72;
  Tensor host = random_host(DType::kBF16, {n, k}, 3);
  std::memset(host.data<uint16_t>() + 2 * k, 0, k * 2);  // row 2 is zero: scale 1, codes 0
  ops::Fp8Rows rows = fp8_rows(n, k).fp8();
  ASSERT_TRUE(ops::quantize_fp8_rows(to_gpu(host), rows).is_ok());
  const std::vector<float> values = floats(host);
  expect_rows_of(rows, values, n, k);
  EXPECT_EQ(to_host(rows.scales).data<float>()[2], 1.0f);
}

// The GEMM of FP8 rows is the FP8 weight's GEMM of the bf16 x they were quantized from.
TEST_F(CudaFp8RowsTest, Fp8LinearOfRowsEqualsFp8LinearOfBf16) {
  const int64_t out_f = 256, k = 512, n = 77;
  const Tensor w = random_host(DType::kF32, {out_f, k}, 40, 0.05f);
  const quant::Fp8Weight qw = quant::quantize_fp8(w.data<float>(), out_f, k, true, false);
  Tensor codes = Tensor::borrow(DType::kU8, {out_f, k}, qw.codes.data(), nullptr);
  Tensor scales = Tensor::borrow(DType::kF32, {out_f}, qw.scales.data(), nullptr);
  auto weight = ops::LinearWeight::prepare_fp8(codes, scales, *mem_);
  ASSERT_TRUE(weight.is_ok()) << weight.status().to_string();
  Tensor x = to_gpu(random_host(DType::kBF16, {n, k}, 41));
  ops::LinearInput rows = fp8_rows(n, k);
  ASSERT_TRUE(ops::quantize_fp8_rows(x, rows.fp8()).is_ok());
  const Tensor start = random_host(DType::kF32, {n, out_f}, 42);
  for (bool accumulate : {false, true}) {
    Tensor from_bf16 = to_gpu(start), from_rows = to_gpu(start);
    if (accumulate) {
      ASSERT_TRUE(ops::linear_accumulate(x, **weight, from_bf16).is_ok());
      ASSERT_TRUE(ops::linear_accumulate(rows, **weight, from_rows).is_ok());
    } else {
      ASSERT_TRUE(ops::linear(x, **weight, from_bf16).is_ok());
      ASSERT_TRUE(ops::linear(rows, **weight, from_rows).is_ok());
    }
    EXPECT_EQ(testing::max_diff(floats(to_host(from_bf16)), floats(to_host(from_rows))), 0.0);
  }
}

// NVFP4 weights beyond the small-batch kernel run the FP8 GEMM on Hopper: FP8 rows give
// the product a bf16 x gives.
TEST_F(CudaFp8RowsTest, Nvfp4LinearOfRowsEqualsNvfp4LinearOfBf16) {
  if (kernels::cuda::context_compute_capability(*ctx_) / 10 != 9) GTEST_SKIP() << "Hopper only";
  const int64_t out_f = 128, k = 256, n = 100;
  const Tensor w = random_host(DType::kF32, {out_f, k}, 60, 0.05f);
  auto qw = quant::quantize_nvfp4(w.data<float>(), out_f, k);
  ASSERT_TRUE(qw.is_ok());
  Tensor packed = Tensor::borrow(DType::kU8, {out_f, k / 2}, qw->packed.data(), nullptr);
  Tensor scales = Tensor::borrow(DType::kU8, {out_f, k / 16}, qw->block_scale.data(), nullptr);
  auto weight = ops::LinearWeight::prepare_nvfp4(packed, scales, qw->scale_2, *mem_);
  ASSERT_TRUE(weight.is_ok()) << weight.status().to_string();
  EXPECT_TRUE((*weight)->takes_fp8_rows(n));
  EXPECT_FALSE((*weight)->takes_fp8_rows(64));
  Tensor x = to_gpu(random_host(DType::kBF16, {n, k}, 61));
  ops::LinearInput rows = fp8_rows(n, k);
  ASSERT_TRUE(ops::quantize_fp8_rows(x, rows.fp8()).is_ok());
  Tensor from_bf16 = Tensor::empty(DType::kF32, {n, out_f}, *mem_).value();
  Tensor from_rows = Tensor::empty(DType::kF32, {n, out_f}, *mem_).value();
  ASSERT_TRUE(ops::linear(x, **weight, from_bf16).is_ok());
  const Status st = ops::linear(rows, **weight, from_rows);
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  EXPECT_EQ(testing::max_diff(floats(to_host(from_bf16)), floats(to_host(from_rows))), 0.0);
}

TEST_F(CudaFp8RowsTest, RowsThatDoNotFitAreErrors) {
  const int64_t k = 64;
  Tensor w = random_host(DType::kBF16, {32, k}, 5);
  auto bf16_weight =
      ops::LinearWeight::prepare(w, ops::MatmulPrecision::kBF16, nullptr, mem_.get());
  ASSERT_TRUE(bf16_weight.is_ok());
  ops::LinearInput rows = fp8_rows(4, k);
  Tensor y = Tensor::empty(DType::kF32, {4, 32}, *mem_).value();
  Status st = ops::linear(rows, **bf16_weight, y);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.to_string();
  EXPECT_NE(st.message().find("FP8 rows feed FP8 weights only"), std::string::npos)
      << st.to_string();

  Tensor x = to_gpu(random_host(DType::kF32, {4, k + 8}, 6));  // wider than the rows
  Tensor nw = to_gpu(random_host(DType::kF32, {k + 8}, 7));
  st = ops::rms_norm(x, nw, 1e-6f, rows);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.to_string();
  Tensor cpu_x = random_host(DType::kF32, {4, k}, 8), cpu_w = random_host(DType::kF32, {k}, 9);
  st = ops::rms_norm(cpu_x, cpu_w, 1e-6f, rows);  // host input, device rows
  EXPECT_FALSE(st.is_ok());
}

}  // namespace
}  // namespace fourbrain
