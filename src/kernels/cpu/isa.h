// Which instruction-set paths the kernels may take on this host.
//
// Kernels with hand-vectorised AVX-512 code (attention tiles, vector exp) check
// has_avx512() at run time and otherwise take their portable C++ path, so one binary runs
// on any x86-64 (and non-x86) machine. FOURBRAIN_NO_AVX512=1 in the environment forces the
// portable path (tests use it to cover both). The answer is computed once; thread-safe.
#pragma once

namespace fourbrain::kernels::cpu {

// AVX-512 F/BW/VL/DQ are present and not disabled by FOURBRAIN_NO_AVX512.
bool has_avx512();

// True when bf16 GEMMs run natively (AVX512-BF16 or AMX-BF16), so bf16 beats f32.
bool has_fast_bf16();

// Test hook: override the detection (true = use AVX-512 if the CPU has it, false = never).
void set_avx512_allowed(bool allowed);

}  // namespace fourbrain::kernels::cpu

// Marks a leaf loop function for compilation three times, for x86-64-v4 (AVX-512), x86-64-v3
// (AVX2 + FMA) and the baseline ISA, with the right copy picked at load time by CPU features
// (GCC >= 12 target_clones on x86-64 ELF; "arch=<cpu name>" would match one CPU model only).
// Use it only on functions without OpenMP parallel regions inside: the outlined parallel
// body would not be cloned.
// Not under ThreadSanitizer: the ifunc resolvers run before its runtime is up and crash.
#if defined(__x86_64__) && defined(__ELF__) && defined(__GNUC__) && !defined(__clang__) && \
    __GNUC__ >= 12 && !defined(__SANITIZE_THREAD__)
#define FB_MULTIVERSION \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FB_MULTIVERSION
#endif
