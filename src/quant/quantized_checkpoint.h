// Opening checkpoints that were quantized (by fourbrain, or by TensorRT Model Optimizer,
// which writes the same format): config.json's "quantization_config" says so
// ("quant_method": "modelopt"; quant_algo FP8, FP8_PER_CHANNEL_PER_TOKEN or NVFP4). The
// quantized linear weights are dequantized once into bf16 host tensors, with ModelOpt's
// semantics (FP8: e4m3 * weight_scale, per tensor or per row; NVFP4: e2m1 * weight_scale *
// weight_scale_2), and their scale tensors are hidden, so every model's weight binding and
// GEMM path runs them unchanged. Correct first: the memory is that of a bf16 model.
//
// compressed-tensors checkpoints (llm-compressor; "quant_method": "compressed-tensors") open
// through quant/compressed_tensors.h the same way. Other checkpoints open as
// formats::Checkpoint::open does; other quant methods are Unsupported, naming the method.
#pragma once

#include <string>

#include "base/status.h"
#include "formats/safetensors.h"

namespace fourbrain::quant {

Result<formats::Checkpoint> open_checkpoint(const std::string& dir);

}  // namespace fourbrain::quant
