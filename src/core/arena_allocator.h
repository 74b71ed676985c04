// ArenaAllocator: one block taken from a backing allocator up front and handed out by
// bumping an offset; deallocate() frees nothing and reset() makes the whole block free again.
//
// For the activations of one forward pass on a GPU: cudaMalloc/cudaFree per tensor would
// synchronise the device on every call, while an arena sized once from the model's largest
// batch costs nothing per call and makes the workspace an exact, reported number.
// Not thread-safe: one arena serves one model instance (one thread) at a time.
#pragma once

#include <cstddef>
#include <memory>

#include "base/status.h"
#include "core/allocator.h"

namespace fourbrain {

class ArenaAllocator final : public Allocator {
 public:
  // Offsets within the block are multiples of this; a cudaMalloc block starts 256-aligned,
  // so device tensors are too.
  static constexpr size_t kAlignment = 256;

  // Takes `capacity` bytes from `backing`, which must outlive the arena.
  static Result<std::unique_ptr<ArenaAllocator>> create(Allocator& backing, size_t capacity);
  ~ArenaAllocator() override;

  // ResourceExhausted (naming both sizes) when the block has no room left.
  Result<void*> allocate(size_t bytes) override;
  void deallocate(void* ptr, size_t bytes) override;
  DeviceKind device() const override { return backing_.device(); }

  // Frees everything at once; every tensor from the arena must be gone by then.
  void reset();
  size_t capacity() const { return capacity_; }
  // Bytes an allocation of `bytes` takes from the arena (with its alignment).
  static size_t footprint(size_t bytes) {
    return (bytes + kAlignment - 1) / kAlignment * kAlignment;
  }

 private:
  ArenaAllocator(Allocator& backing, void* base, size_t capacity)
      : backing_(backing), base_(base), capacity_(capacity) {}
  Allocator& backing_;
  void* base_;
  size_t capacity_;
  size_t used_ = 0;
};

}  // namespace fourbrain
