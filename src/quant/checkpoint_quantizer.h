// `fourbrain quantize`: a HuggingFace checkpoint folder in, a quantized one out, in
// TensorRT Model Optimizer's export format (so HF-side tools that read ModelOpt checkpoints
// can read it), with a manifest of what was done and a SHA-256 of every file.
//
// Which tensors: the 2-D weights of linear layers ("<module>.weight", bf16/f16/f32) whose
// module matches no exclude pattern (fnmatch; by default embeddings, lm_head, pooler and
// classifier/score heads stay as they are); norms and biases are copied unchanged. NVFP4
// needs the input dimension to be a multiple of 16; other weights are kept and listed.
//   FP8   quant_algo FP8_PER_CHANNEL_PER_TOKEN: weight F8_E4M3 [N, K], weight_scale F32 [N]
//         (activations are quantized per token at run time; no input_scale)
//   NVFP4 quant_algo NVFP4: weight U8 [N, K/2], weight_scale F8_E4M3 [N, K/16],
//         weight_scale_2 F32 [] (one for the layers a server fuses: q/k/v, gate/up, as
//         ModelOpt's export gives them), and with calibration input_scale F32 [] = the
//         input's amax / (6 * 448), which servers of ModelOpt NVFP4 checkpoints expect
//
// Streaming: tensors are read from the memory-mapped source and quantized while the output
// file is written, one tensor at a time, so memory stays a few times the largest tensor.
// The manifest (fourbrain_manifest.json) records the source's hash, the precision, the kept
// modules, the weights' reconstruction error, the fidelity measured at compile time when
// asked (QuantizeOptions::measure_fidelity), and the hash of every output file; verify()
// checks an output folder against it.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "quant/stored_linear.h"

namespace fourbrain::quant {

struct QuantizeOptions {
  QuantPrecision precision = QuantPrecision::kFp8;
  // Module-name patterns (fnmatch) to keep in their original precision, added to the defaults.
  std::vector<std::string> exclude;
  // Calibration: module name -> the largest magnitude its input reached on calibration texts
  // (apps/calibration.h). NVFP4 writes each quantized module's input_scale from it; FP8
  // activations are quantized per token at run time and need none.
  std::map<std::string, float> input_amax;
  int calibration_texts = 0;  // how many texts input_amax came from (for the manifest)
  // Called once the output folder is complete but for its manifest; the JSON object it
  // returns (a fidelity report of the quantized model against the source) goes into the
  // manifest as "fidelity". Unset: no fidelity is measured at compile time.
  std::function<Result<std::string>(const std::string& out_dir)> measure_fidelity;
};

struct QuantizeReport {
  int n_quantized = 0;
  std::vector<std::string> kept;  // 2-D weights left as they were, with the reason
  double mean_relative_error = 0;  // ||W - dequant(Q)|| / ||W|| over quantized weights
  double max_relative_error = 0;
  std::string worst_module;
  std::string fidelity;  // measure_fidelity's JSON object, or empty
  int input_scales = 0;  // input_scale tensors written (NVFP4 with calibration)
};

inline constexpr const char* kManifestFile = "fourbrain_manifest.json";

// Writes `out_dir` (created; must not be the source). InvalidArgument / NotFound name the
// file; a failure leaves no manifest, so a partial folder never verifies.
Result<QuantizeReport> quantize_checkpoint(const std::string& src_dir, const std::string& out_dir,
                                           const QuantizeOptions& options);

// Every file the manifest lists exists with its hash. The problems found (one line each) go
// to `problems`; the Status is InvalidArgument if there are any, NotFound without manifest.
Status verify_checkpoint(const std::string& dir, std::vector<std::string>& problems);

}  // namespace fourbrain::quant
