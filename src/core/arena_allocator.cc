#include "core/arena_allocator.h"

#include <string>

#include "base/check.h"

namespace fourbrain {

Result<std::unique_ptr<ArenaAllocator>> ArenaAllocator::create(Allocator& backing,
                                                               size_t capacity) {
  capacity = footprint(capacity);
  FB_ASSIGN_OR_RETURN(void* base, backing.allocate(capacity));
  return std::unique_ptr<ArenaAllocator>(new ArenaAllocator(backing, base, capacity));
}

ArenaAllocator::~ArenaAllocator() { backing_.deallocate(base_, capacity_); }

Result<void*> ArenaAllocator::allocate(size_t bytes) {
  const size_t size = footprint(bytes);
  if (size > capacity_ - used_) {
    return resource_exhausted("workspace arena: " + std::to_string(bytes) + " bytes wanted, " +
                              std::to_string(capacity_ - used_) + " of " +
                              std::to_string(capacity_) + " left");
  }
  void* ptr = static_cast<char*>(base_) + used_;
  used_ += size;
  count_allocation(bytes);
  return ptr;
}

void ArenaAllocator::deallocate(void*, size_t bytes) { count_deallocation(bytes); }

void ArenaAllocator::reset() {
  FB_CHECK(live_bytes() == 0);
  used_ = 0;
}

}  // namespace fourbrain
