// Shared argument checks for the ops: describing tensors in error messages, dtype/shape
// predicates, overlap tests and the device gate. Internal to ops/; stateless and
// thread-safe. Every failing check returns InvalidArgument (or Unsupported for devices
// without a backend yet) whose message starts with the op's name.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "base/status.h"
#include "core/tensor.h"
#include "kernels/cuda/cuda_backend.h"

namespace fourbrain::ops::detail {

// "f32[4, 1024]"
std::string describe(const Tensor& t);

// InvalidArgument "<op>: <what>".
Status bad_argument(std::string_view op, const std::string& what);

bool is_matrix(const Tensor& t, DType dtype);
bool is_vector(const Tensor& t, DType dtype, int64_t length);
// An activation output: f32 or bf16 matrix of the given shape.
bool is_activation_out(const Tensor& t, int64_t rows, int64_t cols);

// True when the byte ranges of a and b intersect (both non-empty).
bool overlaps(const Tensor& a, const Tensor& b);
// True if `out` partially overlaps `in`: an in-place op may write into `in` itself (same
// storage and dtype), nothing else.
bool bad_alias(const Tensor& in, const Tensor& out);

// Unsupported unless every tensor lives on the CPU (ops without another backend).
Status require_cpu(std::string_view op, std::initializer_list<const Tensor*> tensors);

// Where an op runs: the one device every tensor is on. Tensors on different devices are
// InvalidArgument; CUDA tensors also need a current CUDA context on this thread
// (kernels::cuda::ContextScope), else Unsupported.
Result<DeviceKind> op_device(std::string_view op, std::initializer_list<const Tensor*> tensors);

// This thread's CUDA context (op_device() has checked there is one).
inline kernels::cuda::Context& cuda_context() { return *kernels::cuda::current_context(); }

}  // namespace fourbrain::ops::detail
