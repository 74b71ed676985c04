// CudaInstancePool: the per-instance state of a model that runs on a GPU. An instance is a
// CUDA context (stream, cuBLASLt handle and workspace) plus an activation arena sized for
// the model's largest batch. The model's weights are shared by every instance; each
// concurrent run() takes its own instance, so instances of one model run side by side on
// their own streams.
//
// Thread-safe. Instances are made on demand (one is made at creation, so a model that
// cannot have even one fails to load) and kept for reuse.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "base/status.h"
#include "core/arena_allocator.h"
#include "kernels/cuda/cuda_backend.h"

namespace fourbrain::models {

class CudaInstancePool {
 public:
  struct Instance {
    kernels::cuda::ContextPtr context;
    std::unique_ptr<ArenaAllocator> arena;
  };

  // Hands an instance back to its pool when it goes out of scope.
  class Lease {
   public:
    Lease(CudaInstancePool* pool, std::unique_ptr<Instance> instance)
        : pool_(pool), instance_(std::move(instance)) {}
    Lease(Lease&&) = default;
    ~Lease();
    kernels::cuda::Context& context() { return *instance_->context; }
    ArenaAllocator& arena() { return *instance_->arena; }

   private:
    CudaInstancePool* pool_;
    std::unique_ptr<Instance> instance_;
  };

  // `device_memory` (on `device`) must outlive the pool.
  static Result<std::unique_ptr<CudaInstancePool>> create(int device, Allocator& device_memory,
                                                          size_t arena_bytes);
  // An idle instance (the one returned last), or a new one.
  Result<Lease> acquire();
  int device() const { return device_; }
  // Device bytes the contexts made so far hold outside `device_memory` (cuBLASLt
  // workspaces); the arenas are counted by `device_memory` itself.
  size_t context_bytes() const;

 private:
  CudaInstancePool(int device, Allocator& device_memory, size_t arena_bytes)
      : device_(device), device_memory_(device_memory), arena_bytes_(arena_bytes) {}
  Result<std::unique_ptr<Instance>> make_instance();

  const int device_;
  Allocator& device_memory_;
  const size_t arena_bytes_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Instance>> idle_;  // guarded by mu_
  size_t context_bytes_ = 0;                     // guarded by mu_
};

}  // namespace fourbrain::models
