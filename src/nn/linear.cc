#include "nn/linear.h"

#include <cstring>
#include <string>

namespace fourbrain::nn {

namespace {
thread_local LinearInputRecorder* thread_recorder = nullptr;
}  // namespace

LinearInputRecorder* LinearInputRecorder::install(LinearInputRecorder* recorder) {
  LinearInputRecorder* previous = thread_recorder;
  thread_recorder = recorder;
  return previous;
}

LinearInputRecorder* LinearInputRecorder::installed() { return thread_recorder; }

Result<Tensor> stack_rows(const std::vector<Tensor>& parts) {
  if (parts.empty()) return invalid_argument("stack_rows: no parts");
  const DType dtype = parts[0].dtype();
  const int64_t cols = parts[0].dim(-1);
  int64_t rows = 0;
  for (const Tensor& p : parts) {
    if (p.rank() != 2 || p.dtype() != dtype || p.dim(1) != cols) {
      return invalid_argument("stack_rows: part " + p.shape().to_string() + " " +
                              std::string(dtype_name(p.dtype())) + " does not match [*, " +
                              std::to_string(cols) + "] " + std::string(dtype_name(dtype)));
    }
    rows += p.dim(0);
  }
  FB_ASSIGN_OR_RETURN(Tensor out, Tensor::empty(dtype, {rows, cols}));
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  for (const Tensor& p : parts) {
    std::memcpy(dst, p.raw_data(), p.nbytes());
    dst += p.nbytes();
  }
  return out;
}

Result<Tensor> to_f32(const Tensor& t) {
  FB_ASSIGN_OR_RETURN(Tensor out, Tensor::empty(DType::kF32, t.shape()));
  float* dst = out.data<float>();
  const int64_t n = t.numel();
  switch (t.dtype()) {
    case DType::kF32:
      std::memcpy(dst, t.raw_data(), t.nbytes());
      break;
    case DType::kBF16:
    case DType::kF16: {
      // The source may be unaligned (a view into a safetensors mapping): copy bytes.
      const auto* src = static_cast<const uint8_t*>(t.raw_data());
      for (int64_t i = 0; i < n; ++i) {
        uint16_t bits;
        std::memcpy(&bits, src + 2 * i, 2);
        dst[i] = t.dtype() == DType::kBF16 ? bf16_to_f32(bits) : f16_to_f32(bits);
      }
      break;
    }
    default:
      return unsupported("to_f32: cannot convert " + std::string(dtype_name(t.dtype())));
  }
  return out;
}

Result<Tensor> concat_f32(const std::vector<Tensor>& parts) {
  int64_t total = 0;
  for (const Tensor& p : parts) {
    if (p.rank() != 1) {
      return invalid_argument("concat_f32: part " + p.shape().to_string() + " is not a vector");
    }
    total += p.dim(0);
  }
  FB_ASSIGN_OR_RETURN(Tensor out, Tensor::empty(DType::kF32, {total}));
  int64_t offset = 0;
  for (const Tensor& p : parts) {
    FB_ASSIGN_OR_RETURN(Tensor f32, to_f32(p));
    std::memcpy(out.data<float>() + offset, f32.raw_data(), f32.nbytes());
    offset += p.dim(0);
  }
  return out;
}

Result<Linear> Linear::from_parts(const std::vector<Tensor>& parts, ops::MatmulPrecision precision,
                                  const std::vector<Tensor>& biases, Allocator* device_memory) {
  if (!biases.empty() && biases.size() != parts.size()) {
    return invalid_argument("Linear::from_parts: " + std::to_string(parts.size()) + " parts but " +
                            std::to_string(biases.size()) + " biases");
  }
  Tensor bias;
  if (!biases.empty()) {
    if (biases.size() == 1) {
      bias = biases[0];
    } else {
      FB_ASSIGN_OR_RETURN(bias, concat_f32(biases));
    }
  }
  const Tensor* bias_ptr = biases.empty() ? nullptr : &bias;
  Linear linear;
  if (parts.size() == 1) {
    FB_ASSIGN_OR_RETURN(linear.weight_,
                        ops::LinearWeight::prepare(parts[0], precision, bias_ptr, device_memory));
  } else {
    FB_ASSIGN_OR_RETURN(Tensor stacked, stack_rows(parts));
    FB_ASSIGN_OR_RETURN(linear.weight_,
                        ops::LinearWeight::prepare(stacked, precision, bias_ptr, device_memory));
  }
  return linear;
}

Result<Linear> Linear::from_fp8(const Tensor& codes, const Tensor& scales, Allocator& device_memory,
                                bool fast_accumulation) {
  Linear linear;
  FB_ASSIGN_OR_RETURN(linear.weight_, ops::LinearWeight::prepare_fp8(codes, scales, device_memory,
                                                                     fast_accumulation));
  return linear;
}

Result<Linear> Linear::from_nvfp4(const Tensor& packed, const Tensor& block_scales,
                                  float global_scale, Allocator& device_memory,
                                  bool fast_accumulation) {
  Linear linear;
  FB_ASSIGN_OR_RETURN(linear.weight_,
                      ops::LinearWeight::prepare_nvfp4(packed, block_scales, global_scale,
                                                       device_memory, fast_accumulation));
  return linear;
}

}  // namespace fourbrain::nn
