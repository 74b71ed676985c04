// Allocators with exact byte accounting.
//
// Every tensor buffer comes from an Allocator, which counts live and peak bytes so a
// model's footprint can be measured exactly and checked against a budget. The host
// allocator returns 64-byte aligned memory. Allocators are thread-safe.
#pragma once

#include <atomic>
#include <cstddef>

#include "base/status.h"

namespace fourbrain {

enum class DeviceKind { kCpu, kCuda };

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual Result<void*> allocate(size_t bytes) = 0;
  virtual void deallocate(void* ptr, size_t bytes) = 0;
  virtual DeviceKind device() const = 0;

  size_t live_bytes() const { return live_bytes_.load(); }
  size_t peak_bytes() const { return peak_bytes_.load(); }

 protected:
  void count_allocation(size_t bytes);
  void count_deallocation(size_t bytes);

 private:
  std::atomic<size_t> live_bytes_{0};
  std::atomic<size_t> peak_bytes_{0};
};

// The process-wide host allocator.
Allocator& host_allocator();

}  // namespace fourbrain
