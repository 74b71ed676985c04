// The fourbrain command-line tools. Each command registers its CLI11 subcommand and
// runs it; output is JSON on stdout, errors a one-line message on stderr with exit 1.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "base/status.h"

namespace fourbrain::apps {

// Adds a subcommand to `app`; the returned function runs it once parsed.
using Command = std::function<Status()>;
Command add_embed_command(CLI::App& app);
Command add_rerank_command(CLI::App& app);
Command add_tokenize_command(CLI::App& app);
Command add_serve_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_quantize_command(CLI::App& app);
Command add_verify_command(CLI::App& app);
Command add_compare_command(CLI::App& app);
Command add_convert_command(CLI::App& app);
Command add_chunk_command(CLI::App& app);
Command add_docling_worker_command(CLI::App& app);

// Options every model command shares.
struct ModelFlags {
  std::string model_dir;
  std::string precision = "auto";  // f32 | bf16 | auto
  int threads = 0;                 // 0: all cores
  int64_t max_batch_tokens = 8192;
  std::string device = "cpu";             // cpu | cuda:N
  bool quantize_embeddings = false;       // --precision nvfp4: the embedding table too
  bool fp8_precise_accumulation = false;  // fp8/nvfp4: f32 partial sums in FP8 GEMMs
};
void add_model_flags(CLI::App& cmd, ModelFlags& flags);
// Applies --threads and returns the parsed --precision.
Result<int> apply_model_flags(const ModelFlags& flags);  // 0 = f32, 1 = bf16, 2 = fp8, 3 = nvfp4
// The GPU ordinal of --device (cuda:N), or -1 for cpu; InvalidArgument otherwise.
Result<int> parse_device(const std::string& device);

}  // namespace fourbrain::apps
