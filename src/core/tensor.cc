#include "core/tensor.h"

#include <cstring>

namespace fourbrain {

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

std::string Shape::to_string() const {
  std::string out = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(dims_[i]);
  }
  return out + "]";
}

Result<Tensor> Tensor::empty(DType dtype, Shape shape, Allocator& allocator) {
  for (int64_t d : shape.dims()) {
    if (d < 0) return invalid_argument("negative dimension in shape " + shape.to_string());
  }
  size_t bytes = dtype_bytes(dtype, static_cast<size_t>(shape.numel()));
  FB_ASSIGN_OR_RETURN(void* ptr, allocator.allocate(bytes));
  Allocator* owner = &allocator;
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.device_ = allocator.device();
  t.data_ = ptr;
  t.storage_ = std::shared_ptr<const void>(ptr, [owner, bytes](const void* p) {
    owner->deallocate(const_cast<void*>(p), bytes);
  });
  return t;
}

Result<Tensor> Tensor::zeros(DType dtype, Shape shape) {
  FB_ASSIGN_OR_RETURN(Tensor t, empty(dtype, std::move(shape)));
  std::memset(t.raw_data(), 0, t.nbytes());
  return t;
}

Tensor Tensor::borrow(DType dtype, Shape shape, const void* data, std::shared_ptr<const void> owner,
                      DeviceKind device) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.device_ = device;
  t.data_ = const_cast<void*>(data);
  t.storage_ = std::move(owner);
  return t;
}

Tensor Tensor::reshape(Shape shape) const {
  FB_CHECK(shape.numel() == numel());
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::slice_rows(int64_t begin, int64_t end) const {
  FB_CHECK(rank() >= 1 && 0 <= begin && begin <= end && end <= dim(0));
  FB_CHECK(dtype_bits(dtype_) % 8 == 0);
  std::vector<int64_t> dims = shape_.dims();
  int64_t row_elems = dims[0] == 0 ? 0 : numel() / dims[0];
  dims[0] = end - begin;
  Tensor t = *this;
  t.shape_ = Shape(std::move(dims));
  t.data_ = static_cast<uint8_t*>(data_) + dtype_bytes(dtype_, static_cast<size_t>(begin * row_elems));
  return t;
}

Result<Tensor> Tensor::clone() const {
  FB_CHECK(device_ == DeviceKind::kCpu);
  FB_ASSIGN_OR_RETURN(Tensor t, empty(dtype_, shape_));
  if (nbytes() > 0) std::memcpy(t.raw_data(), data_, nbytes());
  return t;
}

}  // namespace fourbrain
