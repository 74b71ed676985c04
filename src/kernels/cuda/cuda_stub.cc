// The CUDA backend in a build without CUDA: no devices, and every call is Unsupported.
// Compiled instead of the other files of this folder when CMake finds no CUDA compiler.
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/nvfp4_blackwell.h"

namespace fourbrain::kernels::cuda {
namespace {

Status no_cuda() { return unsupported("this fourbrain was built without CUDA"); }

}  // namespace

class Context {};

bool built_with_cuda() { return false; }
int device_count() { return 0; }
Result<std::string> device_description(int) { return no_cuda(); }
Result<int> compute_capability(int) { return no_cuda(); }
Result<int> current_compute_capability() { return no_cuda(); }
Status device_memory(int, size_t&, size_t&) { return no_cuda(); }
void ContextDeleter::operator()(Context* ctx) const { delete ctx; }
Result<ContextPtr> create_context(int) { return no_cuda(); }
int context_device(const Context&) { return -1; }
int context_compute_capability(const Context&) { return 0; }
size_t context_bytes(const Context&) { return 0; }
Status synchronize(Context&) { return no_cuda(); }
ContextScope::ContextScope(Context&) : previous_(nullptr) {}
ContextScope::~ContextScope() = default;
Context* current_context() { return nullptr; }
Result<std::unique_ptr<Allocator>> make_device_allocator(int) { return no_cuda(); }
Status copy_to_device(void*, const void*, size_t) { return no_cuda(); }
Status copy_to_host(void*, const void*, size_t) { return no_cuda(); }
void inject_fault_for_testing(Context&) {}

Status embedding_lookup(Context&, const void*, DType, int64_t, const int32_t*, int64_t, float*) {
  return no_cuda();
}
Status rms_norm(Context&, const float*, const float*, float, int64_t, int64_t, void*, DType) {
  return no_cuda();
}
Status add_rms_norm(Context&, float*, const float*, const float*, float, int64_t, int64_t, void*,
                    DType) {
  return no_cuda();
}
Status qk_norm_rope(Context&, const QkNormRopeArgs&) { return no_cuda(); }
Status attention(Context&, const AttentionArgs&) { return no_cuda(); }
Status silu_mul(Context&, const void*, DType, int64_t, int64_t, void*, DType) { return no_cuda(); }
Status gather_rows(Context&, const void*, size_t, const int32_t*, int64_t, void*) {
  return no_cuda();
}
Status gemm_bf16(Context&, const GemmArgs&) { return no_cuda(); }
Status gemm_fp8(Context&, const Fp8GemmArgs&) { return no_cuda(); }
bool nvfp4_small_batch_supported(const Context&) { return false; }
Status gemm_nvfp4_small(Context&, const Nvfp4GemmArgs&) { return no_cuda(); }
Status embedding_lookup_nvfp4(Context&, const int32_t*, int64_t, int64_t, const uint8_t*,
                             const uint8_t*, float, float*) {
  return no_cuda();
}
Status dequantize_nvfp4(Context&, const uint8_t*, float, int64_t, int64_t, uint16_t*) {
  return no_cuda();
}
Status dequantize_nvfp4_fp8(Context&, const uint8_t*, const float*, int64_t, int64_t, uint8_t*) {
  return no_cuda();
}
Status quantize_fp8_rows(Context&, const uint16_t*, int64_t, int64_t, uint8_t*, float*) {
  return no_cuda();
}
Status rms_norm_fp8(Context&, const float*, const float*, float, int64_t, int64_t, uint8_t*,
                    float*) {
  return no_cuda();
}
Status silu_mul_fp8(Context&, const void*, DType, int64_t, int64_t, uint8_t*, float*) {
  return no_cuda();
}
Status quantize_nvfp4_activations(Context&, const Nvfp4QuantizeArgs&) { return no_cuda(); }
Status gemm_nvfp4_blackwell(Context&, const Nvfp4TensorCoreGemmArgs&) { return no_cuda(); }
Result<void*> context_scratch(Context&, size_t) { return no_cuda(); }
Status layer_norm(Context&, const float*, const float*, const float*, const float*, float, int64_t,
                  int64_t, void*, DType) {
  return no_cuda();
}
Status add(Context&, const float*, const float*, int64_t, float*) { return no_cuda(); }
Status activation(Context&, const float*, int64_t, Activation, void*, DType) { return no_cuda(); }
Status pool_tokens(Context&, const float*, const int32_t*, int64_t, int64_t, Pooling, float*) {
  return no_cuda();
}
Status convert_to_bf16(Context&, const float*, int64_t, uint16_t*) { return no_cuda(); }

}  // namespace fourbrain::kernels::cuda
