// Opening checkpoints that were quantized (by fourbrain, or by TensorRT Model Optimizer,
// which writes the same format): config.json's "quantization_config" says so
// ("quant_method": "modelopt"; quant_algo FP8, FP8_PER_CHANNEL_PER_TOKEN or NVFP4), with
// ModelOpt's semantics (FP8: e4m3 * weight_scale, per tensor or per row; NVFP4: e2m1 *
// weight_scale * weight_scale_2). compressed-tensors checkpoints (llm-compressor;
// "quant_method": "compressed-tensors") open through quant/compressed_tensors.h the same way.
// Other checkpoints open as formats::Checkpoint::open does; other quant methods are
// Unsupported, naming the method.
//
// Two ways to open one:
//  - open_checkpoint: every quantized linear weight is dequantized once into a host tensor
//    with its library's exact semantics (quant/stored_linear.h), its scale tensors hidden,
//    so every model's weight binding and GEMM path runs it unchanged (the memory of a bf16
//    model);
//  - open_checkpoint_keeping_quantized: the weights stay as stored (QuantizedCheckpoint),
//    for a model that runs them as they are or dequantizes them one at a time.
#pragma once

#include <map>
#include <string>

#include "base/status.h"
#include "formats/safetensors.h"
#include "quant/stored_linear.h"

namespace fourbrain::quant {

struct QuantizedCheckpoint {
  // Every tensor a model binds. A stored quantized weight appears as "<module>.weight" with
  // its logical dtype (the dequantized one) and shape [out, in] but no data (an undefined
  // tensor): the model takes it from `stored`. Its scale tensors (and static input scales,
  // which activations quantized per token do not need) are hidden.
  formats::Checkpoint checkpoint;
  std::map<std::string, StoredLinear> stored;  // by weight name, "<module>.weight"

  const StoredLinear* find(const std::string& weight_name) const {
    const auto it = stored.find(weight_name);
    return it == stored.end() ? nullptr : &it->second;
  }
};

Result<QuantizedCheckpoint> open_checkpoint_keeping_quantized(const std::string& dir);
Result<formats::Checkpoint> open_checkpoint(const std::string& dir);

}  // namespace fourbrain::quant
