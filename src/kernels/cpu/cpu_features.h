// What the host CPU offers that changes which kernels are fastest. Thread-safe.
#pragma once

namespace fourbrain::kernels::cpu {

// True when bf16 GEMMs run natively (AVX512-BF16 or AMX-BF16), so bf16 beats f32.
bool has_fast_bf16();

}  // namespace fourbrain::kernels::cpu
