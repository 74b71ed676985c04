// NVFP4 x NVFP4 GEMMs on FP4 tensor cores (compute capability 10.0 and later: Blackwell),
// through cuBLASLt's block-scaled FP4 GEMM, and the activation quantizer that feeds it.
// Plain C++ (no CUDA headers); launchers as in cuda_kernels.h: raw device pointers, the
// Context's stream, launch errors returned at once.
//
// NVFP4 here is ModelOpt's: a value is e2m1 code x e4m3 block scale (one per 16 columns) x
// an f32 global scale. Codes are row-major, two a byte (the even column in the low nibble);
// block scales are in cuBLASLt's swizzled layout (kernels/cpu/nvfp4_swizzle.h), whose
// padding must be zero.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "core/dtype.h"
#include "kernels/cuda/cuda_backend.h"

namespace fourbrain::kernels::cuda {

// Dynamic NVFP4 quantization of activations, with the rules of quant::quantize_nvfp4 (codes
// and scales bit-identical to it for the same values): global = amax(|x|) / (6 * 448);
// block scale = e4m3(clamp(block amax / (6 * global), 2^-9, 448)), 1 for an all-zero block;
// code = e2m1(x / (block scale * global)). An all-zero x gets global 1 (not 0, which would
// make every block scale 0 / 0). Runs on any GPU the backend supports.
struct Nvfp4QuantizeArgs {
  const uint16_t* x = nullptr;    // bf16 [n, k], 16-byte aligned
  int64_t n = 0, k = 0;           // k % 16 == 0
  uint8_t* codes = nullptr;       // u8 [n, k / 2], 8-byte aligned
  uint8_t* scales = nullptr;      // swizzled e4m3, nvfp4_swizzled_scales_bytes(n, k / 16)
  float* amax = nullptr;          // device f32 [1]: max |x| (work space, left holding it)
  float* global_scale = nullptr;  // device f32 [1]
};
Status quantize_nvfp4_activations(Context& ctx, const Nvfp4QuantizeArgs& args);

// y (f32/bf16) [n, out] (+)= alpha · Σ_k (x code · x block scale)(w code · w block scale),
// alpha = x_global · w_global: the NVFP4 product of x [n, k] and w [out, k]. f32
// accumulation. Unsupported (no device fault) before compute capability 10.0 and for shapes
// cuBLASLt has no FP4 algorithm for; k % 32 == 0 and 16-byte aligned pointers required.
struct Nvfp4TensorCoreGemmArgs {
  const uint8_t* x = nullptr;         // codes [n, k / 2]
  const uint8_t* x_scales = nullptr;  // swizzled, nvfp4_swizzled_scales_bytes(n, k / 16)
  const float* x_global = nullptr;    // device f32 [1] (quantize_nvfp4_activations)
  const uint8_t* w = nullptr;         // codes [out, k / 2]
  const uint8_t* w_scales = nullptr;  // swizzled, nvfp4_swizzled_scales_bytes(out, k / 16)
  float w_global = 1.0f;              // ModelOpt's weight_scale_2
  int64_t n = 0, out_features = 0, k = 0;
  void* y = nullptr;  // f32/bf16 [n, out]
  DType y_dtype = DType::kBF16;
  bool accumulate = false;
};
Status gemm_nvfp4_blackwell(Context& ctx, const Nvfp4TensorCoreGemmArgs& args);

}  // namespace fourbrain::kernels::cuda
