// CPU GEMM for linear layers: y [m, n] = x [m, k] · Wᵀ (+ bias [n]) with W [n, k] prepared
// once. The optional f32 bias is added by oneDNN inside the matmul (no extra pass).
//
// Backed by oneDNN's matmul (AMX / AVX512-BF16 brgemm kernels for bf16, AVX-512 brgemm for
// f32). pack() converts the weight to the compute type and reorders it into the layout
// oneDNN's matmul prefers (kBlocked), which is markedly faster than the plain row-major
// layout; the packed bytes come from host_allocator() so they are counted.
//
// Matmul primitives depend on m, which changes with every batch, so they are kept in a
// process-wide LRU cache keyed by (m, n, k, precision, weight layout, thread count) and
// shared by all weights of the same shape. Scratch memory (oneDNN scratchpad, the bf16
// copy of x) is per thread and reused, so a multiply does not allocate in steady state.
//
// Thread safety: a GemmWeight is immutable after pack(); multiply() may run concurrently
// from many threads. Failures (allocation, oneDNN errors) are returned as Status.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/status.h"
#include "core/dtype.h"

namespace fourbrain::kernels::cpu {

enum class GemmPrecision {
  kF32,   // f32 weights and activations, f32 accumulation
  kBF16,  // bf16 weights and activations (f32 x rounded to bf16), f32 accumulation
};

enum class GemmWeightLayout {
  kBlocked,  // whatever oneDNN's matmul prefers for this shape (fastest)
  kPlain,    // row-major [n, k], for comparison
};

class GemmWeight {
 public:
  // `w` is [n, k] row-major of dtype f32, bf16 or f16, at any alignment; `bias` (may be
  // null) is f32 [n]. Both are read only during pack() (the bias is copied).
  static Result<std::unique_ptr<GemmWeight>> pack(
      const void* w, DType w_dtype, int64_t n, int64_t k, GemmPrecision precision,
      GemmWeightLayout layout = GemmWeightLayout::kBlocked, const float* bias = nullptr);
  ~GemmWeight();
  GemmWeight(const GemmWeight&) = delete;
  GemmWeight& operator=(const GemmWeight&) = delete;

  int64_t n() const;
  int64_t k() const;
  GemmPrecision precision() const;
  size_t nbytes() const;
  bool has_bias() const;

  // y [m, n] (row stride n) = x [m, k] (row stride k) · Wᵀ (+ bias). x is f32, or bf16 when the
  // precision is kBF16 (then no conversion pass is needed). x and y must not overlap.
  Status multiply(const void* x, DType x_dtype, int64_t m, float* y) const;

 private:
  struct Impl;
  // One oneDNN matmul over m rows.
  Status multiply_rows(const void* x, DType x_dtype, int64_t m, float* y) const;
  explicit GemmWeight(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fourbrain::kernels::cpu
