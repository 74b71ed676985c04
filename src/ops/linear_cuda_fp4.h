// ops::LinearWeight for NVFP4 weights on GPUs with FP4 tensor cores (compute capability 10.0
// and later: Blackwell), internal to ops/. LinearWeight::prepare_nvfp4 makes this instead of
// CudaNvfp4LinearWeight (the Hopper paths) when the current device has them.
//
// The codes stay row-major as the checkpoint has them and the block scales are uploaded in
// cuBLASLt's swizzled layout; every multiply quantizes x to NVFP4 (a dynamic global scale,
// ModelOpt's rules) in the context's scratch and runs cuBLASLt's block-scaled FP4 GEMM, for
// any number of tokens. Immutable once made.
#pragma once

#include <memory>

#include "core/tensor.h"
#include "ops/linear_cuda.h"

namespace fourbrain::ops::detail {

class CudaNvfp4TensorCoreWeight final : public CudaWeight {
 public:
  // As LinearWeight::prepare_nvfp4 (same shape rules as the Hopper weight, so a model that
  // loads on one loads on the other).
  static Result<std::shared_ptr<const LinearWeight>> create(const Tensor& packed,
                                                            const Tensor& block_scales,
                                                            float global_scale,
                                                            Allocator& device_memory);
  int64_t out_features() const override { return out_; }
  int64_t in_features() const override { return in_; }
  MatmulPrecision precision() const override { return MatmulPrecision::kNvfp4; }
  bool has_bias() const override { return false; }
  size_t nbytes() const override { return codes_.nbytes() + scales_.nbytes(); }

  // Unsupported on a context whose device has no FP4 tensor cores.
  Status multiply(const Tensor& x, Tensor& y, bool accumulate) const override;

 private:
  Tensor codes_;   // u8 [out, in / 2], row-major, device
  Tensor scales_;  // u8 (e4m3), swizzled (kernels/cpu/nvfp4_swizzle.h), device
  int64_t out_ = 0, in_ = 0;
  float global_scale_ = 1.0f;
};

}  // namespace fourbrain::ops::detail
