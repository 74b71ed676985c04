// Tensor: a typed, shaped, contiguous (row-major) view of memory that keeps its storage
// alive. Storage is either owned (from an Allocator, freed when the last Tensor sharing
// it goes) or borrowed (e.g. a memory-mapped checkpoint, kept alive by an owner handle).
//
// Copying a Tensor shares storage (like a shared_ptr); clone() copies the bytes.
// Tensors are not synchronised: writers must not race with readers.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "base/check.h"
#include "base/status.h"
#include "core/allocator.h"
#include "core/dtype.h"

namespace fourbrain {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t operator[](int i) const { return dims_[static_cast<size_t>(i)]; }
  int64_t numel() const;
  const std::vector<int64_t>& dims() const { return dims_; }
  bool operator==(const Shape& other) const { return dims_ == other.dims_; }
  std::string to_string() const;  // "[2, 3]"

 private:
  std::vector<int64_t> dims_;
};

class Tensor {
 public:
  Tensor() = default;

  // Uninitialised tensor owned by `allocator`.
  static Result<Tensor> empty(DType dtype, Shape shape, Allocator& allocator = host_allocator());
  // Zero-filled host tensor.
  static Result<Tensor> zeros(DType dtype, Shape shape);
  // Borrowed memory; `owner` (may be null) is kept alive as long as the tensor.
  static Tensor borrow(DType dtype, Shape shape, const void* data,
                       std::shared_ptr<const void> owner, DeviceKind device = DeviceKind::kCpu);

  bool defined() const { return data_ != nullptr || shape_.numel() == 0; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t dim(int i) const { return shape_[i < 0 ? rank() + i : i]; }
  int64_t numel() const { return shape_.numel(); }
  size_t nbytes() const { return dtype_bytes(dtype_, static_cast<size_t>(numel())); }
  DeviceKind device() const { return device_; }

  void* raw_data() { return data_; }
  const void* raw_data() const { return data_; }
  template <typename T>
  T* data() {
    return static_cast<T*>(data_);
  }
  template <typename T>
  const T* data() const {
    return static_cast<const T*>(data_);
  }

  // Same storage, new shape with the same element count.
  Tensor reshape(Shape shape) const;
  // Rows [begin, end) of the outermost dimension, sharing storage.
  Tensor slice_rows(int64_t begin, int64_t end) const;
  // Deep copy into fresh host memory.
  Result<Tensor> clone() const;

 private:
  DType dtype_ = DType::kF32;
  Shape shape_;
  DeviceKind device_ = DeviceKind::kCpu;
  void* data_ = nullptr;
  std::shared_ptr<const void> storage_;
};

}  // namespace fourbrain
