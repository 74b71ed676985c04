#include "core/allocator.h"

#include <cstdlib>
#include <string>

namespace fourbrain {
namespace {

constexpr size_t kHostAlignment = 64;

class HostAllocator final : public Allocator {
 public:
  Result<void*> allocate(size_t bytes) override {
    size_t rounded = (bytes + kHostAlignment - 1) / kHostAlignment * kHostAlignment;
    void* ptr = std::aligned_alloc(kHostAlignment, rounded == 0 ? kHostAlignment : rounded);
    if (ptr == nullptr) {
      return resource_exhausted("host allocation of " + std::to_string(bytes) + " bytes failed");
    }
    count_allocation(bytes);
    return ptr;
  }
  void deallocate(void* ptr, size_t bytes) override {
    std::free(ptr);
    count_deallocation(bytes);
  }
  DeviceKind device() const override { return DeviceKind::kCpu; }
};

}  // namespace

void Allocator::count_allocation(size_t bytes) {
  size_t live = live_bytes_.fetch_add(bytes) + bytes;
  size_t peak = peak_bytes_.load();
  while (live > peak && !peak_bytes_.compare_exchange_weak(peak, live)) {
  }
}

void Allocator::count_deallocation(size_t bytes) { live_bytes_.fetch_sub(bytes); }

Allocator& host_allocator() {
  static HostAllocator allocator;
  return allocator;
}

}  // namespace fourbrain
