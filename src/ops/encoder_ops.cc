// layer_norm, add_layer_norm, add, activation, pool_tokens (the BERT-family encoder ops):
// validation and dispatch.
#include <string>

#include "kernels/cpu/elementwise_add.h"
#include "kernels/cpu/layer_norm.h"
#include "kernels/cpu/pool_tokens.h"
#include "kernels/cpu/unary_activation.h"
#include "kernels/cuda/cuda_kernels.h"
#include "ops/ops.h"
#include "ops/ops_check.h"

namespace fourbrain::ops {

using detail::bad_alias;
using detail::bad_argument;
using detail::describe;

namespace {

std::string norm_params(const Tensor& weight, const Tensor& bias) {
  return "weight " + describe(weight) + ", bias " + describe(bias);
}

}  // namespace

Status layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                  Tensor& out) {
  constexpr std::string_view kOp = "layer_norm";
  if (!detail::is_matrix(x, DType::kF32) || !detail::is_vector(weight, DType::kF32, x.dim(1)) ||
      !detail::is_vector(bias, DType::kF32, x.dim(1)) ||
      !detail::is_activation_out(out, x.dim(0), x.dim(1))) {
    return bad_argument(kOp, "x " + describe(x) + ", " + norm_params(weight, bias) + ", out " +
                                 describe(out) +
                                 " (want x f32[n, h], weight and bias f32[h], out f32/bf16[n, h])");
  }
  if (bad_alias(x, out)) return bad_argument(kOp, "out partially overlaps x");
  FB_ASSIGN_OR_RETURN(DeviceKind device, detail::op_device(kOp, {&x, &weight, &bias, &out}));
  if (device == DeviceKind::kCuda) {
    return kernels::cuda::layer_norm(detail::cuda_context(), x.data<float>(), nullptr,
                                     weight.data<float>(), bias.data<float>(), eps, x.dim(0),
                                     x.dim(1), out.raw_data(), out.dtype());
  }
  kernels::cpu::layer_norm(x.data<float>(), weight.data<float>(), bias.data<float>(), x.dim(0),
                           x.dim(1), eps, out.raw_data(), out.dtype());
  return Status::ok();
}

Status add_layer_norm(const Tensor& x, const Tensor& residual, const Tensor& weight,
                      const Tensor& bias, float eps, Tensor& out) {
  constexpr std::string_view kOp = "add_layer_norm";
  if (!detail::is_matrix(x, DType::kF32) || !detail::is_matrix(residual, DType::kF32) ||
      !detail::is_matrix(out, DType::kF32) || residual.shape() != x.shape() ||
      out.shape() != x.shape() || !detail::is_vector(weight, DType::kF32, x.dim(1)) ||
      !detail::is_vector(bias, DType::kF32, x.dim(1))) {
    return bad_argument(kOp, "x " + describe(x) + ", residual " + describe(residual) + ", " +
                                 norm_params(weight, bias) + ", out " + describe(out) +
                                 " (want x, residual, out f32[n, h], weight and bias f32[h])");
  }
  if (bad_alias(x, out) || bad_alias(residual, out) || bad_alias(x, residual)) {
    return bad_argument(kOp, "out may be x or residual itself, but must not partially overlap");
  }
  FB_ASSIGN_OR_RETURN(DeviceKind device,
                      detail::op_device(kOp, {&x, &residual, &weight, &bias, &out}));
  if (device == DeviceKind::kCuda) {
    return kernels::cuda::layer_norm(detail::cuda_context(), x.data<float>(),
                                     residual.data<float>(), weight.data<float>(),
                                     bias.data<float>(), eps, x.dim(0), x.dim(1),
                                     out.raw_data(), out.dtype());
  }
  kernels::cpu::add_layer_norm(x.data<float>(), residual.data<float>(), weight.data<float>(),
                               bias.data<float>(), x.dim(0), x.dim(1), eps, out.data<float>());
  return Status::ok();
}

Status add(const Tensor& a, const Tensor& b, Tensor& out) {
  constexpr std::string_view kOp = "add";
  if (a.dtype() != DType::kF32 || b.dtype() != DType::kF32 || out.dtype() != DType::kF32 ||
      a.shape() != b.shape() || out.shape() != a.shape() || !a.defined() || !b.defined() ||
      !out.defined()) {
    return bad_argument(kOp, "a " + describe(a) + ", b " + describe(b) + ", out " + describe(out) +
                                 " (want three f32 tensors of one shape)");
  }
  if (bad_alias(a, out) || bad_alias(b, out)) {
    return bad_argument(kOp, "out may be a or b itself, but must not partially overlap");
  }
  FB_ASSIGN_OR_RETURN(DeviceKind device, detail::op_device(kOp, {&a, &b, &out}));
  if (device == DeviceKind::kCuda) {
    return kernels::cuda::add(detail::cuda_context(), a.data<float>(), b.data<float>(),
                              a.numel(), out.data<float>());
  }
  kernels::cpu::elementwise_add(a.data<float>(), b.data<float>(), a.numel(), out.data<float>());
  return Status::ok();
}

Status activation(const Tensor& x, Activation act, Tensor& out) {
  constexpr std::string_view kOp = "activation";
  if (!detail::is_matrix(x, DType::kF32) || !detail::is_activation_out(out, x.dim(0), x.dim(1))) {
    return bad_argument(kOp, "x " + describe(x) + ", out " + describe(out) +
                                 " (want x f32[n, d], out f32/bf16[n, d])");
  }
  if (bad_alias(x, out)) return bad_argument(kOp, "out partially overlaps x");
  FB_ASSIGN_OR_RETURN(DeviceKind device, detail::op_device(kOp, {&x, &out}));
  if (device == DeviceKind::kCuda) {
    const kernels::cuda::Activation kind = act == Activation::kGelu ? kernels::cuda::Activation::kGelu
                                           : act == Activation::kGeluTanh
                                               ? kernels::cuda::Activation::kGeluTanh
                                               : kernels::cuda::Activation::kTanh;
    return kernels::cuda::activation(detail::cuda_context(), x.data<float>(), x.numel(), kind,
                                     out.raw_data(), out.dtype());
  }
  kernels::cpu::UnaryActivation kind = kernels::cpu::UnaryActivation::kGelu;
  switch (act) {
    case Activation::kGelu:
      kind = kernels::cpu::UnaryActivation::kGelu;
      break;
    case Activation::kGeluTanh:
      kind = kernels::cpu::UnaryActivation::kGeluTanh;
      break;
    case Activation::kTanh:
      kind = kernels::cpu::UnaryActivation::kTanh;
      break;
  }
  kernels::cpu::unary_activation(x.data<float>(), x.dim(0), x.dim(1), kind, out.raw_data(),
                                 out.dtype());
  return Status::ok();
}

Status pool_tokens(const Tensor& x, const Tensor& cu_seqlens, TokenPooling mode, Tensor& out) {
  constexpr std::string_view kOp = "pool_tokens";
  if (!detail::is_matrix(x, DType::kF32) || cu_seqlens.rank() != 1 ||
      cu_seqlens.dtype() != DType::kI32 || cu_seqlens.dim(0) < 1 || !cu_seqlens.defined() ||
      !detail::is_matrix(out, DType::kF32) || out.dim(0) != cu_seqlens.dim(0) - 1 ||
      out.dim(1) != x.dim(1)) {
    return bad_argument(kOp, "x " + describe(x) + ", cu_seqlens " + describe(cu_seqlens) +
                                 ", out " + describe(out) +
                                 " (want x f32[n, d], cu_seqlens i32[s + 1], out f32[s, d])");
  }
  if (detail::overlaps(x, out)) return bad_argument(kOp, "out overlaps x");
  FB_ASSIGN_OR_RETURN(DeviceKind device, detail::op_device(kOp, {&x, &cu_seqlens, &out}));
  if (device == DeviceKind::kCuda) {  // cu_seqlens are on the device: the caller vouches
    const kernels::cuda::Pooling kind = mode == TokenPooling::kMean ? kernels::cuda::Pooling::kMean
                                        : mode == TokenPooling::kFirst
                                            ? kernels::cuda::Pooling::kFirst
                                            : kernels::cuda::Pooling::kLast;
    return kernels::cuda::pool_tokens(detail::cuda_context(), x.data<float>(),
                                      cu_seqlens.data<int32_t>(), cu_seqlens.dim(0) - 1,
                                      x.dim(1), kind, out.data<float>());
  }
  const int32_t* cu = cu_seqlens.data<int32_t>();
  const int64_t n_seqs = cu_seqlens.dim(0) - 1;
  bool ok = cu[0] == 0 && cu[n_seqs] == x.dim(0);
  for (int64_t s = 0; ok && s < n_seqs; ++s) {
    ok = cu[s + 1] >= cu[s] && (mode == TokenPooling::kMean || cu[s + 1] > cu[s]);
  }
  if (!ok) {
    return bad_argument(kOp, "cu_seqlens must rise from 0 to n_tokens " + std::to_string(x.dim(0)) +
                                 (mode == TokenPooling::kMean ? "" : " with no empty sequence"));
  }
  kernels::cpu::TokenPooling kind = kernels::cpu::TokenPooling::kMean;
  if (mode == TokenPooling::kFirst) kind = kernels::cpu::TokenPooling::kFirst;
  if (mode == TokenPooling::kLast) kind = kernels::cpu::TokenPooling::kLast;
  kernels::cpu::pool_tokens(x.data<float>(), x.dim(1), cu, n_seqs, kind, out.data<float>());
  return Status::ok();
}

Status convert(const Tensor& src, Tensor& dst) {
  constexpr std::string_view kOp = "convert";
  if (!src.defined() || !dst.defined() || src.dtype() != DType::kF32 ||
      dst.dtype() != DType::kBF16 || src.shape() != dst.shape()) {
    return bad_argument(kOp, "src " + describe(src) + ", dst " + describe(dst) +
                                 " (want f32 -> bf16 of one shape)");
  }
  FB_ASSIGN_OR_RETURN(DeviceKind device, detail::op_device(kOp, {&src, &dst}));
  if (device == DeviceKind::kCuda) {
    return kernels::cuda::convert_to_bf16(detail::cuda_context(), src.data<float>(), src.numel(),
                                          dst.data<uint16_t>());
  }
  const float* in = src.data<float>();
  uint16_t* out = dst.data<uint16_t>();
  for (int64_t i = 0; i < src.numel(); ++i) out[i] = f32_to_bf16(in[i]);
  return Status::ok();
}

}  // namespace fourbrain::ops
