// ops::LinearWeight for the CUDA backend (internal to ops/): a bf16 copy of the weight and
// an f32 bias in device memory from the model's device allocator. Immutable once made.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "ops/ops.h"

namespace fourbrain::ops::detail {

// linear()'s checks of x, y and the weight's shape (InvalidArgument naming them).
Status check_linear_shapes(const Tensor& x, const LinearWeight& weight, const Tensor& y);

// Every weight prepared for CUDA: linear() and linear_accumulate() call multiply().
class CudaWeight : public LinearWeight {
 public:
  // y (f32/bf16) = x (bf16) · Wᵀ (+ bias), or y (f32) += that with `accumulate`; shapes
  // checked by ops::linear.
  virtual Status multiply(const Tensor& x, Tensor& y, bool accumulate) const = 0;
  // The same from activations already quantized to FP8 rows (on CUDA, checked by
  // ops::linear): FP8 weights, and NVFP4 ones on Hopper; others say so with InvalidArgument.
  virtual Status multiply_fp8(const Fp8Rows& x, Tensor& y, bool accumulate) const;
};

// The fields every GEMM argument struct of kernels/cuda shares: n rows of x, the weight's
// out and in features, y and whether the product is added to it.
template <typename Args>
void set_gemm_shape(Args& args, int64_t n, const LinearWeight& weight, Tensor& y,
                    bool accumulate) {
  args.n = n;
  args.out_features = weight.out_features();
  args.k = weight.in_features();
  args.y = y.raw_data();
  args.y_dtype = y.dtype();
  args.accumulate = accumulate;
}

// A quantized weight's GEMM takes x bf16 and y on CUDA, on a thread with a CUDA context.
Status check_quantized_inputs(const Tensor& x, const Tensor& y, const std::string& weight_kind);

class CudaLinearWeight final : public CudaWeight {
 public:
  // `weight` is a host bf16/f16/f32 [out, in]; `bias_f32` (null: none) has `out` floats.
  static Result<std::shared_ptr<const LinearWeight>> create(const Tensor& weight,
                                                            const std::vector<float>* bias_f32,
                                                            Allocator& device_memory);
  int64_t out_features() const override { return weight_.dim(0); }
  int64_t in_features() const override { return weight_.dim(1); }
  MatmulPrecision precision() const override { return MatmulPrecision::kBF16; }
  bool has_bias() const override { return bias_.defined() && bias_.numel() > 0; }
  size_t nbytes() const override { return weight_.nbytes() + (has_bias() ? bias_.nbytes() : 0); }
  Status multiply(const Tensor& x, Tensor& y, bool accumulate) const override;

 private:
  Tensor weight_;  // bf16 [out, in], device
  Tensor bias_;    // f32 [out], device (empty: none)
};

// FP8 (E4M3) weight with per-output-channel scales, on the device. A bf16 x is quantized per
// token into the context's scratch before the GEMM; FP8 rows go to the GEMM as they are.
class CudaFp8LinearWeight final : public CudaWeight {
 public:
  static Result<std::shared_ptr<const LinearWeight>> create(const Tensor& codes,
                                                            const Tensor& scales,
                                                            Allocator& device_memory,
                                                            bool fast_accumulation);
  int64_t out_features() const override { return codes_.dim(0); }
  int64_t in_features() const override { return codes_.dim(1); }
  MatmulPrecision precision() const override { return MatmulPrecision::kFp8; }
  bool has_bias() const override { return false; }
  size_t nbytes() const override { return codes_.nbytes() + scales_.nbytes(); }
  bool takes_fp8_rows(int64_t) const override { return true; }
  Status multiply(const Tensor& x, Tensor& y, bool accumulate) const override;
  Status multiply_fp8(const Fp8Rows& x, Tensor& y, bool accumulate) const override;

 private:
  Tensor codes_;   // u8 (e4m3) [out, in], device
  Tensor scales_;  // f32 [out], device
  bool fast_accumulation_ = false;
};

// NVFP4 weight on the device (GPUs without FP4 tensor cores): codes and E4M3 block scales in
// the kernels' tiled layout, and the global scale. Few tokens: the weight-only kernel reads
// the 4-bit codes directly. More: on Hopper the weight is decoded to E4M3 in the context's
// scratch (code x block scale x a power of two per row, so the row's largest value fits)
// for cuBLASLt's FP8 GEMM with per-token FP8 activations; before Hopper, to bf16 for the
// bf16 GEMM.
class CudaNvfp4LinearWeight final : public CudaWeight {
 public:
  // `fp8_gemm`: the GPU has FP8 tensor cores (compute capability 9.0+); `fast_accumulation`
  // for their GEMMs (kernels::cuda::Fp8GemmArgs).
  static Result<std::shared_ptr<const LinearWeight>> create(const Tensor& packed,
                                                            const Tensor& block_scales,
                                                            float global_scale,
                                                            Allocator& device_memory, bool fp8_gemm,
                                                            bool fast_accumulation);
  int64_t out_features() const override { return out_; }
  int64_t in_features() const override { return in_; }
  MatmulPrecision precision() const override { return MatmulPrecision::kNvfp4; }
  bool has_bias() const override { return false; }
  size_t nbytes() const override { return weight_.nbytes() + fp8_row_scales_.nbytes(); }
  bool takes_fp8_rows(int64_t n) const override;
  Status multiply(const Tensor& x, Tensor& y, bool accumulate) const override;
  Status multiply_fp8(const Fp8Rows& x, Tensor& y, bool accumulate) const override;

 private:
  // The weight decoded to E4M3 times FP8 rows: `x` (bf16) is quantized first when `rows`
  // is null.
  Status multiply_as_fp8(const Tensor* x, const Fp8Rows* rows, Tensor& y, bool accumulate) const;
  Status multiply_as_bf16(const Tensor& x, Tensor& y, bool accumulate) const;

  Tensor weight_;  // u8, codes and block scales in the tiled layout (kernels/cuda), device
  int64_t out_ = 0, in_ = 0;
  float global_scale_ = 1.0f;
  bool fp8_gemm_ = false, fast_accumulation_ = false;
  Tensor fp8_row_scales_;  // f32 [2, out], device: per row the power of two, then global / it
};

// A device copy of `host` (dtype, shape).
Result<Tensor> upload(const void* host, DType dtype, Shape shape, Allocator& device_memory);

// InvalidArgument unless `packed` is u8 [out, in / 2], `block_scales` u8 [out, in / 16],
// out % 8 == 0, in % 64 == 0 and the global scale positive (both NVFP4 weight kinds).
Status check_nvfp4_weight(const Tensor& packed, const Tensor& block_scales, float global_scale);

// `packed` [out, in / 2] (even input in the low nibble) and `block_scales` (e4m3 [out,
// in / 16]) into the tiled layout of kernels::cuda::gemm_nvfp4_small (cuda_kernels.h).
std::vector<uint8_t> nvfp4_tiled_layout(const uint8_t* packed, const uint8_t* block_scales,
                                        int64_t out, int64_t in);

}  // namespace fourbrain::ops::detail
