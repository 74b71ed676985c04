#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "apps/commands.h"
#include "formats/json_writer.h"
#include "models/qwen3/qwen3_embedder.h"

namespace fourbrain::apps {
namespace {

struct EmbedFlags {
  ModelFlags model;
  std::vector<std::string> texts;
  std::string input_file;
  std::string instruction;
  bool has_instruction = false;
  int64_t dimensions = 0;
  size_t max_length = 8192;
  bool timing = false;
  int repeat = 1;
};

Status read_lines(const std::string& path, std::vector<std::string>& out) {
  std::ifstream in(path);
  if (!in) return not_found("cannot open " + path);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return Status::ok();
}

Status run_embed(const EmbedFlags& f) {
  FB_ASSIGN_OR_RETURN(int bf16, apply_model_flags(f.model));
  models::EmbedRequest request;
  request.texts = f.texts;
  if (!f.input_file.empty()) FB_RETURN_IF_ERROR(read_lines(f.input_file, request.texts));
  if (request.texts.empty()) return invalid_argument("no texts given (arguments or --input)");
  if (f.has_instruction) request.instruction = f.instruction;
  request.dimensions = f.dimensions;
  request.max_length = f.max_length;
  auto t0 = std::chrono::steady_clock::now();
  models::Qwen3RunOptions options;
  options.precision = bf16 ? ops::MatmulPrecision::kBF16 : ops::MatmulPrecision::kF32;
  options.max_batch_tokens = f.model.max_batch_tokens;
  FB_ASSIGN_OR_RETURN(auto embedder, models::Qwen3Embedder::load(f.model.model_dir, options));
  auto t1 = std::chrono::steady_clock::now();
  const double load_s = std::chrono::duration<double>(t1 - t0).count();
  // --repeat times the same request again (for benchmarks) and keeps the fastest run.
  FB_ASSIGN_OR_RETURN(models::EmbedResult result, embedder->embed(request));
  auto t2 = std::chrono::steady_clock::now();
  for (int r = 1; r < f.repeat; ++r) {
    auto start = std::chrono::steady_clock::now();
    FB_ASSIGN_OR_RETURN(result, embedder->embed(request));
    auto stop = std::chrono::steady_clock::now();
    if (stop - start < t2 - t1) t1 = start, t2 = stop;
  }
  const auto& vectors = result.embeddings;
  const int64_t tokens = result.n_tokens;
  formats::JsonWriter w;
  w.begin_object().key("object").value("list").key("model").value(f.model.model_dir);
  w.key("data").begin_array();
  for (size_t i = 0; i < vectors.size(); ++i) {
    w.begin_object().key("object").value("embedding").key("index").value(i);
    w.key("embedding").begin_array();
    for (float v : vectors[i]) w.value(v);
    w.end_array().end_object();
  }
  w.end_array().key("usage").begin_object().key("prompt_tokens").value(tokens);
  w.key("total_tokens").value(tokens).end_object().end_object();
  std::fwrite(w.str().data(), 1, w.str().size(), stdout);
  std::fputc('\n', stdout);
  if (f.timing) {
    double embed_s = std::chrono::duration<double>(t2 - t1).count();
    std::fprintf(stderr, "load_s=%.3f embed_s=%.4f tokens=%lld tokens_per_s=%.1f precision=%s\n",
                 load_s, embed_s, static_cast<long long>(tokens), tokens / embed_s,
                 bf16 ? "bf16" : "f32");
  }
  return Status::ok();
}

}  // namespace

Command add_embed_command(CLI::App& app) {
  auto flags = std::make_shared<EmbedFlags>();
  CLI::App* cmd = app.add_subcommand("embed", "Embed texts with a Qwen3-Embedding checkpoint");
  add_model_flags(*cmd, flags->model);
  cmd->add_option("texts", flags->texts, "texts to embed");
  cmd->add_option("--input", flags->input_file, "file with one text per line");
  cmd->add_option("--instruction", flags->instruction,
                  "task for queries: texts become \"Instruct: {task}\\nQuery:{text}\"")
      ->each([flags](const std::string&) { flags->has_instruction = true; });
  cmd->add_option("--dimensions", flags->dimensions, "Matryoshka dimensions (default: full)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-length", flags->max_length, "max tokens per text, EOS included")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--timing", flags->timing, "print load/embed times and tokens/s on stderr");
  cmd->add_option("--repeat", flags->repeat, "embed the input this many times, report the fastest")
      ->check(CLI::PositiveNumber);
  return [flags] { return run_embed(*flags); };
}

}  // namespace fourbrain::apps
