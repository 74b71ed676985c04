// Test helpers for the op tests: tensors with guard bytes around them (to catch
// out-of-bounds writes), random fills, and tolerance comparisons. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace fourbrain::ops::testing {

// A host tensor borrowed from a buffer with kGuard canary bytes on each side; the data may
// be deliberately misaligned. New tensors are filled with 0xff bytes (NaN for floats), so an
// element an op forgot to write shows up in comparisons.
class Guarded {
 public:
  static constexpr size_t kGuard = 64;
  static constexpr uint8_t kCanary = 0xa5;

  Guarded(DType dtype, Shape shape, size_t misalign = 0) {
    bytes_ = dtype_bytes(dtype, static_cast<size_t>(shape.numel()));
    offset_ = kGuard + misalign;
    buf_.assign(offset_ + bytes_ + kGuard + 64, kCanary);
    std::memset(buf_.data() + offset_, 0xff, bytes_);
    tensor_ = Tensor::borrow(dtype, std::move(shape), buf_.data() + offset_, nullptr);
  }
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;

  Tensor& t() { return tensor_; }
  template <typename T>
  T* data() {
    return tensor_.data<T>();
  }
  bool guards_intact() const {
    for (size_t i = 0; i < offset_; ++i)
      if (buf_[i] != kCanary) return false;
    for (size_t i = offset_ + bytes_; i < buf_.size(); ++i)
      if (buf_[i] != kCanary) return false;
    return true;
  }

 private:
  std::vector<uint8_t> buf_;
  size_t offset_ = 0;
  size_t bytes_ = 0;
  Tensor tensor_;
};

inline void fill_normal(float* x, int64_t n, uint32_t seed, float stddev = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  for (int64_t i = 0; i < n; ++i) x[i] = dist(rng);
}

inline std::vector<float> normal_vector(int64_t n, uint32_t seed, float stddev = 1.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  fill_normal(v.data(), n, seed, stddev);
  return v;
}

inline std::vector<float> bf16_to_floats(const uint16_t* x, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = bf16_to_f32(x[i]);
  return v;
}

// Every |got - want| <= atol + rtol * |want| (NaN fails); reports the worst element.
inline ::testing::AssertionResult all_close(const float* got, const float* want, int64_t n,
                                            double atol, double rtol) {
  int64_t worst = -1;
  double worst_excess = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double err = std::fabs(double{got[i]} - want[i]);
    const double excess = err - (atol + rtol * std::fabs(double{want[i]}));
    if (!(excess <= 0.0) && (worst < 0 || !(excess <= worst_excess))) {
      worst = i;
      worst_excess = excess;
      if (std::isnan(excess)) break;
    }
  }
  if (worst < 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "element " << worst << " of " << n << ": got " << got[worst] << ", want " << want[worst]
         << " (atol " << atol << ", rtol " << rtol << ")";
}

inline ::testing::AssertionResult all_close(const std::vector<float>& got,
                                            const std::vector<float>& want, double atol,
                                            double rtol) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "size mismatch";
  return all_close(got.data(), want.data(), static_cast<int64_t>(got.size()), atol, rtol);
}

}  // namespace fourbrain::ops::testing
