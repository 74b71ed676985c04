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
  ++n_instances_;
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

size_t CudaInstancePool::arena_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return n_instances_ * ArenaAllocator::footprint(arena_bytes_);
}

Result<std::unique_ptr<CudaPlacement>> CudaPlacement::create(int device) {
  std::unique_ptr<CudaPlacement> placement(new CudaPlacement(device));
  FB_ASSIGN_OR_RETURN(placement->memory_, kernels::cuda::make_device_allocator(device));
  return placement;
}

Result<Tensor> CudaPlacement::upload(const Tensor& host) {
  FB_ASSIGN_OR_RETURN(Tensor t, Tensor::empty(host.dtype(), host.shape(), *memory_));
  FB_RETURN_IF_ERROR(kernels::cuda::copy_to_device(t.raw_data(), host.raw_data(), host.nbytes()));
  return t;
}

Status CudaPlacement::start(size_t arena_bytes) {
  FB_ASSIGN_OR_RETURN(instances_, CudaInstancePool::create(device_, *memory_, arena_bytes));
  return Status::ok();
}

Result<Tensor> CudaPlacement::run(
    const std::function<Result<Tensor>(Allocator& scratch)>& forward) {
  if (!healthy()) return unavailable("the model's GPU context failed earlier; reload the model");
  FB_ASSIGN_OR_RETURN(CudaInstancePool::Lease lease, instances_->acquire());
  kernels::cuda::ContextScope scope(lease.context());
  Result<Tensor> result = forward(lease.arena());
  // Device faults are Internal and leave the context unusable; bad inputs are not faults.
  if (!result.is_ok() && result.status().code() == StatusCode::kInternal) healthy_ = false;
  return result;
}

size_t CudaPlacement::bytes() const {
  return memory_->live_bytes() + (instances_ ? instances_->context_bytes() : 0);
}

Status CudaPlacement::inject_fault_for_testing() {
  // The pool hands out the instance returned last: the next run gets this one.
  FB_ASSIGN_OR_RETURN(CudaInstancePool::Lease lease, instances_->acquire());
  kernels::cuda::inject_fault_for_testing(lease.context());
  return Status::ok();
}

}  // namespace fourbrain::models
