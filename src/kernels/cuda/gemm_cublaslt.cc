// gemm_bf16 through cuBLASLt: y = x · wᵀ (+ bias) with row-major x, w and y.
//
// cuBLASLt is column-major, so the row-major product y[n, o] = x[n, k] · w[o, k]ᵀ is computed
// as its transpose yᵀ[o, n] = w · xᵀ: A = w read transposed ("TN", the layout cuBLASLt is
// fastest at), B = x. The bias is the BIAS epilogue, added in the GEMM's own write.
#include "kernels/cuda/cuda_internal.h"
#include "kernels/cuda/cuda_kernels.h"

namespace fourbrain::kernels::cuda {
namespace {

constexpr size_t kMaxCachedPlans = 2048;

Result<GemmPlan> make_plan(Context& ctx, const GemmArgs& a) {
  GemmPlan plan;
  const cudaDataType_t y_type = a.y_dtype == DType::kBF16 ? CUDA_R_16BF : CUDA_R_32F;
  FB_CUBLAS_RETURN(cublasLtMatmulDescCreate(&plan.op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t trans = CUBLAS_OP_T, no_trans = CUBLAS_OP_N;
  FB_CUBLAS_RETURN(cublasLtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_TRANSA, &trans,
                                                  sizeof(trans)));
  FB_CUBLAS_RETURN(cublasLtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_TRANSB,
                                                  &no_trans, sizeof(no_trans)));
  if (a.bias != nullptr) {
    const cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_BIAS;
    FB_CUBLAS_RETURN(cublasLtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_EPILOGUE,
                                                    &epilogue, sizeof(epilogue)));
    if (a.y_dtype == DType::kBF16) {  // the bias type defaults to y's; ours is f32
      const cudaDataType_t bias_type = CUDA_R_32F;
      FB_CUBLAS_RETURN(cublasLtMatmulDescSetAttribute(
          plan.op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bias_type, sizeof(bias_type)));
    }
    // The heuristics look at the bias pointer (its alignment): give them the real one.
    FB_CUBLAS_RETURN(cublasLtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                                                    &a.bias, sizeof(a.bias)));
  }
  // Column-major views: A = w as [k, o] (transposed by the op), B = x as [k, n], D = y as [o, n].
  FB_CUBLAS_RETURN(cublasLtMatrixLayoutCreate(&plan.a, CUDA_R_16BF, a.k, a.out_features, a.k));
  FB_CUBLAS_RETURN(cublasLtMatrixLayoutCreate(&plan.b, CUDA_R_16BF, a.k, a.n, a.k));
  FB_CUBLAS_RETURN(
      cublasLtMatrixLayoutCreate(&plan.d, y_type, a.out_features, a.n, a.out_features));

  cublasLtMatmulPreference_t pref = nullptr;
  FB_CUBLAS_RETURN(cublasLtMatmulPreferenceCreate(&pref));
  size_t ws = ctx.gemm_workspace_bytes;
  cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws,
                                       sizeof(ws));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(ctx.lt, plan.op, plan.a, plan.b, plan.d,
                                                     plan.d, pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (st != CUBLAS_STATUS_SUCCESS || found == 0) {
    destroy_plan(plan);
    return internal_error("cuBLASLt has no algorithm for a bf16 GEMM of n " +
                          std::to_string(a.n) + ", out " + std::to_string(a.out_features) +
                          ", k " + std::to_string(a.k) + (a.bias ? " with bias" : "") +
                          " (status " + std::to_string(static_cast<int>(st)) + ")");
  }
  plan.algo = result.algo;
  return plan;
}

void clear_plans(Context& ctx) {
  for (auto& [key, plan] : ctx.gemm_plans) destroy_plan(plan);
  ctx.gemm_plans.clear();
}

}  // namespace

Status run_plan(Context& ctx, GemmPlan& plan, const GemmArgs& a);

Status gemm_bf16(Context& ctx, const GemmArgs& a) {
  if (a.n == 0) return Status::ok();
  const GemmKey key{a.n, a.out_features, a.k, static_cast<int>(a.y_dtype), a.bias != nullptr,
                    false};
  auto it = ctx.gemm_plans.find(key);
  if (it == ctx.gemm_plans.end()) {
    // Batch sizes vary per request: bound the cache rather than let it grow for ever.
    if (ctx.gemm_plans.size() >= kMaxCachedPlans) clear_plans(ctx);
    Result<GemmPlan> plan = make_plan(ctx, a);
    if (!plan.is_ok() && a.bias != nullptr) {
      // Some shapes have no algorithm with the BIAS epilogue: plain GEMM, then a bias pass.
      GemmArgs plain = a;
      plain.bias = nullptr;
      plan = make_plan(ctx, plain);
      if (plan.is_ok()) plan->bias_in_epilogue = false;
    }
    if (!plan.is_ok()) return plan.status();
    it = ctx.gemm_plans.emplace(key, *plan).first;
  }
  GemmPlan& plan = it->second;
  if (a.bias != nullptr && !plan.bias_in_epilogue) {
    FB_RETURN_IF_ERROR(run_plan(ctx, plan, a));
    return add_bias(ctx, a.bias, a.n, a.out_features, a.y, a.y_dtype);
  }
  return run_plan(ctx, plan, a);
}

Status run_plan(Context& ctx, GemmPlan& plan, const GemmArgs& a) {
  if (a.bias != nullptr && plan.bias_in_epilogue) {
    FB_CUBLAS_RETURN(cublasLtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                                                    &a.bias, sizeof(a.bias)));
  }
  const float alpha = 1.0f, beta = a.accumulate ? 1.0f : 0.0f;
  FB_CUBLAS_RETURN(cublasLtMatmul(ctx.lt, plan.op, &alpha, a.w, plan.a, a.x, plan.b, &beta, a.y,
                                  plan.d, a.y, plan.d, &plan.algo, ctx.gemm_workspace,
                                  ctx.gemm_workspace_bytes, ctx.stream));
  return Status::ok();
}

namespace {

Result<GemmPlan> make_fp8_plan(Context& ctx, const Fp8GemmArgs& a) {
  GemmPlan plan;
  const cudaDataType_t y_type = a.y_dtype == DType::kBF16 ? CUDA_R_16BF : CUDA_R_32F;
  FB_CUBLAS_RETURN(cublasLtMatmulDescCreate(&plan.op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t trans = CUBLAS_OP_T, no_trans = CUBLAS_OP_N;
  FB_CUBLAS_RETURN(cublasLtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_TRANSA, &trans,
                                                  sizeof(trans)));
  FB_CUBLAS_RETURN(cublasLtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_TRANSB,
                                                  &no_trans, sizeof(no_trans)));
  // A = the weight (cuBLAS rows = output features), B = the tokens: one scale per row of
  // each, the "outer vector" mode (Hopper, cuBLAS 12.9+).
  const cublasLtMatmulMatrixScale_t outer = CUBLASLT_MATMUL_MATRIX_SCALE_OUTER_VEC_32F;
  FB_CUBLAS_RETURN(cublasLtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_A_SCALE_MODE,
                                                  &outer, sizeof(outer)));
  FB_CUBLAS_RETURN(cublasLtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_B_SCALE_MODE,
                                                  &outer, sizeof(outer)));
  FB_CUBLAS_RETURN(cublasLtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER,
                                                  &a.w_scales, sizeof(a.w_scales)));
  FB_CUBLAS_RETURN(cublasLtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER,
                                                  &a.x_scales, sizeof(a.x_scales)));
  FB_CUBLAS_RETURN(cublasLtMatrixLayoutCreate(&plan.a, CUDA_R_8F_E4M3, a.k, a.out_features, a.k));
  FB_CUBLAS_RETURN(cublasLtMatrixLayoutCreate(&plan.b, CUDA_R_8F_E4M3, a.k, a.n, a.k));
  FB_CUBLAS_RETURN(
      cublasLtMatrixLayoutCreate(&plan.d, y_type, a.out_features, a.n, a.out_features));
  cublasLtMatmulPreference_t pref = nullptr;
  FB_CUBLAS_RETURN(cublasLtMatmulPreferenceCreate(&pref));
  size_t ws = ctx.gemm_workspace_bytes;
  cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws,
                                       sizeof(ws));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(ctx.lt, plan.op, plan.a, plan.b,
                                                           plan.d, plan.d, pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (st != CUBLAS_STATUS_SUCCESS || found == 0) {
    destroy_plan(plan);
    return unsupported("cuBLASLt has no FP8 (outer-vector scaled) GEMM for n " +
                       std::to_string(a.n) + ", out " + std::to_string(a.out_features) + ", k " +
                       std::to_string(a.k) + " on this GPU (status " +
                       std::to_string(static_cast<int>(st)) + ")");
  }
  plan.algo = result.algo;
  return plan;
}

}  // namespace

Status gemm_fp8(Context& ctx, const Fp8GemmArgs& a) {
  if (a.n == 0) return Status::ok();
  const GemmKey key{a.n, a.out_features, a.k, static_cast<int>(a.y_dtype), false, true};
  auto it = ctx.gemm_plans.find(key);
  if (it == ctx.gemm_plans.end()) {
    if (ctx.gemm_plans.size() >= kMaxCachedPlans) clear_plans(ctx);
    FB_ASSIGN_OR_RETURN(GemmPlan plan, make_fp8_plan(ctx, a));
    it = ctx.gemm_plans.emplace(key, plan).first;
  }
  GemmPlan& plan = it->second;
  FB_CUBLAS_RETURN(cublasLtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER,
                                                  &a.w_scales, sizeof(a.w_scales)));
  FB_CUBLAS_RETURN(cublasLtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER,
                                                  &a.x_scales, sizeof(a.x_scales)));
  const float alpha = 1.0f, beta = a.accumulate ? 1.0f : 0.0f;
  FB_CUBLAS_RETURN(cublasLtMatmul(ctx.lt, plan.op, &alpha, a.w, plan.a, a.x, plan.b, &beta, a.y,
                                  plan.d, a.y, plan.d, &plan.algo, ctx.gemm_workspace,
                                  ctx.gemm_workspace_bytes, ctx.stream));
  return Status::ok();
}

}  // namespace fourbrain::kernels::cuda
