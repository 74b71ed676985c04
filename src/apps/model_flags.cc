#include <omp.h>

#include <charconv>

#include "apps/commands.h"
#include "kernels/cpu/isa.h"

namespace fourbrain::apps {

void add_model_flags(CLI::App& cmd, ModelFlags& flags) {
  cmd.add_option("--model", flags.model_dir, "HuggingFace checkpoint directory")->required();
  cmd.add_option(
         "--precision", flags.precision,
         "GEMM precision: f32, bf16, auto (bf16 where the CPU has native bf16; on a GPU, "
         "Qwen3 weights a quantized checkpoint stores run as stored), fp8 or nvfp4 (GPU, Qwen3: "
         "weights quantized at load, or run as stored where the checkpoint has them so)")
      ->check(CLI::IsMember({"f32", "bf16", "auto", "fp8", "nvfp4"}));
  cmd.add_option("--threads", flags.threads, "CPU threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--max-batch-tokens", flags.max_batch_tokens, "tokens per ragged batch")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--device", flags.device, "cpu, or cuda:N for a GPU (Qwen3, bf16)");
  cmd.add_flag("--quantize-embeddings", flags.quantize_embeddings,
               "with --precision nvfp4: store the embedding table in NVFP4 too (else bf16)");
  cmd.add_flag("--fp8-precise-accumulation", flags.fp8_precise_accumulation,
               "with --precision fp8 (or nvfp4 beyond 64 tokens on Hopper): the FP8 GEMMs promote "
               "their partial sums to f32 as they go instead of keeping them in the tensor "
               "cores' accumulator (slower)");
}

Result<int> parse_device(const std::string& device) {
  if (device == "cpu") return -1;
  int ordinal = -1;
  const std::string prefix = "cuda:";
  if (device.rfind(prefix, 0) == 0) {
    const char* begin = device.data() + prefix.size();
    const char* end = device.data() + device.size();
    auto [ptr, ec] = std::from_chars(begin, end, ordinal);
    if (ec == std::errc() && ptr == end && begin != end && ordinal >= 0) return ordinal;
  }
  return invalid_argument("--device must be cpu or cuda:N, got '" + device + "'");
}

Result<int> apply_model_flags(const ModelFlags& flags) {
  if (flags.threads > 0) omp_set_num_threads(flags.threads);
  FB_ASSIGN_OR_RETURN(const int gpu, parse_device(flags.device));
  if (flags.precision == "fp8" || flags.precision == "nvfp4") {
    if (gpu < 0)
      return invalid_argument("--precision " + flags.precision + " needs --device cuda:N");
    return flags.precision == "fp8" ? 2 : 3;
  }
  if (gpu >= 0) {
    if (flags.precision == "f32") return invalid_argument("--device cuda runs bf16, fp8 or nvfp4");
    return 1;
  }
  if (flags.precision == "f32") return 0;
  if (flags.precision == "bf16") return 1;
  return kernels::cpu::has_fast_bf16() ? 1 : 0;
}

}  // namespace fourbrain::apps
