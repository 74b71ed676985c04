#include "kernels/cpu/cpu_features.h"

namespace fourbrain::kernels::cpu {

bool has_fast_bf16() {
  return __builtin_cpu_supports("avx512bf16") || __builtin_cpu_supports("amx-bf16");
}

}  // namespace fourbrain::kernels::cpu
