#include <chrono>
#include <cstdio>
#include <memory>

#include "apps/commands.h"
#include "formats/json_writer.h"
#include "models/qwen3/qwen3_reranker.h"

namespace fourbrain::apps {
namespace {

struct RerankFlags {
  ModelFlags model;
  std::string query;
  std::vector<std::string> documents;
  std::string instruction;
  bool has_instruction = false;
  size_t max_length = 8192;
  bool timing = false;
};

Status run_rerank(const RerankFlags& f) {
  FB_ASSIGN_OR_RETURN(int bf16, apply_model_flags(f.model));
  if (f.documents.empty()) return invalid_argument("no documents given");
  auto t0 = std::chrono::steady_clock::now();
  models::Qwen3RunOptions options;
  options.precision = bf16 ? ops::MatmulPrecision::kBF16 : ops::MatmulPrecision::kF32;
  options.max_batch_tokens = f.model.max_batch_tokens;
  FB_ASSIGN_OR_RETURN(auto reranker, models::Qwen3Reranker::load(f.model.model_dir, options));
  models::RerankRequest request{f.query, f.documents, std::nullopt, f.max_length};
  if (f.has_instruction) request.instruction = f.instruction;
  auto t1 = std::chrono::steady_clock::now();
  FB_ASSIGN_OR_RETURN(std::vector<float> scores, reranker->score(request));
  auto t2 = std::chrono::steady_clock::now();

  formats::JsonWriter w;
  w.begin_object().key("model").value(f.model.model_dir).key("results").begin_array();
  for (size_t i = 0; i < scores.size(); ++i) {
    w.begin_object().key("index").value(i).key("relevance_score").value(scores[i]).end_object();
  }
  w.end_array().end_object();
  std::fwrite(w.str().data(), 1, w.str().size(), stdout);
  std::fputc('\n', stdout);
  if (f.timing) {
    std::fprintf(stderr, "load_s=%.3f rerank_s=%.4f documents=%zu\n",
                 std::chrono::duration<double>(t1 - t0).count(),
                 std::chrono::duration<double>(t2 - t1).count(), scores.size());
  }
  return Status::ok();
}

}  // namespace

Command add_rerank_command(CLI::App& app) {
  auto flags = std::make_shared<RerankFlags>();
  CLI::App* cmd = app.add_subcommand("rerank", "Score documents against a query (Qwen3-Reranker)");
  add_model_flags(*cmd, flags->model);
  cmd->add_option("--query", flags->query, "the query")->required();
  cmd->add_option("documents", flags->documents, "documents to score");
  cmd->add_option("--instruction", flags->instruction, "task instruction (default: web search)")
      ->each([flags](const std::string&) { flags->has_instruction = true; });
  cmd->add_option("--max-length", flags->max_length, "max tokens per prompt, template included")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--timing", flags->timing, "print load/rerank times on stderr");
  return [flags] { return run_rerank(*flags); };
}

}  // namespace fourbrain::apps
