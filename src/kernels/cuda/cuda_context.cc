// Devices, contexts, device memory and copies through the CUDA runtime.
#include <string>

#include "kernels/cuda/cuda_internal.h"

namespace fourbrain::kernels::cuda {
namespace {

constexpr size_t kGemmWorkspaceBytes = 32u << 20;  // cuBLASLt's recommendation for Hopper
constexpr size_t kGemmScalarsBytes = 256;           // Context::gemm_scalars, after the workspace

thread_local Context* t_current = nullptr;

class DeviceAllocator final : public Allocator {
 public:
  explicit DeviceAllocator(int device) : device_(device) {}
  Result<void*> allocate(size_t bytes) override {
    FB_CUDA_RETURN(cudaSetDevice(device_));
    void* ptr = nullptr;
    cudaError_t err = cudaMalloc(&ptr, bytes == 0 ? 256 : bytes);
    if (err != cudaSuccess) {
      cudaGetLastError();  // an out-of-memory is not sticky: clear it
      return resource_exhausted("cuda:" + std::to_string(device_) + ": allocating " +
                                std::to_string(bytes) + " bytes failed (" +
                                cudaGetErrorString(err) + ")");
    }
    count_allocation(bytes);
    return ptr;
  }
  void deallocate(void* ptr, size_t bytes) override {
    cudaFree(ptr);
    count_deallocation(bytes);
  }
  DeviceKind device() const override { return DeviceKind::kCuda; }

 private:
  int device_;
};

}  // namespace

Status cuda_status(cudaError_t err, const char* what) {
  return internal_error(std::string("CUDA: ") + what + ": " + cudaGetErrorName(err) + " (" +
                  cudaGetErrorString(err) + ")");
}

Status cublas_status(cublasStatus_t st, const char* what) {
  return internal_error(std::string("cuBLASLt: ") + what + ": status " +
                  std::to_string(static_cast<int>(st)));
}

void destroy_plan(GemmPlan& plan) {
  if (plan.op != nullptr) cublasLtMatmulDescDestroy(plan.op);
  if (plan.a != nullptr) cublasLtMatrixLayoutDestroy(plan.a);
  if (plan.b != nullptr) cublasLtMatrixLayoutDestroy(plan.b);
  if (plan.d != nullptr) cublasLtMatrixLayoutDestroy(plan.d);
  plan = GemmPlan{};
}

bool built_with_cuda() { return true; }

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

Result<int> compute_capability(int device) {
  int major = 0, minor = 0;
  FB_CUDA_RETURN(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  FB_CUDA_RETURN(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
  return major * 10 + minor;
}

Result<int> current_compute_capability() {
  int device = 0;
  FB_CUDA_RETURN(cudaGetDevice(&device));
  return compute_capability(device);
}

Result<std::string> device_description(int device) {
  cudaDeviceProp prop{};
  FB_CUDA_RETURN(cudaGetDeviceProperties(&prop, device));
  return std::string(prop.name) + " (sm_" + std::to_string(prop.major) +
         std::to_string(prop.minor) + ", " + std::to_string(prop.multiProcessorCount) + " SMs)";
}

Status device_memory(int device, size_t& free_bytes, size_t& total_bytes) {
  FB_CUDA_RETURN(cudaSetDevice(device));
  FB_CUDA_RETURN(cudaMemGetInfo(&free_bytes, &total_bytes));
  return Status::ok();
}

void ContextDeleter::operator()(Context* ctx) const {
  if (ctx == nullptr) return;
  cudaSetDevice(ctx->device);
  if (ctx->stream != nullptr) cudaStreamSynchronize(ctx->stream);
  for (auto& [key, plan] : ctx->gemm_plans) destroy_plan(plan);
  if (ctx->lt != nullptr) cublasLtDestroy(ctx->lt);
  if (ctx->gemm_workspace != nullptr) cudaFree(ctx->gemm_workspace);
  if (ctx->scratch != nullptr) cudaFree(ctx->scratch);
  if (ctx->stream != nullptr) cudaStreamDestroy(ctx->stream);
  delete ctx;
}

Result<ContextPtr> create_context(int device) {
  const int n = device_count();
  if (device < 0 || device >= n) {
    return not_found("cuda:" + std::to_string(device) + " does not exist (" +
                     std::to_string(n) + " CUDA device(s) visible)");
  }
  ContextPtr ctx(new Context());
  ctx->device = device;
  FB_CUDA_RETURN(cudaSetDevice(device));
  FB_CUDA_RETURN(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking));
  FB_CUBLAS_RETURN(cublasLtCreate(&ctx->lt));
  FB_CUDA_RETURN(cudaMalloc(&ctx->gemm_workspace, kGemmWorkspaceBytes + kGemmScalarsBytes));
  ctx->gemm_workspace_bytes = kGemmWorkspaceBytes;
  ctx->gemm_scalars = reinterpret_cast<float*>(static_cast<char*>(ctx->gemm_workspace) +
                                               kGemmWorkspaceBytes);
  FB_CUDA_RETURN(
      cudaDeviceGetAttribute(&ctx->sm_count, cudaDevAttrMultiProcessorCount, device));
  FB_ASSIGN_OR_RETURN(ctx->compute_capability, compute_capability(device));
  return ctx;
}

int context_device(const Context& ctx) { return ctx.device; }
int context_compute_capability(const Context& ctx) { return ctx.compute_capability; }
size_t context_bytes(const Context& ctx) {
  return ctx.gemm_workspace_bytes + kGemmScalarsBytes + ctx.scratch_bytes;
}

Result<void*> context_scratch(Context& ctx, size_t bytes) {
  if (bytes <= ctx.scratch_bytes) return ctx.scratch;
  FB_CUDA_RETURN(cudaStreamSynchronize(ctx.stream));  // the old block may still be in use
  if (ctx.scratch != nullptr) cudaFree(ctx.scratch);
  ctx.scratch = nullptr;
  ctx.scratch_bytes = 0;
  const size_t rounded = (bytes + (1u << 20) - 1) & ~size_t{(1u << 20) - 1};
  FB_CUDA_RETURN(cudaMalloc(&ctx.scratch, rounded));
  ctx.scratch_bytes = rounded;
  return ctx.scratch;
}

Status synchronize(Context& ctx) {
  FB_CUDA_RETURN(cudaStreamSynchronize(ctx.stream));
  return Status::ok();
}

ContextScope::ContextScope(Context& ctx) : previous_(t_current) {
  t_current = &ctx;
  cudaSetDevice(ctx.device);
}

ContextScope::~ContextScope() {
  t_current = previous_;
  if (previous_ != nullptr) cudaSetDevice(previous_->device);
}

Context* current_context() { return t_current; }

Result<std::unique_ptr<Allocator>> make_device_allocator(int device) {
  const int n = device_count();
  if (device < 0 || device >= n) {
    return not_found("cuda:" + std::to_string(device) + " does not exist (" +
                     std::to_string(n) + " CUDA device(s) visible)");
  }
  return std::unique_ptr<Allocator>(new DeviceAllocator(device));
}

Status copy_to_device(void* device_dst, const void* host_src, size_t bytes) {
  if (bytes == 0) return Status::ok();
  if (Context* ctx = t_current) {
    FB_CUDA_RETURN(cudaMemcpyAsync(device_dst, host_src, bytes, cudaMemcpyHostToDevice,
                                   ctx->stream));
    // A pageable source is staged before the call returns, but a pinned one is not: wait
    // for small copies only when the caller may free the source next (always, here).
    FB_CUDA_RETURN(cudaStreamSynchronize(ctx->stream));
    return Status::ok();
  }
  FB_CUDA_RETURN(cudaMemcpy(device_dst, host_src, bytes, cudaMemcpyHostToDevice));
  return Status::ok();
}

Status copy_to_host(void* host_dst, const void* device_src, size_t bytes) {
  if (bytes == 0) return Status::ok();
  if (Context* ctx = t_current) {
    FB_CUDA_RETURN(cudaMemcpyAsync(host_dst, device_src, bytes, cudaMemcpyDeviceToHost,
                                   ctx->stream));
    FB_CUDA_RETURN(cudaStreamSynchronize(ctx->stream));
    return Status::ok();
  }
  FB_CUDA_RETURN(cudaMemcpy(host_dst, device_src, bytes, cudaMemcpyDeviceToHost));
  return Status::ok();
}

}  // namespace fourbrain::kernels::cuda
