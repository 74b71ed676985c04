// Loading checkpoints that llm-compressor saved in the compressed-tensors format: each
// quantized linear weight is kept as stored (quant/stored_linear.h), with the semantics of
// compressed-tensors' own decompress() (0.20: compressors/naive_quantized and nvfp4), and its
// scale tensors are hidden (quant/quantized_checkpoint.h says how models take it).
//
//   float-quantized (and naive-quantized FP8): `weight` F8_E4M3 [N, K], `weight_scale` [1]
//     (strategy tensor) or [N, 1] (channel), in the model's dtype; w = e4m3 * scale, rounded
//     once to the scale's dtype (the result's dtype, as torch computes x_q.to(s.dtype) * s).
//   nvfp4-pack-quantized: `weight_packed` U8 [N, K/2] (column 2i in the low nibble, 2i+1 in the
//     high one), `weight_scale` F8_E4M3 [N, K/16], `weight_global_scale` F32 [1]. The global
//     scale divides: w = bf16(e2m1 * (f32(scale) / global_scale)), i.e. it is the reciprocal of
//     ModelOpt's weight_scale_2 (llm-compressor writes 448 * 6 / amax).
//
// Activation settings are read, not applied: input_scale / input_global_scale (static input
// quantization) and the kv-cache scheme's k_scale / v_scale are hidden; a model quantizes its
// activations per token, or runs them unquantized. The groups and their settings are logged once
// per load
// ("compressed_tensors_checkpoint").
//
// Failure, for every problem at once (one line each, naming the tensor): Unsupported for a
// format we do not load (pack-quantized / int-quantized integers, MX formats, ...), an
// asymmetric scheme or an FP8 strategy other than tensor / channel; InvalidArgument for a
// quantized tensor no config group targets, a missing weight_scale / weight_packed /
// weight_global_scale, or a tensor of the wrong dtype or shape. A weight stored unquantized
// (float dtype, no scale) loads as it is, whatever the config says: llm-compressor leaves
// weights it cannot quantize. Pure function of its inputs; thread-safe.
#pragma once

#include "base/status.h"
#include "formats/safetensors.h"
#include "quant/compressed_tensors_config.h"
#include "quant/quantized_checkpoint.h"

namespace fourbrain::quant {

Result<QuantizedCheckpoint> keep_compressed_tensors(const formats::Checkpoint& ckpt,
                                                    const CtConfig& config);

}  // namespace fourbrain::quant
