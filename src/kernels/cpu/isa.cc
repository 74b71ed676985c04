#include "kernels/cpu/isa.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace fourbrain::kernels::cpu {
namespace {

bool detect_avx512() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  const char* off = std::getenv("FOURBRAIN_NO_AVX512");
  if (off != nullptr && std::strcmp(off, "0") != 0 && off[0] != '\0') return false;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
  return false;
#endif
}

std::atomic<bool> g_allowed{true};

}  // namespace

bool has_avx512() {
  static const bool detected = detect_avx512();
  return detected && g_allowed.load(std::memory_order_relaxed);
}

void set_avx512_allowed(bool allowed) { g_allowed.store(allowed, std::memory_order_relaxed); }

bool has_fast_bf16() {
  return __builtin_cpu_supports("avx512bf16") || __builtin_cpu_supports("amx-bf16");
}

}  // namespace fourbrain::kernels::cpu
