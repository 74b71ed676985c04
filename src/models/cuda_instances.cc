#include "models/cuda_instances.h"

namespace fourbrain::models {

CudaInstancePool::Lease::~Lease() {
  if (instance_ == nullptr) return;
  instance_->arena->reset();
  std::lock_guard<std::mutex> lock(pool_->mu_);
  pool_->idle_.push_back(std::move(instance_));
}

Result<std::unique_ptr<CudaInstancePool>> CudaInstancePool::create(int device,
                                                                   Allocator& device_memory,
                                                                   size_t arena_bytes) {
  std::unique_ptr<CudaInstancePool> pool(new CudaInstancePool(device, device_memory, arena_bytes));
  FB_ASSIGN_OR_RETURN(auto first, pool->make_instance());
  pool->idle_.push_back(std::move(first));
  return pool;
}

Result<std::unique_ptr<CudaInstancePool::Instance>> CudaInstancePool::make_instance() {
  auto instance = std::make_unique<Instance>();
  FB_ASSIGN_OR_RETURN(instance->context, kernels::cuda::create_context(device_));
  FB_ASSIGN_OR_RETURN(instance->arena, ArenaAllocator::create(device_memory_, arena_bytes_));
  std::lock_guard<std::mutex> lock(mu_);
  context_bytes_ += kernels::cuda::context_bytes(*instance->context);
  return instance;
}

Result<CudaInstancePool::Lease> CudaInstancePool::acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      auto instance = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(instance));
    }
  }
  FB_ASSIGN_OR_RETURN(auto instance, make_instance());
  return Lease(this, std::move(instance));
}

size_t CudaInstancePool::context_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return context_bytes_;
}

}  // namespace fourbrain::models
