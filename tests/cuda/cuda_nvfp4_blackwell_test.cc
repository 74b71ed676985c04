// NVFP4 on FP4 tensor cores: the activation quantizer (any GPU) bit for bit against the host
// quantizer of quant/, and the NVFP4 linear through cuBLASLt's block-scaled FP4 GEMM
// (compute capability 10.0+, skipped elsewhere) against double-precision products.
#include <cmath>
#include <cstring>

#include "cuda_test_util.h"
#include "kernels/cpu/nvfp4_swizzle.h"
#include "kernels/cuda/nvfp4_blackwell.h"
#include "ops/ops.h"
#include "quant/weight_quantizers.h"

namespace fourbrain {
namespace {

using testing::floats;
using testing::max_abs;
using testing::max_diff;
using testing::product_in_double;
using testing::random_host;

class CudaNvfp4BlackwellTest : public testing::GpuTest {
 protected:
  int compute_capability() const { return kernels::cuda::context_compute_capability(*ctx_); }

  struct Quantized {
    std::vector<uint8_t> codes, scales;  // scales swizzled, padding included
    float global = 0.0f;
  };
  // quantize_nvfp4_activations of x (bf16 host [n, k]); outputs pre-filled with garbage so
  // that unwritten padding shows.
  Quantized quantize_on_gpu(const Tensor& x) {
    const int64_t n = x.dim(0), k = x.dim(1);
    const int64_t scale_bytes = kernels::cpu::nvfp4_swizzled_scales_bytes(n, k / 16);
    Tensor gx = to_gpu(x);
    auto codes = guarded(DType::kU8, {n, k / 2});
    auto scales = guarded(DType::kU8, {scale_bytes});
    std::vector<uint8_t> garbage(static_cast<size_t>(scale_bytes), 0x5A);
    EXPECT_TRUE(
        kernels::cuda::copy_to_device(scales.view.raw_data(), garbage.data(), garbage.size())
            .is_ok());
    Tensor scalars = Tensor::empty(DType::kF32, {2}, *mem_).value();
    kernels::cuda::Nvfp4QuantizeArgs args;
    args.x = gx.data<uint16_t>();
    args.n = n;
    args.k = k;
    args.codes = codes.view.data<uint8_t>();
    args.scales = scales.view.data<uint8_t>();
    args.amax = scalars.data<float>();
    args.global_scale = scalars.data<float>() + 1;
    const Status st = kernels::cuda::quantize_nvfp4_activations(*ctx_, args);
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    Quantized q;
    const Tensor host_codes = to_host(codes.view), host_scales = to_host(scales.view);
    const Tensor host_scalars = to_host(scalars);
    q.codes.assign(host_codes.data<uint8_t>(), host_codes.data<uint8_t>() + host_codes.numel());
    q.scales.assign(host_scales.data<uint8_t>(), host_scales.data<uint8_t>() + host_scales.numel());
    q.global = host_scalars.data<float>()[1];
    check_guards(codes);
    check_guards(scales);
    return q;
  }
};

uint32_t bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}

// Codes and swizzled scales identical to quant::quantize_nvfp4 of the same values, with a
// zero block (scale 1), tiny blocks (scale clamped to 2^-9, e4m3 subnormals), an outlier,
// ragged row counts (padding rows) and k / 16 not a multiple of 4 (padding columns).
TEST_F(CudaNvfp4BlackwellTest, ActivationQuantizerMatchesHostQuantizer) {
  const std::pair<int64_t, int64_t> shapes[] = {{130, 80}, {1, 64}, {300, 640}, {3, 32}};
  for (const auto& [n, k] : shapes) {
    SCOPED_TRACE("n " + std::to_string(n) + ", k " + std::to_string(k));
    Tensor x = random_host(DType::kBF16, {n, k}, 70 + static_cast<uint32_t>(n), 0.5f);
    uint16_t* xb = x.data<uint16_t>();
    for (int64_t j = 0; j < 16; ++j) xb[j] = 0;  // row 0, block 0: all zero
    xb[n * k - 1] = f32_to_bf16(-37.0f);         // the tensor's amax
    if (n > 1) {
      // Row 1: a block whose scale clamps to 2^-9, one whose scale is an e4m3 subnormal.
      for (int64_t j = 0; j < 16; ++j) {
        xb[k + j] = f32_to_bf16(1e-6f * static_cast<float>(j - 8));
        xb[k + 16 + j] = f32_to_bf16(3e-4f * static_cast<float>(j - 7) / 8.0f);
      }
    }
    const std::vector<float> xf = floats(x);
    auto want = quant::quantize_nvfp4(xf.data(), n, k);
    ASSERT_TRUE(want.is_ok());
    const Quantized got = quantize_on_gpu(x);
    EXPECT_EQ(bits(got.global), bits(want->scale_2));
    EXPECT_EQ(got.codes, want->packed);
    EXPECT_EQ(got.scales, kernels::cpu::swizzle_nvfp4_scales(want->block_scale.data(), n, k / 16));
  }
}

// An all-zero x: no NaN anywhere (the host quantizer's scale_2 would be 0 and every block
// scale 0 / 0): global 1, block scales 1 (e4m3 0x38), codes 0, padding 0.
TEST_F(CudaNvfp4BlackwellTest, ActivationQuantizerOfZerosIsFinite) {
  const int64_t n = 5, k = 48;
  Tensor x = Tensor::empty(DType::kBF16, {n, k}).value();
  std::memset(x.raw_data(), 0, x.nbytes());
  const Quantized got = quantize_on_gpu(x);
  EXPECT_EQ(got.global, 1.0f);
  EXPECT_EQ(got.codes, std::vector<uint8_t>(static_cast<size_t>(n * k / 2), 0));
  std::vector<uint8_t> ones(static_cast<size_t>(n * k / 16), 0x38);
  EXPECT_EQ(got.scales, kernels::cpu::swizzle_nvfp4_scales(ones.data(), n, k / 16));
}

TEST_F(CudaNvfp4BlackwellTest, Fp4GemmIsUnsupportedWithoutFp4TensorCores) {
  if (compute_capability() >= 100) GTEST_SKIP() << "this GPU has FP4 tensor cores";
  kernels::cuda::Nvfp4TensorCoreGemmArgs args;  // never dereferenced: refused up front
  args.n = 1;
  args.out_features = 8;
  args.k = 64;
  EXPECT_EQ(kernels::cuda::gemm_nvfp4_blackwell(*ctx_, args).code(), StatusCode::kUnsupported);
}

// y = x · Wᵀ through prepare_nvfp4 on a Blackwell GPU (the FP4 tensor-core weight): against
// the double-precision product of the dequantized weight and the dequantized activations
// (quantized on the host as the GPU quantizes them), tight; against the unquantized x,
// loose (NVFP4 activations cost a few percent).
TEST_F(CudaNvfp4BlackwellTest, Nvfp4LinearOnFp4TensorCoresMatchesDequantizedProduct) {
  if (compute_capability() < 100) {
    GTEST_SKIP() << "needs FP4 tensor cores (compute capability 10.0+); this GPU is sm_"
                 << compute_capability();
  }
  const int64_t out_f = 264, k = 640;  // out not a multiple of 128: padded scale rows
  const Tensor w = random_host(DType::kF32, {out_f, k}, 80, 0.05f);
  auto qw = quant::quantize_nvfp4(w.data<float>(), out_f, k);
  ASSERT_TRUE(qw.is_ok());
  std::vector<float> wd(static_cast<size_t>(out_f * k));
  quant::dequantize_nvfp4(*qw, wd.data());
  Tensor packed = Tensor::borrow(DType::kU8, {out_f, k / 2}, qw->packed.data(), nullptr);
  Tensor scales = Tensor::borrow(DType::kU8, {out_f, k / 16}, qw->block_scale.data(), nullptr);
  auto weight = ops::LinearWeight::prepare_nvfp4(packed, scales, qw->scale_2, *mem_);
  ASSERT_TRUE(weight.is_ok()) << weight.status().to_string();
  EXPECT_EQ((*weight)->nbytes(),
            static_cast<size_t>(out_f * k / 2 +
                                kernels::cpu::nvfp4_swizzled_scales_bytes(out_f, k / 16)));
  for (int64_t n : {1, 5, 64, 65, 300}) {
    SCOPED_TRACE("n " + std::to_string(n));
    const Tensor x = random_host(DType::kBF16, {n, k}, 81 + static_cast<uint32_t>(n));
    const std::vector<float> xf = floats(x);
    auto qx = quant::quantize_nvfp4(xf.data(), n, k);
    ASSERT_TRUE(qx.is_ok());
    std::vector<float> xd(xf.size());
    quant::dequantize_nvfp4(*qx, xd.data());
    const std::vector<float> want = product_in_double(xd, wd, n, out_f, k);
    const std::vector<float> exact = product_in_double(xf, floats(w), n, out_f, k);
    Tensor gx = to_gpu(x);
    for (DType y_dtype : {DType::kF32, DType::kBF16}) {
      auto y = guarded(y_dtype, {n, out_f});
      const Status st = ops::linear(gx, **weight, y.view);
      ASSERT_TRUE(st.is_ok()) << st.to_string();
      const std::vector<float> got = floats(to_host(y.view));
      const double tol = (y_dtype == DType::kBF16 ? 1e-2 : 1e-3) * max_abs(want);
      EXPECT_LE(max_diff(got, want), tol) << "y " << dtype_name(y_dtype);
      EXPECT_LE(max_diff(got, exact), 0.25 * max_abs(exact)) << "y " << dtype_name(y_dtype);
      check_guards(y);
    }
    expect_accumulate_doubles(gx, **weight, want, 2e-3);
  }
}

}  // namespace
}  // namespace fourbrain
