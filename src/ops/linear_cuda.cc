// The CUDA backend's prepared weight and its GEMM (kernels/cuda, cuBLASLt): the weight is
// converted to bf16 on the host once and uploaded; the bias stays f32 for the epilogue.
#include "ops/linear_cuda.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/cpu/convert.h"
#include "kernels/cuda/cuda_kernels.h"
#include "ops/ops_check.h"

namespace fourbrain::ops::detail {
namespace {

// A host bf16 copy of `t` (bf16/f16/f32; the source may be an unaligned mapping).
std::vector<uint16_t> to_bf16(const Tensor& t) {
  const size_t n = static_cast<size_t>(t.numel());
  std::vector<uint16_t> out(n);
  if (t.dtype() == DType::kBF16) {
    std::memcpy(out.data(), t.raw_data(), n * 2);
    return out;
  }
  std::vector<float> f32(n);
  kernels::cpu::convert_to_f32(t.raw_data(), t.dtype(), static_cast<int64_t>(n), f32.data());
  for (size_t i = 0; i < n; ++i) out[i] = f32_to_bf16(f32[i]);
  return out;
}

// FP8 rows in the context's scratch: codes [n, k], then (16-byte aligned for cuBLASLt)
// scales [n].
size_t fp8_codes_bytes(int64_t n, int64_t k) {
  return (static_cast<size_t>(n * k) + 255) / 256 * 256;
}
size_t fp8_rows_bytes(int64_t n, int64_t k) {
  return fp8_codes_bytes(n, k) + static_cast<size_t>(n) * 4;
}
Fp8Rows fp8_rows_at(void* at, int64_t n, int64_t k) {
  auto* codes = static_cast<uint8_t*>(at);
  return Fp8Rows{
      Tensor::borrow(DType::kU8, {n, k}, codes, nullptr, DeviceKind::kCuda),
      Tensor::borrow(DType::kF32, {n}, codes + fp8_codes_bytes(n, k), nullptr, DeviceKind::kCuda)};
}

}  // namespace

Status CudaWeight::multiply_fp8(const Fp8Rows&, Tensor&, bool) const {
  return bad_argument("linear", "FP8 rows feed FP8 weights only (and NVFP4 ones on Hopper)");
}

Status check_quantized_inputs(const Tensor& x, const Tensor& y, const std::string& weight_kind) {
  if (x.device() != DeviceKind::kCuda || y.device() != DeviceKind::kCuda ||
      x.dtype() != DType::kBF16) {
    return bad_argument("linear",
                        weight_kind + " weight takes x bf16 and y on CUDA, not x " + describe(x));
  }
  if (kernels::cuda::current_context() == nullptr) {
    return unsupported("linear: CUDA tensors but no CUDA context on this thread");
  }
  return Status::ok();
}

Result<Tensor> upload(const void* host, DType dtype, Shape shape, Allocator& device_memory) {
  FB_ASSIGN_OR_RETURN(Tensor t, Tensor::empty(dtype, std::move(shape), device_memory));
  FB_RETURN_IF_ERROR(kernels::cuda::copy_to_device(t.raw_data(), host, t.nbytes()));
  return t;
}

Result<std::shared_ptr<const LinearWeight>> CudaLinearWeight::create(
    const Tensor& weight, const std::vector<float>* bias_f32, Allocator& device_memory) {
  auto w = std::make_shared<CudaLinearWeight>();
  const std::vector<uint16_t> bf16 = to_bf16(weight);
  FB_ASSIGN_OR_RETURN(w->weight_, upload(bf16.data(), DType::kBF16, weight.shape(), device_memory));
  if (bias_f32 != nullptr) {
    FB_ASSIGN_OR_RETURN(w->bias_, upload(bias_f32->data(), DType::kF32,
                                         {static_cast<int64_t>(bias_f32->size())}, device_memory));
  }
  return std::shared_ptr<const LinearWeight>(w);
}

Status CudaLinearWeight::multiply(const Tensor& x, Tensor& y, bool accumulate) const {
  constexpr std::string_view kOp = "linear";
  if (x.device() != DeviceKind::kCuda || y.device() != DeviceKind::kCuda) {
    return bad_argument(kOp, "weight is on CUDA but x or y is not");
  }
  if (x.dtype() != DType::kBF16) {
    return bad_argument(kOp, "x " + describe(x) + " must be bf16 on CUDA");
  }
  if (kernels::cuda::current_context() == nullptr) {
    return unsupported("linear: CUDA tensors but no CUDA context on this thread");
  }
  kernels::cuda::GemmArgs args;
  args.x = x.data<uint16_t>();
  args.w = weight_.data<uint16_t>();
  args.bias = bias_.defined() && bias_.numel() > 0 ? bias_.data<float>() : nullptr;
  set_gemm_shape(args, x.dim(0), *this, y, accumulate);
  return kernels::cuda::gemm_bf16(cuda_context(), args);
}

Result<std::shared_ptr<const LinearWeight>> CudaFp8LinearWeight::create(const Tensor& codes,
                                                                        const Tensor& scales,
                                                                        Allocator& device_memory,
                                                                        bool fast_accumulation) {
  if (codes.rank() != 2 || codes.dtype() != DType::kU8 || scales.dtype() != DType::kF32 ||
      scales.rank() != 1 || scales.dim(0) != codes.dim(0)) {
    return bad_argument("LinearWeight::prepare_fp8", "codes " + describe(codes) + ", scales " +
                                                         describe(scales) +
                                                         " (want u8[out, in], f32[out])");
  }
  auto w = std::make_shared<CudaFp8LinearWeight>();
  w->fast_accumulation_ = fast_accumulation;
  FB_ASSIGN_OR_RETURN(w->codes_,
                      upload(codes.raw_data(), DType::kU8, codes.shape(), device_memory));
  FB_ASSIGN_OR_RETURN(w->scales_,
                      upload(scales.raw_data(), DType::kF32, scales.shape(), device_memory));
  return std::shared_ptr<const LinearWeight>(w);
}

Status CudaFp8LinearWeight::multiply(const Tensor& x, Tensor& y, bool accumulate) const {
  FB_RETURN_IF_ERROR(check_quantized_inputs(x, y, "an FP8"));
  const int64_t n = x.dim(0), k = in_features();
  FB_ASSIGN_OR_RETURN(void* scratch,
                      kernels::cuda::context_scratch(cuda_context(), fp8_rows_bytes(n, k)));
  Fp8Rows rows = fp8_rows_at(scratch, n, k);
  FB_RETURN_IF_ERROR(quantize_fp8_rows(x, rows));
  return multiply_fp8(rows, y, accumulate);
}

Status CudaFp8LinearWeight::multiply_fp8(const Fp8Rows& x, Tensor& y, bool accumulate) const {
  kernels::cuda::Fp8GemmArgs args;
  args.x = x.codes.data<uint8_t>();
  args.x_scales = x.scales.data<float>();
  args.w = codes_.data<uint8_t>();
  args.w_scales = scales_.data<float>();
  set_gemm_shape(args, x.codes.dim(0), *this, y, accumulate);
  args.fast_accumulation = fast_accumulation_;
  return kernels::cuda::gemm_fp8(cuda_context(), args);
}

Status check_nvfp4_weight(const Tensor& packed, const Tensor& block_scales, float global_scale) {
  const bool shapes_ok = packed.rank() == 2 && packed.dtype() == DType::kU8 &&
                         block_scales.rank() == 2 && block_scales.dtype() == DType::kU8 &&
                         block_scales.dim(0) == packed.dim(0) &&
                         block_scales.dim(1) * 8 == packed.dim(1);
  const int64_t out = packed.dim(0), in = packed.rank() == 2 ? packed.dim(1) * 2 : 0;
  if (!shapes_ok || out % 8 != 0 || in % 64 != 0 || !(global_scale > 0)) {
    return bad_argument("LinearWeight::prepare_nvfp4",
                        "packed " + describe(packed) + ", block scales " + describe(block_scales) +
                            " (want u8[out, in/2], u8[out, in/16], out % 8 == 0, in % 64 == 0, "
                            "a positive global scale)");
  }
  return Status::ok();
}

std::vector<uint8_t> nvfp4_tiled_layout(const uint8_t* packed, const uint8_t* block_scales,
                                        int64_t out, int64_t in) {
  using kernels::cuda::kNvfp4BlockTiles;
  const int64_t chunks = in / 64, n_tiles = out / 8, row_bytes = in / 2, scale_cols = in / 16;
  auto code = [&](int64_t row, int64_t col) -> uint32_t {
    return (packed[row * row_bytes + col / 2] >> (4 * (col & 1))) & 15u;
  };
  // Where the sign of each code of a word lands (see decode_word in nvfp4_kernels.cu): the
  // step's inputs (2t, 2t+1, 2t+8, 2t+9) for steps 2w and 2w + 1.
  constexpr int kSignBit[2][4] = {{15, 31, 11, 27}, {7, 23, 3, 19}};
  std::vector<uint8_t> dst(static_cast<size_t>(out * row_bytes + out * scale_cols));
  size_t i = 0;
  for (int64_t rb = 0; rb * kNvfp4BlockTiles < n_tiles; ++rb) {
    const int64_t tiles = std::min(kNvfp4BlockTiles, n_tiles - rb * kNvfp4BlockTiles);
    for (int64_t c = 0; c < chunks; ++c) {
      for (int64_t tile = rb * kNvfp4BlockTiles; tile < rb * kNvfp4BlockTiles + tiles; ++tile) {
        for (int lane = 0; lane < 32; ++lane) {
          const int64_t row = tile * 8 + lane / 4, t = lane % 4;
          for (int word = 0; word < 2; ++word) {
            uint32_t v = 0;
            for (int half = 0; half < 2; ++half) {
              const int64_t col0 = c * 64 + (2 * word + half) * 16 + 2 * t;
              const int64_t cols[4] = {col0, col0 + 1, col0 + 8, col0 + 9};
              for (int q = 0; q < 4; ++q) {
                const uint32_t cd = code(row, cols[q]);
                v |= (cd & 7u) << (4 * (4 * half + q));
                v |= (cd >> 3) << kSignBit[half][q];
              }
            }
            for (int b = 0; b < 4; ++b) dst[i++] = static_cast<uint8_t>(v >> (8 * b));
          }
        }
        for (int g = 0; g < 8; ++g) {
          for (int j = 0; j < 4; ++j)
            dst[i++] = block_scales[(tile * 8 + g) * scale_cols + c * 4 + j];
        }
      }
    }
  }
  return dst;
}

namespace {

// Per row, the power of two p that scales the row's largest decoded value (6 x its largest
// block scale) to at most 448, e4m3's largest, then global / p: the FP8 GEMM's row scale.
std::vector<float> fp8_row_scales(const uint8_t* block_scales, int64_t out, int64_t in,
                                  float global_scale) {
  const int64_t cols = in / 16;
  std::vector<float> scales(static_cast<size_t>(2 * out));
  for (int64_t r = 0; r < out; ++r) {
    // Larger non-negative e4m3 bytes are larger values.
    const uint8_t* row = block_scales + r * cols;
    const float largest = 6.0f * e4m3_to_f32(*std::max_element(row, row + cols));
    float p = 1.0f;
    if (largest > 0.0f) {
      int e = 0;
      std::frexp(448.0f / largest, &e);  // 448 / largest in [2^(e-1), 2^e)
      p = std::ldexp(1.0f, e - 1);
    }
    scales[r] = p;
    scales[out + r] = global_scale / p;
  }
  return scales;
}

}  // namespace

Result<std::shared_ptr<const LinearWeight>> CudaNvfp4LinearWeight::create(
    const Tensor& packed, const Tensor& block_scales, float global_scale, Allocator& device_memory,
    bool fp8_gemm, bool fast_accumulation) {
  FB_RETURN_IF_ERROR(check_nvfp4_weight(packed, block_scales, global_scale));
  const int64_t out = packed.dim(0), in = packed.dim(1) * 2;
  auto w = std::make_shared<CudaNvfp4LinearWeight>();
  const std::vector<uint8_t> tiled =
      nvfp4_tiled_layout(packed.data<uint8_t>(), block_scales.data<uint8_t>(), out, in);
  FB_ASSIGN_OR_RETURN(w->weight_, upload(tiled.data(), DType::kU8,
                                         {static_cast<int64_t>(tiled.size())}, device_memory));
  w->out_ = out;
  w->in_ = in;
  w->global_scale_ = global_scale;
  w->fp8_gemm_ = fp8_gemm;
  w->fast_accumulation_ = fast_accumulation;
  if (fp8_gemm) {
    const std::vector<float> scales =
        fp8_row_scales(block_scales.data<uint8_t>(), out, in, global_scale);
    FB_ASSIGN_OR_RETURN(w->fp8_row_scales_,
                        upload(scales.data(), DType::kF32, {2, out}, device_memory));
  }
  return std::shared_ptr<const LinearWeight>(w);
}

bool CudaNvfp4LinearWeight::takes_fp8_rows(int64_t n) const {
  return fp8_gemm_ && n > kernels::cuda::kNvfp4SmallBatch;
}

Status CudaNvfp4LinearWeight::multiply(const Tensor& x, Tensor& y, bool accumulate) const {
  FB_RETURN_IF_ERROR(check_quantized_inputs(x, y, "an NVFP4"));
  kernels::cuda::Context& ctx = cuda_context();
  const int64_t n = x.dim(0);
  if (n <= kernels::cuda::kNvfp4SmallBatch && !(accumulate && y.dtype() != DType::kF32) &&
      kernels::cuda::nvfp4_small_batch_supported(ctx)) {
    kernels::cuda::Nvfp4GemmArgs args;
    args.x = x.data<uint16_t>();
    args.w = weight_.data<uint8_t>();
    args.global_scale = global_scale_;
    set_gemm_shape(args, n, *this, y, accumulate);
    return kernels::cuda::gemm_nvfp4_small(ctx, args);
  }
  if (fp8_gemm_) return multiply_as_fp8(&x, nullptr, y, accumulate);
  return multiply_as_bf16(x, y, accumulate);
}

Status CudaNvfp4LinearWeight::multiply_fp8(const Fp8Rows& x, Tensor& y, bool accumulate) const {
  if (!fp8_gemm_) return CudaWeight::multiply_fp8(x, y, accumulate);
  return multiply_as_fp8(nullptr, &x, y, accumulate);
}

Status CudaNvfp4LinearWeight::multiply_as_fp8(const Tensor* x, const Fp8Rows* rows, Tensor& y,
                                              bool accumulate) const {
  kernels::cuda::Context& ctx = cuda_context();
  const int64_t n = rows != nullptr ? rows->codes.dim(0) : x->dim(0), k = in_, out = out_;
  // Scratch: the decoded weight, then (for a bf16 x) x's FP8 rows.
  const size_t w_bytes = fp8_codes_bytes(out, k);
  FB_ASSIGN_OR_RETURN(void* scratch, kernels::cuda::context_scratch(
                                         ctx, w_bytes + (rows ? 0 : fp8_rows_bytes(n, k))));
  auto* w_fp8 = static_cast<uint8_t*>(scratch);
  const float* multipliers = fp8_row_scales_.data<float>();
  FB_RETURN_IF_ERROR(kernels::cuda::dequantize_nvfp4_fp8(ctx, weight_.data<uint8_t>(), multipliers,
                                                         out, k, w_fp8));
  Fp8Rows own;
  if (rows == nullptr) {
    own = fp8_rows_at(w_fp8 + w_bytes, n, k);
    FB_RETURN_IF_ERROR(quantize_fp8_rows(*x, own));
    rows = &own;
  }
  kernels::cuda::Fp8GemmArgs args;
  args.x = rows->codes.data<uint8_t>();
  args.x_scales = rows->scales.data<float>();
  args.w = w_fp8;
  args.w_scales = multipliers + out;
  set_gemm_shape(args, n, *this, y, accumulate);
  args.fast_accumulation = fast_accumulation_;
  return kernels::cuda::gemm_fp8(ctx, args);
}

Status CudaNvfp4LinearWeight::multiply_as_bf16(const Tensor& x, Tensor& y, bool accumulate) const {
  kernels::cuda::Context& ctx = cuda_context();
  const int64_t n = x.dim(0), k = in_, out = out_;
  FB_ASSIGN_OR_RETURN(void* scratch,
                      kernels::cuda::context_scratch(ctx, static_cast<size_t>(out * k) * 2));
  auto* w_bf16 = static_cast<uint16_t*>(scratch);
  FB_RETURN_IF_ERROR(
      kernels::cuda::dequantize_nvfp4(ctx, weight_.data<uint8_t>(), global_scale_, out, k, w_bf16));
  kernels::cuda::GemmArgs args;
  args.x = x.data<uint16_t>();
  args.w = w_bf16;
  set_gemm_shape(args, n, *this, y, accumulate);
  return kernels::cuda::gemm_bf16(ctx, args);
}

}  // namespace fourbrain::ops::detail
