#include <omp.h>

#include "apps/commands.h"
#include "kernels/cpu/isa.h"

namespace fourbrain::apps {

void add_model_flags(CLI::App& cmd, ModelFlags& flags) {
  cmd.add_option("--model", flags.model_dir, "HuggingFace checkpoint directory")->required();
  cmd.add_option("--precision", flags.precision,
                 "GEMM precision: f32, bf16, or auto (bf16 where the CPU has native bf16)")
      ->check(CLI::IsMember({"f32", "bf16", "auto"}));
  cmd.add_option("--threads", flags.threads, "CPU threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--max-batch-tokens", flags.max_batch_tokens, "tokens per ragged batch")
      ->check(CLI::PositiveNumber);
}

Result<int> apply_model_flags(const ModelFlags& flags) {
  if (flags.threads > 0) omp_set_num_threads(flags.threads);
  if (flags.precision == "f32") return 0;
  if (flags.precision == "bf16") return 1;
  return kernels::cpu::has_fast_bf16() ? 1 : 0;
}

}  // namespace fourbrain::apps
