// Internals of the CUDA backend shared by its .cc and .cu files: the Context layout and the
// CUDA error checks. Only kernels/cuda includes this (it pulls in the CUDA headers).
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "base/status.h"
#include "core/dtype.h"
#include "kernels/cuda/cuda_backend.h"

namespace fourbrain::kernels::cuda {

// The algorithm cuBLASLt picked for one GEMM shape, with its layouts.
struct GemmPlan {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool bias_in_epilogue = true;  // false: the bias is added by add_bias() after the GEMM
};

// y (f32/bf16) [n, out] += bias (f32 [out]), for GEMMs whose bias has no epilogue.
Status add_bias(Context& ctx, const float* bias, int64_t n, int64_t out, void* y, DType y_dtype);
void destroy_plan(GemmPlan& plan);
// What a cached GEMM plan multiplies.
enum class GemmInputs { kBf16, kFp8, kFp8FastAccumulation, kNvfp4 };
// (n, out_features, k, y dtype, has bias, inputs)
using GemmKey = std::tuple<int64_t, int64_t, int64_t, int, bool, GemmInputs>;

class Context {
 public:
  int device = 0;
  cudaStream_t stream = nullptr;
  cublasLtHandle_t lt = nullptr;
  void* gemm_workspace = nullptr;
  size_t gemm_workspace_bytes = 0;
  int sm_count = 0;
  int compute_capability = 0;  // major * 10 + minor: 90 Hopper, 100 Blackwell
  // Device f32 [2] just past the GEMM workspace: alpha and beta of GEMMs whose alpha is
  // computed on the device (gemm_nvfp4_blackwell).
  float* gemm_scalars = nullptr;
  std::map<GemmKey, GemmPlan> gemm_plans;  // used by the context's one thread only
  bool trap_next_launch = false;           // inject_fault_for_testing()
  void* scratch = nullptr;                 // context_scratch()
  size_t scratch_bytes = 0;
};

// Launches the trap of inject_fault_for_testing() if it is armed; true when it did (the
// caller then skips its own kernel).
bool launch_injected_fault(Context& ctx);

// gemm_scalars = {x_global[0] * w_global, beta}, on the context's stream.
Status write_gemm_scalars(Context& ctx, const float* x_global, float w_global, float beta);

Status cuda_status(cudaError_t err, const char* what);
Status cublas_status(cublasStatus_t st, const char* what);

}  // namespace fourbrain::kernels::cuda

// Returns Internal "<what>: <CUDA error text>" from the enclosing function on failure.
#define FB_CUDA_RETURN(call)                                                      \
  do {                                                                            \
    cudaError_t fb_cuda_err_ = (call);                                            \
    if (fb_cuda_err_ != cudaSuccess) return ::fourbrain::kernels::cuda::cuda_status(fb_cuda_err_, #call); \
  } while (0)

#define FB_CUBLAS_RETURN(call)                                                    \
  do {                                                                            \
    cublasStatus_t fb_cublas_st_ = (call);                                        \
    if (fb_cublas_st_ != CUBLAS_STATUS_SUCCESS)                                   \
      return ::fourbrain::kernels::cuda::cublas_status(fb_cublas_st_, #call);     \
  } while (0)

// After a kernel launch: a bad configuration is reported at once.
#define FB_CUDA_LAUNCHED(name) FB_CUDA_RETURN(cudaGetLastError())
