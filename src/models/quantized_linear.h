// Quantized GPU Linears for the models: from a float weight quantized here (ModelOpt's
// export rules, quant/weight_quantizers.h), or from the weight a quantized checkpoint stores
// (quant/stored_linear.h), run with the codes and scales its quantizer chose.
#pragma once

#include <optional>
#include <vector>

#include "base/status.h"
#include "core/tensor.h"
#include "nn/linear.h"
#include "quant/stored_linear.h"

namespace fourbrain::models {

// The stacked bf16/f16/f32 parts quantized to FP8 (per-output-channel scales) or NVFP4 (one
// global scale for the stack).
Result<nn::Linear> quantized_linear(const std::vector<Tensor>& parts, quant::QuantPrecision p,
                                    Allocator& device_memory, bool fast_accumulation);

// The stored parts stacked as they are stored, in their one precision. FP8 rows keep their
// own scales. NVFP4 parts share one global scale in the exporters' fused layers (ModelOpt and
// llm-compressor make q/k/v and gate/up agree); parts whose global scales differ are
// dequantized and quantized again as one stack, and a warning says so.
Result<nn::Linear> stored_linear(const std::vector<const quant::StoredLinear*>& parts,
                                 Allocator& device_memory, bool fast_accumulation);

}  // namespace fourbrain::models
