// CudaInstancePool: the per-instance state of a model that runs on a GPU. An instance is a
// CUDA context (stream, cuBLASLt handle and workspace) plus an activation arena sized for
// the model's largest batch. The model's weights are shared by every instance; each
// concurrent run() takes its own instance, so instances of one model run side by side on
// their own streams.
//
// Thread-safe. Instances are made on demand (one is made at creation, so a model that
// cannot have even one fails to load) and kept for reuse.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "base/status.h"
#include "core/arena_allocator.h"
#include "core/tensor.h"
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
  // Bytes of the activation arenas of every instance made so far.
  size_t arena_bytes() const;

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
  size_t n_instances_ = 0;                       // guarded by mu_
};

// A model's place on one GPU: the device allocator its weights come from and, once
// started, the pool of instances its forward passes run on. Shared by the models that run
// on CUDA (Qwen3, BERT family). Thread-safe.
class CudaPlacement {
 public:
  static Result<std::unique_ptr<CudaPlacement>> create(int device);
  int device() const { return device_; }
  Allocator& memory() { return *memory_; }
  // A copy of a host tensor in this GPU's memory.
  Result<Tensor> upload(const Tensor& host);
  // Makes the instance pool, each instance with an arena of `arena_bytes`.
  Status start(size_t arena_bytes);
  // Runs `forward` on an instance, its context current and its arena as scratch (reset
  // afterwards); `forward` returns a host tensor. A CUDA fault (Internal) marks the
  // placement unhealthy, after which every call is Unavailable.
  Result<Tensor> run(const std::function<Result<Tensor>(Allocator& scratch)>& forward);
  bool healthy() const { return healthy_.load(); }
  // Every device byte held: weights and arenas (the allocator) plus cuBLASLt workspaces.
  size_t bytes() const;
  size_t workspace_bytes() const { return instances_ ? instances_->arena_bytes() : 0; }
  // Tests only: the next run() faults on the device.
  Status inject_fault_for_testing();

 private:
  explicit CudaPlacement(int device) : device_(device) {}
  const int device_;
  std::unique_ptr<Allocator> memory_;
  std::unique_ptr<CudaInstancePool> instances_;  // destroyed before memory_
  std::atomic<bool> healthy_{true};
};

}  // namespace fourbrain::models
