#include <chrono>
#include <cstdio>
#include <memory>

#include "apps/commands.h"
#include "apps/served_batch.h"
#include "formats/json_writer.h"

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
  if (f.documents.empty()) return invalid_argument("no documents given");
  auto t0 = std::chrono::steady_clock::now();
  FB_ASSIGN_OR_RETURN(auto model,
                      load_for_cli(models::ModelTask::kReranking, f.model, f.max_length));
  std::vector<models::TaskItem> items(f.documents.size());
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].text = f.query;
    items[i].document = f.documents[i];
    if (f.has_instruction) items[i].instruction = f.instruction;
  }
  auto t1 = std::chrono::steady_clock::now();
  FB_ASSIGN_OR_RETURN(ServedOutputs result, run_items(*model, items, 0));
  auto t2 = std::chrono::steady_clock::now();
  std::vector<float> scores;
  for (const auto& row : result.rows) scores.push_back(row[0]);

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
  CLI::App* cmd = app.add_subcommand(
      "rerank", "Score documents against a query (Qwen3-Reranker, cross-encoders)");
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
