// qk_norm_rope and attention: validation (including the cu_seqlens and position values)
// and dispatch.
#include <cmath>
#include <string>

#include "kernels/cpu/attention.h"
#include "kernels/cpu/rope.h"
#include "kernels/cuda/cuda_kernels.h"
#include "ops/ops.h"
#include "ops/ops_check.h"

namespace fourbrain::ops {

using detail::bad_argument;
using detail::describe;

namespace {

std::string heads_text(int n_heads, int n_kv_heads, int head_dim) {
  return "n_heads " + std::to_string(n_heads) + ", n_kv_heads " + std::to_string(n_kv_heads) +
         ", head_dim " + std::to_string(head_dim);
}

// qkv must be f32 (or, on CUDA, bf16) [n, (n_heads + 2 * n_kv_heads) * head_dim] with sane
// head counts.
Status check_qkv(std::string_view op, const Tensor& qkv, int n_heads, int n_kv_heads,
                 int head_dim) {
  if (n_heads <= 0 || n_kv_heads <= 0 || head_dim <= 0 || n_heads % n_kv_heads != 0) {
    return bad_argument(op, heads_text(n_heads, n_kv_heads, head_dim) +
                                ": need positive counts with n_kv_heads dividing n_heads");
  }
  const int64_t width = int64_t{n_heads + 2 * n_kv_heads} * head_dim;
  const bool dtype_ok = detail::is_matrix(qkv, DType::kF32) ||
                        (qkv.device() == DeviceKind::kCuda && detail::is_matrix(qkv, DType::kBF16));
  if (!dtype_ok || qkv.dim(1) != width) {
    return bad_argument(op, "qkv " + describe(qkv) + " must be f32[n, " + std::to_string(width) +
                                "] for " + heads_text(n_heads, n_kv_heads, head_dim));
  }
  return Status::ok();
}

}  // namespace

Status qk_norm_rope(Tensor& qkv, int n_heads, int n_kv_heads, int head_dim, const Tensor& q_norm,
                    const Tensor& k_norm, float eps, const Tensor& positions, float rope_theta) {
  constexpr std::string_view kOp = "qk_norm_rope";
  FB_RETURN_IF_ERROR(check_qkv(kOp, qkv, n_heads, n_kv_heads, head_dim));
  if (head_dim % 2 != 0)
    return bad_argument(kOp, "head_dim " + std::to_string(head_dim) + " is odd");
  if (!detail::is_vector(q_norm, DType::kF32, head_dim) ||
      !detail::is_vector(k_norm, DType::kF32, head_dim) ||
      !detail::is_vector(positions, DType::kI32, qkv.dim(0))) {
    return bad_argument(kOp, "q_norm " + describe(q_norm) + ", k_norm " + describe(k_norm) +
                                 ", positions " + describe(positions) + " (want f32[" +
                                 std::to_string(head_dim) + "], f32[" + std::to_string(head_dim) +
                                 "], i32[" + std::to_string(qkv.dim(0)) + "])");
  }
  if (!(rope_theta > 0.0f) || !std::isfinite(rope_theta)) {
    return bad_argument(kOp, "rope_theta " + std::to_string(rope_theta) + " must be positive");
  }
  FB_ASSIGN_OR_RETURN(DeviceKind device,
                      detail::op_device(kOp, {&qkv, &q_norm, &k_norm, &positions}));
  if (device == DeviceKind::kCuda) {  // positions are on the device: the caller vouches
    kernels::cuda::QkNormRopeArgs args;
    args.qkv = qkv.raw_data();
    args.dtype = qkv.dtype();
    args.n_tokens = qkv.dim(0);
    args.n_heads = n_heads;
    args.n_kv_heads = n_kv_heads;
    args.head_dim = head_dim;
    args.q_norm = q_norm.data<float>();
    args.k_norm = k_norm.data<float>();
    args.eps = eps;
    args.positions = positions.data<int32_t>();
    args.theta = rope_theta;
    return kernels::cuda::qk_norm_rope(detail::cuda_context(), args);
  }
  const int32_t* pos = positions.data<int32_t>();
  for (int64_t i = 0; i < positions.dim(0); ++i) {
    if (pos[i] < 0) {
      return bad_argument(kOp, "positions[" + std::to_string(i) + "] = " + std::to_string(pos[i]));
    }
  }
  kernels::cpu::QkNormRopeArgs args;
  args.qkv = qkv.data<float>();
  args.row_stride = qkv.dim(1);
  args.n_tokens = qkv.dim(0);
  args.n_heads = n_heads;
  args.n_kv_heads = n_kv_heads;
  args.head_dim = head_dim;
  args.q_norm = q_norm.data<float>();
  args.k_norm = k_norm.data<float>();
  args.eps = eps;
  args.positions = pos;
  args.theta = rope_theta;
  kernels::cpu::qk_norm_rope(args);
  return Status::ok();
}

Status attention(const Tensor& qkv, const Tensor& cu_seqlens, int max_seqlen, int n_heads,
                 int n_kv_heads, int head_dim, bool causal, Tensor& out) {
  constexpr std::string_view kOp = "attention";
  FB_RETURN_IF_ERROR(check_qkv(kOp, qkv, n_heads, n_kv_heads, head_dim));
  const int64_t n = qkv.dim(0);
  if (cu_seqlens.rank() != 1 || cu_seqlens.dtype() != DType::kI32 || cu_seqlens.dim(0) < 1) {
    return bad_argument(kOp, "cu_seqlens " + describe(cu_seqlens) + " must be i32[n_seqs + 1]");
  }
  if (!detail::is_activation_out(out, n, int64_t{n_heads} * head_dim)) {
    return bad_argument(kOp, "out " + describe(out) + " must be f32/bf16[" + std::to_string(n) +
                                 ", " + std::to_string(int64_t{n_heads} * head_dim) + "]");
  }
  if (detail::overlaps(qkv, out)) return bad_argument(kOp, "out overlaps qkv");
  FB_ASSIGN_OR_RETURN(DeviceKind device, detail::op_device(kOp, {&qkv, &cu_seqlens, &out}));
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  if (device == DeviceKind::kCuda) {  // cu_seqlens are on the device: the caller vouches
    kernels::cuda::AttentionArgs args;
    args.qkv = qkv.raw_data();
    args.qkv_dtype = qkv.dtype();
    args.cu_seqlens = cu_seqlens.data<int32_t>();
    args.n_seqs = static_cast<int>(cu_seqlens.dim(0) - 1);
    args.max_seqlen = max_seqlen;
    args.n_heads = n_heads;
    args.n_kv_heads = n_kv_heads;
    args.head_dim = head_dim;
    args.causal = causal;
    args.scale = scale;
    args.out = out.raw_data();
    args.out_dtype = out.dtype();
    return kernels::cuda::attention(detail::cuda_context(), args);
  }
  const int32_t* cu = cu_seqlens.data<int32_t>();
  const int64_t n_seqs = cu_seqlens.dim(0) - 1;
  bool ok = cu[0] == 0 && cu[n_seqs] == n;
  for (int64_t s = 0; ok && s < n_seqs; ++s) {
    ok = cu[s + 1] >= cu[s] && cu[s + 1] - cu[s] <= max_seqlen;
  }
  if (!ok) {
    return bad_argument(kOp, "cu_seqlens must rise from 0 to n_tokens " + std::to_string(n) +
                                 " in steps of at most max_seqlen " + std::to_string(max_seqlen));
  }
  kernels::cpu::AttentionArgs args;
  args.qkv = qkv.data<float>();
  args.qkv_row_stride = qkv.dim(1);
  args.cu_seqlens = cu;
  args.n_seqs = n_seqs;
  args.n_heads = n_heads;
  args.n_kv_heads = n_kv_heads;
  args.head_dim = head_dim;
  args.causal = causal;
  args.scale = scale;
  args.out = out.raw_data();
  args.out_dtype = out.dtype();
  args.out_row_stride = out.dim(1);
  kernels::cpu::attention(args);
  return Status::ok();
}

}  // namespace fourbrain::ops
