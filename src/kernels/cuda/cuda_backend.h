// The CUDA backend's host-side surface: devices, per-thread execution contexts, device
// memory and copies. Plain C++ (no CUDA headers), so ops/ and models/ can include it; a build
// without CUDA links a stub where device_count() is 0 and everything else is Unsupported.
//
// A Context is one stream on one device with its cuBLASLt handle and GEMM workspace. Ops on
// CUDA tensors enqueue on the calling thread's current context (ContextScope); one context
// serves one thread at a time. Kernels run asynchronously: a fault shows up at the next
// synchronize() (or copy to the host) as an Internal status, after which the context is
// unusable (the CUDA runtime makes such errors sticky), so its owner should mark the
// instance unhealthy.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/status.h"
#include "core/allocator.h"

namespace fourbrain::kernels::cuda {

// False in a build without CUDA.
bool built_with_cuda();
// GPUs this process can use (0 without a driver or GPU, or in a build without CUDA).
int device_count();
// "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs)"
Result<std::string> device_description(int device);
// Compute capability as major * 10 + minor (90 Hopper, 100 Blackwell B200), of `device` or
// of this thread's current device (the one its current context, its last device allocation
// or cudaSetDevice made current).
Result<int> compute_capability(int device);
Result<int> current_compute_capability();
// Free and total bytes of the device, as the driver reports them.
Status device_memory(int device, size_t& free_bytes, size_t& total_bytes);

class Context;
struct ContextDeleter {
  void operator()(Context* ctx) const;
};
using ContextPtr = std::unique_ptr<Context, ContextDeleter>;

// A new stream on `device` with its cuBLASLt handle and a GEMM workspace (bytes counted in
// context_bytes()).
Result<ContextPtr> create_context(int device);
int context_device(const Context& ctx);
int context_compute_capability(const Context& ctx);  // as compute_capability()
size_t context_bytes(const Context& ctx);
// Waits for everything enqueued on the context; a kernel fault becomes Internal.
Status synchronize(Context& ctx);

// Makes `ctx` this thread's current context (and its device current) until destruction.
class ContextScope {
 public:
  explicit ContextScope(Context& ctx);
  ~ContextScope();
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  Context* previous_;
};
// This thread's current context, or null.
Context* current_context();

// Device memory of one GPU through cudaMalloc/cudaFree, counted like every Allocator.
// Allocations are 256-byte aligned. Thread-safe.
Result<std::unique_ptr<Allocator>> make_device_allocator(int device);

// Copies between host and device memory. With a current context the copy is ordered on its
// stream (copy_to_host waits for it); without one it is synchronous. The host source of
// copy_to_device may be freed once the call returns.
Status copy_to_device(void* device_dst, const void* host_src, size_t bytes);
Status copy_to_host(void* host_dst, const void* device_src, size_t bytes);

// Fault injection for tests: the next kernel launched on `ctx`'s stream is replaced by one
// that traps (as an illegal access would), which leaves the device unusable for the rest
// of the process. Tests of fault handling run it in a process of their own.
void inject_fault_for_testing(Context& ctx);

}  // namespace fourbrain::kernels::cuda
