#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "apps/commands.h"
#include "apps/served_batch.h"
#include "formats/json_writer.h"

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
  std::vector<std::string> texts = f.texts;
  if (!f.input_file.empty()) FB_RETURN_IF_ERROR(read_lines(f.input_file, texts));
  if (texts.empty()) return invalid_argument("no texts given (arguments or --input)");
  auto t0 = std::chrono::steady_clock::now();
  FB_ASSIGN_OR_RETURN(auto model,
                      load_for_cli(models::ModelTask::kEmbedding, f.model, f.max_length));
  std::vector<models::TaskItem> items(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    items[i].text = texts[i];
    if (f.has_instruction) items[i].instruction = f.instruction;
  }
  auto t1 = std::chrono::steady_clock::now();
  const double load_s = std::chrono::duration<double>(t1 - t0).count();
  // --repeat times the same request again (for benchmarks) and keeps the fastest run.
  FB_ASSIGN_OR_RETURN(ServedOutputs result, run_items(*model, items, f.dimensions));
  auto t2 = std::chrono::steady_clock::now();
  for (int r = 1; r < f.repeat; ++r) {
    auto start = std::chrono::steady_clock::now();
    FB_ASSIGN_OR_RETURN(result, run_items(*model, items, f.dimensions));
    auto stop = std::chrono::steady_clock::now();
    if (stop - start < t2 - t1) t1 = start, t2 = stop;
  }
  const auto& vectors = result.rows;
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
                 f.model.precision.c_str());
  }
  return Status::ok();
}

}  // namespace

Command add_embed_command(CLI::App& app) {
  auto flags = std::make_shared<EmbedFlags>();
  CLI::App* cmd =
      app.add_subcommand("embed", "Embed texts (Qwen3-Embedding, BERT-family embedders)");
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
