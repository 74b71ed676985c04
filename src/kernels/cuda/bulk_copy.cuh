// Hopper's bulk copies (global -> shared without threads moving the bytes) and the shared
// memory barriers that count their bytes in: a producer/consumer ring needs no block-wide
// barrier per stage. Device code only; compute capability 9.0.
#pragma once

#include <cstdint>

namespace fourbrain::kernels::cuda {

__device__ __forceinline__ uint32_t shared_address(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// A barrier that completes a phase once `arrivals` threads arrived (and every byte announced
// with expect_bytes has landed).
__device__ __forceinline__ void barrier_init(uint64_t* bar, uint32_t arrivals) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n"
               :
               : "r"(shared_address(bar)), "r"(arrivals));
}
// Makes initialized barriers visible to the bulk-copy unit (before the block-wide sync).
__device__ __forceinline__ void barrier_init_fence() {
  asm volatile("fence.mbarrier_init.release.cluster;\n" : : : "memory");
}
// Arrives and announces `bytes` more for the current phase.
__device__ __forceinline__ void barrier_arrive_expect_bytes(uint64_t* bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n"
               :
               : "r"(shared_address(bar)), "r"(bytes)
               : "memory");
}
__device__ __forceinline__ void barrier_arrive(uint64_t* bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n"
               :
               : "r"(shared_address(bar))
               : "memory");
}
// Waits until the phase of parity `parity` (0 for the first phase, 1 for the second, ...)
// has completed.
__device__ __forceinline__ void barrier_wait(uint64_t* bar, uint32_t parity) {
  asm volatile(
      "{\n"
      ".reg .pred done;\n"
      "WAIT:\n"
      "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
      "@!done bra WAIT;\n"
      "}\n"
      :
      : "r"(shared_address(bar)), "r"(parity)
      : "memory");
}

// `bytes` (a multiple of 16; both addresses 16-byte aligned) from global to this block's
// shared memory; they count towards `bar`'s announced bytes when they land.
__device__ __forceinline__ void bulk_copy_to_shared(void* dst, const void* src, uint32_t bytes,
                                                    uint64_t* bar) {
  asm volatile(
      "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n"
      :
      : "r"(shared_address(dst)), "l"(src), "r"(bytes), "r"(shared_address(bar))
      : "memory");
}

// Arrives at `bar` once every cp.async this thread issued before has landed (counted as one
// of the barrier's arrivals).
__device__ __forceinline__ void barrier_arrive_after_copies(uint64_t* bar) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n"
               :
               : "r"(shared_address(bar))
               : "memory");
}

}  // namespace fourbrain::kernels::cuda
