// Linear: y = x · Wᵀ (+ b) with a weight (and bias) prepared once for the backend.
//
// Several checkpoint matrices sharing the input (q/k/v, gate/up) can be fused into one
// Linear by stacking their rows (and concatenating their biases), so one GEMM replaces three.
// Immutable after creation and safe to share across threads.
#pragma once

#include <memory>
#include <vector>

#include "base/status.h"
#include "core/tensor.h"
#include "ops/ops.h"

namespace fourbrain::nn {

class Linear;

// Sees every input of every Linear run on the thread that installed it (calibration: the
// activation ranges a quantizer turns into static input scales).
class LinearInputRecorder {
 public:
  virtual ~LinearInputRecorder() = default;
  virtual void record(const Linear& linear, const ops::LinearInput& x) = 0;
  // Installs `recorder` for this thread (nullptr: none) and returns the one it replaces.
  static LinearInputRecorder* install(LinearInputRecorder* recorder);
  static LinearInputRecorder* installed();
};

class Linear {
 public:
  Linear() = default;
  // `parts` are [out_i, in] matrices (bf16/f16/f32, same dtype and `in`), stacked in order.
  // `biases` is empty (no bias) or one bf16/f16/f32 [out_i] vector per part, concatenated.
  // With `device_memory` (a CUDA allocator) the weight lives on that GPU.
  static Result<Linear> from_parts(const std::vector<Tensor>& parts, ops::MatmulPrecision precision,
                                   const std::vector<Tensor>& biases = {},
                                   Allocator* device_memory = nullptr);

  // An FP8 Linear on CUDA from quantized parts (see ops::LinearWeight::prepare_fp8).
  static Result<Linear> from_fp8(const Tensor& codes, const Tensor& scales,
                                 Allocator& device_memory, bool fast_accumulation = false);
  // An NVFP4 Linear on CUDA from quantized parts (see ops::LinearWeight::prepare_nvfp4).
  static Result<Linear> from_nvfp4(const Tensor& packed, const Tensor& block_scales,
                                   float global_scale, Allocator& device_memory,
                                   bool fast_accumulation = false);

  // x f32 [n, in] -> y f32 [n, out] (see ops::linear for bf16, FP8 rows and CUDA).
  Status forward(const ops::LinearInput& x, Tensor& y) const {
    if (LinearInputRecorder* r = LinearInputRecorder::installed()) r->record(*this, x);
    return ops::linear(x, *weight_, y);
  }
  // y f32 += x · Wᵀ (+ b): a residual add, inside the GEMM where the backend can.
  Status forward_accumulate(const ops::LinearInput& x, Tensor& y) const {
    if (LinearInputRecorder* r = LinearInputRecorder::installed()) r->record(*this, x);
    return ops::linear_accumulate(x, *weight_, y);
  }
  // The same for every copy of this Linear (copies share the prepared weight).
  const void* identity() const { return weight_.get(); }
  // Whether x of n rows had best come as FP8 rows (ops::LinearWeight::takes_fp8_rows).
  bool takes_fp8_rows(int64_t n) const { return weight_->takes_fp8_rows(n); }
  int64_t out_features() const { return weight_->out_features(); }
  int64_t in_features() const { return weight_->in_features(); }
  size_t nbytes() const { return weight_->nbytes(); }
  bool has_bias() const { return weight_->has_bias(); }

 private:
  std::shared_ptr<const ops::LinearWeight> weight_;
};

// Stacks [r_i, c] matrices of one dtype into a fresh host [sum r_i, c] tensor.
Result<Tensor> stack_rows(const std::vector<Tensor>& parts);

// Copies a bf16/f16/f32 vector (e.g. a norm weight) into a fresh f32 tensor.
Result<Tensor> to_f32(const Tensor& t);

// Concatenates bf16/f16/f32 vectors (e.g. q/k/v biases) into a fresh f32 [sum n_i] tensor.
Result<Tensor> concat_f32(const std::vector<Tensor>& parts);

}  // namespace fourbrain::nn
