// gemm_bf16 and gemm_fp8 through cuBLASLt: y = x · wᵀ (+ bias) with row-major x, w and y.
//
// cuBLASLt is column-major, so the row-major product y[n, o] = x[n, k] · w[o, k]ᵀ is computed
// as its transpose yᵀ[o, n] = w · xᵀ: A = w read transposed ("TN", the layout cuBLASLt is
// fastest at and the only one FP8 takes on Hopper), B = x. The bias is the BIAS epilogue,
// FP8 scales are the "outer vector" mode (one per row of A, one per column of B: per output
// channel and per token). NVFP4 (Blackwell) is the same TN product of 4-bit codes with
// per-16 block scales (VEC16_UE4M3). One plan (descriptor, layouts, algorithm) per shape is
// cached.
#include <functional>

#include "kernels/cuda/cuda_internal.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/nvfp4_blackwell.h"

namespace fourbrain::kernels::cuda {
namespace {

constexpr size_t kMaxCachedPlans = 2048;

template <typename T>
cublasStatus_t set(cublasLtMatmulDesc_t op, cublasLtMatmulDescAttributes_t attr, const T& v) {
  return cublasLtMatmulDescSetAttribute(op, attr, &v, sizeof(v));
}

cudaDataType_t y_type(DType y) { return y == DType::kBF16 ? CUDA_R_16BF : CUDA_R_32F; }

// The shape of a GEMM as cuBLASLt sees it.
struct GemmShape {
  cudaDataType_t in_type;  // of x and w
  DType y_dtype;
  int64_t n, out_features, k;
  std::string what() const {
    return "n " + std::to_string(n) + ", out " + std::to_string(out_features) + ", k " +
           std::to_string(k);
  }
};

// The TN descriptor and the layouts of `shape`; `configure` adds the epilogue or scale modes.
// Then the best algorithm for the workspace. A shape cuBLASLt cannot do is Unsupported, not
// Internal: it is no device fault and must not mark the model unhealthy.
Result<GemmPlan> make_plan(Context& ctx, const GemmShape& s, const std::string& kind,
                           const std::function<cublasStatus_t(cublasLtMatmulDesc_t)>& configure) {
  GemmPlan plan;
  auto fail = [&](const std::string& why) {
    destroy_plan(plan);
    return unsupported("cuBLASLt, " + kind + " GEMM of " + s.what() + ": " + why);
  };
  if (cublasLtMatmulDescCreate(&plan.op, CUBLAS_COMPUTE_32F, CUDA_R_32F) != CUBLAS_STATUS_SUCCESS ||
      set(plan.op, CUBLASLT_MATMUL_DESC_TRANSA, CUBLAS_OP_T) != CUBLAS_STATUS_SUCCESS ||
      set(plan.op, CUBLASLT_MATMUL_DESC_TRANSB, CUBLAS_OP_N) != CUBLAS_STATUS_SUCCESS ||
      configure(plan.op) != CUBLAS_STATUS_SUCCESS) {
    return fail("the descriptor was refused");
  }
  // Column-major views: A = w as [k, o] (transposed by the op), B = x as [k, n], D = y as [o, n].
  if (cublasLtMatrixLayoutCreate(&plan.a, s.in_type, s.k, s.out_features, s.k) ||
      cublasLtMatrixLayoutCreate(&plan.b, s.in_type, s.k, s.n, s.k) ||
      cublasLtMatrixLayoutCreate(&plan.d, y_type(s.y_dtype), s.out_features, s.n,
                                 s.out_features)) {
    return fail("the layouts were refused");
  }
  cublasLtMatmulPreference_t pref = nullptr;
  if (cublasLtMatmulPreferenceCreate(&pref) != CUBLAS_STATUS_SUCCESS) return fail("no preference");
  size_t ws = ctx.gemm_workspace_bytes;
  cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws,
                                       sizeof(ws));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(ctx.lt, plan.op, plan.a, plan.b,
                                                           plan.d, plan.d, pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (st != CUBLAS_STATUS_SUCCESS || found == 0) {
    return fail("no algorithm (status " + std::to_string(static_cast<int>(st)) + ")");
  }
  plan.algo = result.algo;
  return plan;
}

void clear_plans(Context& ctx) {
  for (auto& [key, plan] : ctx.gemm_plans) destroy_plan(plan);
  ctx.gemm_plans.clear();
}

// The cached plan for `key`, made by `make` the first time. Batch sizes vary per request:
// the cache is bounded rather than left to grow for ever.
Result<GemmPlan*> cached_plan(Context& ctx, const GemmKey& key,
                              const std::function<Result<GemmPlan>()>& make) {
  auto it = ctx.gemm_plans.find(key);
  if (it == ctx.gemm_plans.end()) {
    if (ctx.gemm_plans.size() >= kMaxCachedPlans) clear_plans(ctx);
    FB_ASSIGN_OR_RETURN(GemmPlan plan, make());
    it = ctx.gemm_plans.emplace(key, plan).first;
  }
  return &it->second;
}

// D = alpha · A·B + beta · D with the plan's algorithm, on the context's stream.
Status launch(Context& ctx, const GemmPlan& plan, const void* w, const void* x, void* y,
              bool accumulate) {
  const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  FB_CUBLAS_RETURN(cublasLtMatmul(ctx.lt, plan.op, &alpha, w, plan.a, x, plan.b, &beta, y,
                                  plan.d, y, plan.d, &plan.algo, ctx.gemm_workspace,
                                  ctx.gemm_workspace_bytes, ctx.stream));
  return Status::ok();
}

}  // namespace

Status gemm_bf16(Context& ctx, const GemmArgs& a) {
  if (a.n == 0) return Status::ok();
  const GemmShape shape{CUDA_R_16BF, a.y_dtype, a.n, a.out_features, a.k};
  auto with_bias = [&](cublasLtMatmulDesc_t op) {
    cublasStatus_t st = set(op, CUBLASLT_MATMUL_DESC_EPILOGUE, CUBLASLT_EPILOGUE_BIAS);
    // The bias type defaults to y's; ours is f32.
    if (st == CUBLAS_STATUS_SUCCESS && a.y_dtype == DType::kBF16) {
      st = set(op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, CUDA_R_32F);
    }
    // The heuristics look at the bias pointer (its alignment): give them the real one.
    return st == CUBLAS_STATUS_SUCCESS ? set(op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, a.bias) : st;
  };
  auto plain = [](cublasLtMatmulDesc_t) { return CUBLAS_STATUS_SUCCESS; };
  const GemmKey key{a.n, a.out_features, a.k, static_cast<int>(a.y_dtype), a.bias != nullptr,
                    GemmInputs::kBf16};
  FB_ASSIGN_OR_RETURN(GemmPlan * plan, cached_plan(ctx, key, [&]() -> Result<GemmPlan> {
                        if (a.bias == nullptr) return make_plan(ctx, shape, "bf16", plain);
                        Result<GemmPlan> p = make_plan(ctx, shape, "bf16 + bias", with_bias);
                        if (p.is_ok()) return p;
                        // Some shapes have no algorithm with the BIAS epilogue (seen: n 1,
                        // out 96, k 200): plain GEMM, then a bias pass.
                        FB_ASSIGN_OR_RETURN(GemmPlan q, make_plan(ctx, shape, "bf16", plain));
                        q.bias_in_epilogue = false;
                        return q;
                      }));
  if (a.bias != nullptr && plan->bias_in_epilogue) {
    FB_CUBLAS_RETURN(set(plan->op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, a.bias));
  }
  FB_RETURN_IF_ERROR(launch(ctx, *plan, a.w, a.x, a.y, a.accumulate));
  if (a.bias != nullptr && !plan->bias_in_epilogue) {
    return add_bias(ctx, a.bias, a.n, a.out_features, a.y, a.y_dtype);
  }
  return Status::ok();
}

Status gemm_fp8(Context& ctx, const Fp8GemmArgs& a) {
  if (a.n == 0) return Status::ok();
  const GemmShape shape{CUDA_R_8F_E4M3, a.y_dtype, a.n, a.out_features, a.k};
  // A = the weight (cuBLAS rows = output features), B = the tokens: one scale per row of
  // each, the "outer vector" mode (Hopper, cuBLAS 12.9+).
  auto scales = [&](cublasLtMatmulDesc_t op) {
    const cublasLtMatmulMatrixScale_t outer = CUBLASLT_MATMUL_MATRIX_SCALE_OUTER_VEC_32F;
    cublasStatus_t st = set(op, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, outer);
    if (st == CUBLAS_STATUS_SUCCESS) st = set(op, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, outer);
    if (st == CUBLAS_STATUS_SUCCESS) st = set(op, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, a.w_scales);
    if (st == CUBLAS_STATUS_SUCCESS) st = set(op, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, a.x_scales);
    const int8_t fast = a.fast_accumulation ? 1 : 0;
    if (st == CUBLAS_STATUS_SUCCESS) st = set(op, CUBLASLT_MATMUL_DESC_FAST_ACCUM, fast);
    return st;
  };
  const GemmKey key{a.n, a.out_features, a.k, static_cast<int>(a.y_dtype), false,
                    a.fast_accumulation ? GemmInputs::kFp8FastAccumulation : GemmInputs::kFp8};
  FB_ASSIGN_OR_RETURN(GemmPlan * plan, cached_plan(ctx, key, [&] {
                        return make_plan(ctx, shape, "FP8 (outer-vector scaled)", scales);
                      }));
  FB_CUBLAS_RETURN(set(plan->op, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, a.w_scales));
  FB_CUBLAS_RETURN(set(plan->op, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, a.x_scales));
  return launch(ctx, *plan, a.w, a.x, a.y, a.accumulate);
}

Status gemm_nvfp4_blackwell(Context& ctx, const Nvfp4TensorCoreGemmArgs& a) {
  if (a.n == 0) return Status::ok();
  if (ctx.compute_capability < 100) {
    return unsupported("cuBLASLt's FP4 GEMM needs compute capability 10.0 or later, not " +
                       std::to_string(ctx.compute_capability / 10) + "." +
                       std::to_string(ctx.compute_capability % 10));
  }
  if (a.k % 32 != 0) {  // rows of 4-bit codes must be whole 16-byte units
    return unsupported("cuBLASLt's FP4 GEMM needs k % 32 == 0, not k " + std::to_string(a.k));
  }
  const GemmShape shape{CUDA_R_4F_E2M1, a.y_dtype, a.n, a.out_features, a.k};
  // A = the weight, B = the tokens, each with its swizzled e4m3 block scales. Alpha (the
  // product of the global scales) and beta are read from the device: the activations'
  // global scale is only known there, and reading it back would stall the stream.
  auto scales = [&](cublasLtMatmulDesc_t op) {
    const cublasLtMatmulMatrixScale_t vec16 = CUBLASLT_MATMUL_MATRIX_SCALE_VEC16_UE4M3;
    const cublasLtPointerMode_t on_device = CUBLASLT_POINTER_MODE_DEVICE;
    cublasStatus_t st = set(op, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, vec16);
    if (st == CUBLAS_STATUS_SUCCESS) st = set(op, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, vec16);
    if (st == CUBLAS_STATUS_SUCCESS) st = set(op, CUBLASLT_MATMUL_DESC_POINTER_MODE, on_device);
    if (st == CUBLAS_STATUS_SUCCESS) st = set(op, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, a.w_scales);
    if (st == CUBLAS_STATUS_SUCCESS) st = set(op, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, a.x_scales);
    return st;
  };
  const GemmKey key{a.n, a.out_features, a.k, static_cast<int>(a.y_dtype), false,
                    GemmInputs::kNvfp4};
  FB_ASSIGN_OR_RETURN(GemmPlan * plan, cached_plan(ctx, key, [&] {
                        return make_plan(ctx, shape, "NVFP4 (VEC16_UE4M3 block-scaled)", scales);
                      }));
  FB_CUBLAS_RETURN(set(plan->op, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, a.w_scales));
  FB_CUBLAS_RETURN(set(plan->op, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, a.x_scales));
  FB_RETURN_IF_ERROR(write_gemm_scalars(ctx, a.x_global, a.w_global, a.accumulate ? 1.0f : 0.0f));
  const float* alpha = ctx.gemm_scalars;
  const float* beta = ctx.gemm_scalars + 1;
  FB_CUBLAS_RETURN(cublasLtMatmul(ctx.lt, plan->op, alpha, a.w, plan->a, a.x, plan->b, beta, a.y,
                                  plan->d, a.y, plan->d, &plan->algo, ctx.gemm_workspace,
                                  ctx.gemm_workspace_bytes, ctx.stream));
  return Status::ok();
}

}  // namespace fourbrain::kernels::cuda
